// The reply-text reasons and pattern texts in the user's language. English lives in
// data/reply-patterns.json (recognition's file); fr/vi/tr/hi live in data/reply-reasons.i18n.json,
// keyed by reason id and pattern id. A pattern whose own text is not translated gives the reason's
// translated text instead (named in `generalized`); a text with no translation at all stays English
// (named in `fallback`): never a silent switch of language. Pure lookups, no I/O.
import i18nJson from '../../data/reply-reasons.i18n.json' with { type: 'json' };
import type { Lang } from './data.js';
import type { TextClassification } from './decide-reason.js';
import { D, type PatternData, type Reason } from './pattern-compiler.js';

export type OtherLang = Exclude<Lang, 'en'>;
export interface PatternTexts { meaning: string; action: string }
export interface ReasonTexts extends PatternTexts { title: string; temporaryAction?: string }
export interface ReasonI18nFile {
  positive: Record<OtherLang, PatternTexts>;
  reasons: Record<string, Partial<Record<OtherLang, ReasonTexts>>>;
  patterns: Record<string, Partial<Record<OtherLang, PatternTexts>>>;
}

export const REASON_I18N = i18nJson as unknown as ReasonI18nFile;

export type ReasonField = 'title' | 'meaning' | 'action';

/** A reason's title, meaning and action in one language, with what could not be given in it. */
export interface LocalizedReasonText {
  title: string;
  meaning: string;
  action: string;
  /** Fields shown in English: no translation exists for them in the language asked for. */
  fallback?: ReasonField[];
  /**
   * Fields that give the reason's general text in the language asked for, because the matched
   * pattern's own (provider-specific) text is not translated into it yet (`--lang en` shows it).
   */
  generalized?: ('meaning' | 'action')[];
}

let patternIndex: Map<string, PatternData> | undefined;

function patternById(id: string): PatternData | undefined {
  patternIndex ??= new Map(D.patterns.map((p) => [p.id, p]));
  return patternIndex.get(id);
}

/** A reason's title in `lang` (English when untranslated, or for an unknown name). */
export function localizedReasonTitle(reason: Reason, lang: Lang): string {
  const en = D.reasons[reason]?.title ?? reason;
  if (lang === 'en') return en;
  return REASON_I18N.reasons[reason]?.[lang]?.title ?? en;
}

/** The pattern's own translated texts in `lang`, when they exist. */
export function patternTexts(id: string, lang: OtherLang): PatternTexts | undefined {
  return REASON_I18N.patterns[id]?.[lang];
}

/**
 * The texts of a classification in `lang`. Where each English text came from is read back from
 * the data (the reason's meaning/action/temporaryAction, or the deciding pattern's own text), so
 * recognition itself stays language-free.
 */
export function localizeReason(t: Pick<TextClassification, 'reason' | 'meaning' | 'action' | 'patternId' | 'permanent' | 'evidence'>, lang: Lang): LocalizedReasonText {
  const en = D.reasons[t.reason];
  const title = en?.title ?? t.reason;
  if (lang === 'en') return { title, meaning: t.meaning, action: t.action };
  const fallback: ReasonField[] = [];
  const generalized: ('meaning' | 'action')[] = [];
  const own = REASON_I18N.reasons[t.reason]?.[lang];
  const out: LocalizedReasonText = { title: own?.title ?? title, meaning: t.meaning, action: t.action };
  if (!own?.title) fallback.push('title');

  if (t.evidence.decidedBy === 'positive') {
    const pos = REASON_I18N.positive[lang];
    if (pos) return { ...out, meaning: pos.meaning, action: pos.action, ...(fallback.length ? { fallback } : {}) };
    return { ...out, fallback: [...fallback, 'meaning', 'action'] };
  }

  const pattern = t.patternId ? patternById(t.patternId) : undefined;
  const patternOwn = pattern ? patternTexts(pattern.id, lang) : undefined;
  // The reason's own text for a field, the 4xx action when recognition chose it.
  const reasonText = (field: 'meaning' | 'action'): string | undefined => {
    if (field === 'meaning') return own?.meaning;
    return t.permanent === false && en?.temporaryAction ? (own?.temporaryAction ?? undefined) : own?.action;
  };

  for (const field of ['meaning', 'action'] as const) {
    const english = t[field];
    let text: string | undefined;
    if (en && english === en[field]) text = own?.[field];
    else if (field === 'action' && en?.temporaryAction !== undefined && english === en.temporaryAction) text = own?.temporaryAction;
    else if (pattern && english === pattern[field]) {
      text = patternOwn?.[field];
      if (text === undefined) {
        text = reasonText(field);
        if (text !== undefined) generalized.push(field);
      }
    }
    if (text === undefined) fallback.push(field);
    else out[field] = text;
  }
  if (fallback.length) out.fallback = fallback;
  if (generalized.length) out.generalized = generalized;
  return out;
}

/** Coverage of the translations, for tests and the README's figures. */
export function reasonI18nCoverage(): { reasons: Record<OtherLang, number>; patterns: Record<OtherLang, number>; patternTotal: number; reasonTotal: number } {
  const langs: OtherLang[] = ['fr', 'vi', 'tr', 'hi'];
  const withText = D.patterns.filter((p) => p.meaning !== undefined || p.action !== undefined);
  const count = (f: (l: OtherLang) => number): Record<OtherLang, number> => Object.fromEntries(langs.map((l) => [l, f(l)])) as Record<OtherLang, number>;
  return {
    reasonTotal: Object.keys(D.reasons).length,
    reasons: count((l) => Object.keys(D.reasons).filter((r) => REASON_I18N.reasons[r]?.[l]).length),
    patternTotal: withText.length,
    patterns: count((l) => withText.filter((p) => REASON_I18N.patterns[p.id]?.[l]).length),
  };
}
