// The parts of the reply corpus (fixtures/replies/) and what each may be used for: a training part
// was read and patterns were written from it; a blind held-out part is measured (its figure
// printed) but never read; a retired held-out part was read after its last blind measurement and
// is kept as a regression guard. One list, so that every test treats a part the same way.
export type PartStatus = 'training' | 'blind' | 'retired';

export const CORPUS_PARTS: Readonly<Record<string, PartStatus>> = {
  'train.tsv': 'training',
  'holdout-v1.tsv': 'retired',
  'train-round2.tsv': 'training',
  'holdout-v2.tsv': 'retired',
  'holdout-v3.tsv': 'retired',
  'train-round3.tsv': 'training',
  'holdout-v4.tsv': 'blind',
  'holdout-v5.tsv': 'blind',
  'train-round4.tsv': 'training',
  'holdout-v6.tsv': 'blind',
  'holdout-v7.tsv': 'blind',
  'train-round5.tsv': 'training',
  'holdout-v8.tsv': 'blind',
  'train-round6.tsv': 'training',
  'train-round7.tsv': 'training',
  'holdout-v9.tsv': 'blind',
};

/** The parts of one status, in the order they were collected. */
export function partsOf(status: PartStatus): string[] {
  return Object.entries(CORPUS_PARTS)
    .filter(([, s]) => s === status)
    .map(([f]) => f);
}
