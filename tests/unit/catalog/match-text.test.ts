// Reply-text recognition measured on the reply corpus, kept in parts by source: the training
// part (fixtures/replies/train.tsv, the sources the patterns were written from) must be 95 % right;
// the later training rounds (train-round2 … 6.tsv, real texts whose labels are their sources'
// readings, some disputed) are printed with their misses and have floors of their own; the blind
// held-out parts (holdout-v4 … v8.tsv, whole documents no pattern was written from, collected by
// people who never saw the patterns) print their figures only, never their misses; the retired
// held-out parts (holdout-v1 … v3.tsv, read after their last blind measurement) are regression
// guards printed with their misses. Focused tests pin the fallback to codes, stage
// sensitivity, fact extraction, multilingual wording and the data's hygiene.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../helpers/cli.js';
import { CORPUS_PARTS, partsOf } from '../../helpers/corpus-parts.js';
import {
  classifyReply,
  classifyReplyUnindexed,
  REASONS,
  reasonTitle,
  recognitionStats,
  type Reason,
  type ReplyInput,
} from '../../../src/catalog/match-text.js';
import { extractFacts } from '../../../src/catalog/reply-facts.js';

interface Row { reason: Reason; provider: string; stage?: string; source: string; reply: string }

function loadCorpus(file = 'train.tsv'): Row[] {
  const text = readFileSync(join(ROOT, 'fixtures', 'replies', file), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const [reason, provider, stage, source, reply] = l.split('\t');
      const row: Row = { reason: reason as Reason, provider: provider ?? '', source: source ?? '', reply: (reply ?? '').replace(/\\n/g, '\n') };
      if (stage && stage !== '-') row.stage = stage;
      return row;
    });
}

const input = (r: Row): ReplyInput => (r.stage ? { text: r.reply, stage: r.stage } : { text: r.reply });
const rows = loadCorpus();
const held = loadCorpus('holdout-v2.tsv');
const heldV3 = loadCorpus('holdout-v3.tsv');
const retired = loadCorpus('holdout-v1.tsv');
const round2 = loadCorpus('train-round2.tsv');
const round3 = loadCorpus('train-round3.tsv');
const round4 = loadCorpus('train-round4.tsv');
const round5 = loadCorpus('train-round5.tsv');
const round6 = loadCorpus('train-round6.tsv');
const round7 = loadCorpus('train-round7.tsv');
const heldV4 = loadCorpus('holdout-v4.tsv');
const heldV5 = loadCorpus('holdout-v5.tsv');
const heldV6 = loadCorpus('holdout-v6.tsv');
const heldV7 = loadCorpus('holdout-v7.tsv');
const heldV8 = loadCorpus('holdout-v8.tsv');
const heldV9 = loadCorpus('holdout-v9.tsv');

// The retired second held-out part (v2): 79.3 % at its last blind measurement (fourth sitting),
// then read; 90.0 % after the classes its misses showed. A regression guard.
const RETIRED_V2_FLOOR = 0.88;
// The retired third held-out part (v3): 82.9 % at its last blind measurement (fifth sitting), then
// read; 97.4 % after the classes its misses showed. A regression guard.
const RETIRED_V3_FLOOR = 0.92;
// The retired part was read after its last blind measurement (79.5 %): a regression guard only.
const RETIRED_FLOOR = 0.78;
// The second training round: 79.3 % of its first wave when it was added, about 80 % of all four
// waves after their classes were written; below the first round's 95 % because its labels are the
// pages' own readings, several of which the reason definitions read otherwise (see SOURCE.md).
// A regression guard.
const ROUND2_FLOOR = 0.77;
// The third training round (six waves: issue threads, mail-software sources, help pages in many
// languages, provider code tables, MTA texts and localized client and list-manager templates from
// Debian's packages): each wave 57-72 % when collected (the templates 9.5 %), 92.5 % after its
// classes were written (87.7 % without the templates). A regression guard.
const ROUND3_FLOOR = 0.85;
// The fourth training round (issue threads, bounce-parser test fixtures, help pages in other
// languages, providers' and vendors' pages, then more texts from Debian's packages): see SOURCE.md
// for each wave's figure when collected and after its classes were written. A regression guard.
const ROUND4_FLOOR = 0.83;
// The fifth training round (real bounce messages of bounce parsers' and other packages' test
// fixtures): 85.7 % with the code of the start of the fifth sitting, 94.0 % after its classes.
const ROUND5_FLOOR = 0.9;
// The sixth training round (mail-server log lines of Postfix's, crowdsec's and lnav's test data):
// 69.2 % with the code of the start of the fifth sitting, 90.4 % after its classes.
const ROUND6_FLOOR = 0.85;
// The seventh training round (log lines of Wazuh's, OSSEC's, logcheck's and logwatch's rules and
// tests, real bounces of mail libraries' fixtures, lines pasted in issue threads): 69.6 % with the
// code of the start of the first sitting of 2026-12-08, 88.5 % after its classes.
const ROUND7_FLOOR = 0.85;
// The fourth held-out part (v4, pasted bounces whose cause a thread settled): 75.7 % with the code
// of the start of the third sitting, 81.1 % after the third training round. A regression guard.
const HOLDOUT_V4_FLOOR = 0.75;
// The fifth held-out part (v5, help pages collected after the third round): 88.9 % with the code of
// the start of the third sitting, 91.7 % at the end of it (36 lines: one line is 2.8 points).
const HOLDOUT_V5_FLOOR = 0.83;
// The sixth held-out part (v6, pasted bounces from issue threads and posts and a few bounce-parser
// fixtures, collected at the start of the fourth sitting): 75.7 % (28/37) with the code of that
// moment. A regression guard.
const HOLDOUT_V6_FLOOR = 0.7;
// The seventh held-out part (v7, real bounce messages of flufl.bounce's test corpus, collected at the
// start of the fifth sitting): 81.4 % (79/97) with the code of that moment. A regression guard.
const HOLDOUT_V7_FLOOR = 0.75;
// The eighth held-out part (v8, real mail-server log lines of fail2ban's test logs, collected in the
// fifth sitting): 70.7 % (70/99) with the code of the start of that sitting. A regression guard.
const HOLDOUT_V8_FLOOR = 0.65;
// The ninth held-out part (v9, texts pasted in blogs, help pages and forum threads, collected blind
// in the first sitting of 2026-12-08): 70.2 % (33/47) with the code of the start of that sitting,
// 72.3 % (34/47) when it was collected. A regression guard.
const HOLDOUT_V9_FLOOR = 0.65;

/** The share of rows read right; prints the figure (and, with `misses`, the misses). */
function measure(name: string, part: Row[], misses: boolean): number {
  let ok = 0;
  const out: string[] = [];
  for (const r of part) {
    const got = classifyReply(input(r));
    if (got.reason === r.reason) ok++;
    else if (misses) out.push(`  ${r.reason} <- ${got.reason} ${r.reply.slice(0, 100)}`);
  }
  const share = ok / part.length;
  console.log([`${name}: ${ok}/${part.length} (${(100 * share).toFixed(1)} %) over ${new Set(part.map((r) => r.source)).size} documents`, ...out].join('\n'));
  return share;
}

// Every part, in the order it was collected.
const parts: [string, Row[]][] = [
  ['train.tsv', rows], ['holdout-v1.tsv', retired], ['train-round2.tsv', round2], ['holdout-v2.tsv', held],
  ['holdout-v3.tsv', heldV3], ['train-round3.tsv', round3], ['holdout-v4.tsv', heldV4], ['holdout-v5.tsv', heldV5],
  ['train-round4.tsv', round4], ['holdout-v6.tsv', heldV6], ['holdout-v7.tsv', heldV7],
  ['train-round5.tsv', round5], ['holdout-v8.tsv', heldV8], ['train-round6.tsv', round6],
  ['train-round7.tsv', round7], ['holdout-v9.tsv', heldV9],
];

describe('held-out part of the corpus (sources no pattern was written from)', () => {
  it('every part in fixtures/replies is listed, with its status, in tests/helpers/corpus-parts.ts, and measured here', () => {
    const files = readdirSync(join(ROOT, 'fixtures', 'replies')).filter((f) => f.endsWith('.tsv')).sort();
    expect(files).toEqual(Object.keys(CORPUS_PARTS).sort());
    expect(parts.map(([name]) => name).sort()).toEqual(files);
    for (const f of partsOf('blind')) expect(f.startsWith('holdout-'), f).toBe(true);
    for (const f of partsOf('retired')) expect(f.startsWith('holdout-'), f).toBe(true);
  });

  // A held-out part's minimum number of documents.
  const minDocs: Record<string, number> = { 'holdout-v1.tsv': 20, 'holdout-v2.tsv': 20, 'holdout-v3.tsv': 20, 'holdout-v4.tsv': 30, 'holdout-v5.tsv': 15, 'holdout-v6.tsv': 30, 'holdout-v7.tsv': 60, 'holdout-v8.tsv': 10, 'holdout-v9.tsv': 30 };
  const repo = (u: string): string | undefined => /^https?:\/\/github\.com\/([^/]+\/[^/]+)/.exec(u)?.[1]?.toLowerCase();

  it('each held-out part shares no document and no GitHub repository with any other part', () => {
    for (const [name, part] of parts) {
      if (!name.startsWith('holdout-')) continue;
      const docs = new Set(part.map((r) => r.source));
      const repos = new Set([...docs].map(repo).filter(Boolean));
      for (const [other, rs] of parts) {
        if (other === name) continue;
        for (const r of rs) {
          expect(docs.has(r.source), `${other} uses ${name}'s ${r.source}`).toBe(false);
          expect(repos.has(repo(r.source)), `${other} uses ${name}'s repository ${r.source}`).toBe(false);
        }
      }
      expect(docs.size, name).toBeGreaterThanOrEqual(minDocs[name] ?? 15);
    }
    expect(held.length).toBeGreaterThanOrEqual(100);
  });

  // Only the figure is printed: the misses of a blind part are not to be read while writing patterns.
  it(`the fourth held-out part (v4) is classified at least ${HOLDOUT_V4_FLOOR * 100} % right`, () => {
    expect(measure('held-out part (v4)', heldV4, false)).toBeGreaterThanOrEqual(HOLDOUT_V4_FLOOR);
  });

  it(`the fifth held-out part (v5) is classified at least ${HOLDOUT_V5_FLOOR * 100} % right`, () => {
    expect(measure('held-out part (v5)', heldV5, false)).toBeGreaterThanOrEqual(HOLDOUT_V5_FLOOR);
  });

  it(`the sixth held-out part (v6) is classified at least ${HOLDOUT_V6_FLOOR * 100} % right`, () => {
    expect(measure('held-out part (v6)', heldV6, false)).toBeGreaterThanOrEqual(HOLDOUT_V6_FLOOR);
  });

  it(`the seventh held-out part (v7) is classified at least ${HOLDOUT_V7_FLOOR * 100} % right`, () => {
    expect(measure('held-out part (v7)', heldV7, false)).toBeGreaterThanOrEqual(HOLDOUT_V7_FLOOR);
  });

  it(`the eighth held-out part (v8) is classified at least ${HOLDOUT_V8_FLOOR * 100} % right`, () => {
    expect(measure('held-out part (v8)', heldV8, false)).toBeGreaterThanOrEqual(HOLDOUT_V8_FLOOR);
  });

  it(`the ninth held-out part (v9) is classified at least ${HOLDOUT_V9_FLOOR * 100} % right`, () => {
    expect(measure('held-out part (v9)', heldV9, false)).toBeGreaterThanOrEqual(HOLDOUT_V9_FLOOR);
  });

  it(`the retired third held-out part stays at least ${RETIRED_V3_FLOOR * 100} % right (printed with its misses)`, () => {
    expect(measure('retired held-out part (v3)', heldV3, true)).toBeGreaterThanOrEqual(RETIRED_V3_FLOOR);
  });

  it(`the retired second held-out part stays at least ${RETIRED_V2_FLOOR * 100} % right (printed with its misses)`, () => {
    expect(measure('retired held-out part (v2)', held, true)).toBeGreaterThanOrEqual(RETIRED_V2_FLOOR);
  });

  it(`the retired first held-out part stays at least ${RETIRED_FLOOR * 100} % right (printed with its misses)`, () => {
    expect(measure('retired held-out part (v1)', retired, true)).toBeGreaterThanOrEqual(RETIRED_FLOOR);
  });
});

// A later training round: real texts labelled by their sources, read in full, printed with its misses.
function describeRound(name: string, part: Row[], floor: number, minDocs = 100): void {
  const others = parts.filter(([, rs]) => rs !== part).flatMap(([, rs]) => rs);
  describe(`${name} (real texts labelled by their sources)`, () => {
    it(`holds well-formed, unique lines from at least ${minDocs} documents, none shared with another part`, () => {
      const elsewhere = new Set(others.map((r) => r.reply));
      for (const r of part) {
        expect(REASONS, r.reply).toContain(r.reason);
        expect(r.source, r.reply).toMatch(/^https?:\/\//);
        expect(elsewhere.has(r.reply), r.reply).toBe(false);
      }
      expect(new Set(part.map((r) => r.reply)).size).toBe(part.length);
      expect(new Set(part.map((r) => r.source)).size).toBeGreaterThanOrEqual(minDocs);
    });
    it(`is classified at least ${floor * 100} % right (printed with its misses)`, () => {
      expect(measure(name, part, true)).toBeGreaterThanOrEqual(floor);
    });
  });
}

describeRound('second training round', round2, ROUND2_FLOOR);
describeRound('third training round', round3, ROUND3_FLOOR);
describeRound('fourth training round', round4, ROUND4_FLOOR);
describeRound('fifth training round', round5, ROUND5_FLOOR, 60);
describeRound('sixth training round', round6, ROUND6_FLOOR, 15);
describeRound('seventh training round', round7, ROUND7_FLOOR, 40);

describe('reply corpus', () => {
  it('has at least 300 sourced lines over at least 20 reasons and 15 providers or programs', () => {
    expect(rows.length).toBeGreaterThanOrEqual(300);
    expect(new Set(rows.map((r) => r.reason)).size).toBeGreaterThanOrEqual(20);
    expect(new Set(rows.map((r) => r.provider)).size).toBeGreaterThanOrEqual(15);
    for (const r of rows) {
      expect(REASONS, r.reply).toContain(r.reason);
      expect(r.source, r.reply).toMatch(/^https?:\/\//);
      expect(r.reply.trim().length, r.source).toBeGreaterThan(5);
    }
    expect(new Set(rows.map((r) => r.reply)).size).toBe(rows.length);
  });

  it('is classified at least 95 % right (table per reason)', () => {
    const per = new Map<Reason, { n: number; ok: number }>();
    const misses: string[] = [];
    let ok = 0;
    let providerOk = 0;
    for (const r of rows) {
      const got = classifyReply(input(r));
      const s = per.get(r.reason) ?? { n: 0, ok: 0 };
      s.n++;
      if (got.reason === r.reason) {
        s.ok++;
        ok++;
      } else {
        misses.push(`  ${r.reason} <- ${got.reason} [${got.patternId ?? 'from code'}] ${r.reply.replace(/\n/g, ' | ').slice(0, 110)}`);
      }
      per.set(r.reason, s);
      if (got.provider === r.provider) providerOk++;
    }
    const lines = [...per.entries()]
      .sort((a, z) => z[1].n - a[1].n || (a[0] < z[0] ? -1 : 1))
      .map(([reason, s]) => `  ${reason.padEnd(16)} ${String(s.ok).padStart(4)}/${String(s.n).padEnd(4)} ${((100 * s.ok) / s.n).toFixed(1).padStart(6)} %`);
    const overall = ok / rows.length;
    console.log(
      [
        `reply-text recognition on ${rows.length} corpus lines (${per.size} reasons, ${new Set(rows.map((r) => r.provider)).size} providers/programs)`,
        ...lines,
        `  ${'overall'.padEnd(16)} ${String(ok).padStart(4)}/${String(rows.length).padEnd(4)} ${(100 * overall).toFixed(1).padStart(6)} %`,
        `  provider named as in the corpus: ${providerOk}/${rows.length} (informational)`,
        ...(misses.length ? ['misses:', ...misses] : []),
      ].join('\n'),
    );
    expect(overall).toBeGreaterThanOrEqual(0.95);
  });

  it('gives the same answer with and without the word prefilter', () => {
    for (const r of rows) expect(classifyReply(input(r)), r.reply).toEqual(classifyReplyUnindexed(input(r)));
  });
});

describe('agreement with sisimai on its provider fragments (informational)', () => {
  it('prints how often the reasons agree', () => {
    const tsv = readFileSync(join(ROOT, 'fixtures', 'reference', 'provider-rejection-messages', 'sisimai-rhost-provider-messages.tsv'), 'utf8');
    let n = 0;
    let agree = 0;
    for (const line of tsv.split('\n').slice(1)) {
      const [, reason, , enhanced, kind, value] = line.split('\t');
      if (kind !== 'text_fragment_lowercase' || !value || !REASONS.includes(reason as Reason)) continue;
      n++;
      const e = enhanced && /^[45]\.[0-9]+\.[0-9]+$/.test(enhanced) ? { enhanced } : {};
      if (classifyReply({ text: value, ...e }).reason === reason) agree++;
    }
    console.log(`sisimai fragments: ${agree}/${n} (${((100 * agree) / n).toFixed(1)} %) get sisimai's label (fragments are partial texts; several labels differ on purpose, see fixtures/replies/SOURCE.md)`);
    expect(n).toBeGreaterThan(200);
  });
});

describe('fallback to the codes', () => {
  it('uses the enhanced code first and says the reason is inferred', () => {
    const r = classifyReply({ code: 550, enhanced: '5.1.1', text: 'Requested action not taken' });
    expect(r).toMatchObject({ reason: 'userunknown', inferred: true, permanent: true });
    expect(r.patternId).toBeUndefined();
    expect(classifyReply({ code: 552, enhanced: '5.2.2', text: 'nope' })).toMatchObject({ reason: 'mailboxfull', inferred: true });
    expect(classifyReply({ code: 550, enhanced: '5.7.26', text: 'go away' })).toMatchObject({ reason: 'authfailure', inferred: true });
    // X.7.x with no clearer wording: sisimai's status table (smtp/status Name) reads 5.7.x as
    // securityerror and 4.7.1 as blocked; the vocabulary is sisimai's, so are these priors.
    expect(classifyReply({ code: 554, enhanced: '5.7.1', text: 'Message rejected' })).toMatchObject({ reason: 'securityerror', inferred: true });
    expect(classifyReply({ code: 450, enhanced: '4.7.1', text: 'Try again' })).toMatchObject({ reason: 'blocked', inferred: true, permanent: false });
    expect(classifyReply({ code: 550, enhanced: '5.2.1', text: 'nope' })).toMatchObject({ reason: 'filtered', inferred: true });
    expect(classifyReply({ code: 451, enhanced: '4.4.1', text: 'nope' })).toMatchObject({ reason: 'expired', inferred: true });
    // sisimai's find.go: a temporary refusal of EHLO/HELO with no clearer wording refuses the client.
    expect(classifyReply({ code: 451, enhanced: '4.3.0', text: 'Temporary lookup failure', stage: 'ehlo' })).toMatchObject({ reason: 'blocked', inferred: true, permanent: false });
    expect(classifyReply({ code: 451, enhanced: '4.3.0', text: 'Temporary lookup failure', stage: 'rcpt' })).toMatchObject({ reason: 'systemerror', inferred: true });
    // A DSN's "Action: delayed" is an expiry cue, but weak: a user unknown in the same text wins.
    expect(classifyReply({ text: 'Action: delayed Status: 4.0.0 Will-Retry-Until: Wed, 9 Dec 2026 04:00:00 +0000' }).reason).toBe('expired');
    expect(classifyReply({ text: 'Action: delayed Status: 4.0.0 Diagnostic-Code: smtp; 451 Temporary local problem' }).reason).toBe('systemerror');
    expect(classifyReply({ text: 'Action: delayed Diagnostic-Code: smtp; 550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown' }).reason).toBe('userunknown');
    // ...but a text pattern outranks these weak priors.
    expect(classifyReply({ text: '451 4.4.1 Connection timed out' }).reason).toBe('networkerror');
    expect(classifyReply({ text: '550 5.2.1 Mailbox disabled, not accepting messages' }).reason).toBe('suspend');
  });

  it('falls back to the basic code when the enhanced code says nothing', () => {
    expect(classifyReply({ code: 421, text: '' })).toMatchObject({ reason: 'systemerror', inferred: true, permanent: false });
    // RFC 5321 §4.2.3: 451 is "local error in processing", a temporary server-side problem.
    expect(classifyReply({ code: 451, text: 'Error' })).toMatchObject({ reason: 'systemerror', inferred: true, permanent: false });
    expect(classifyReply({ code: 450, enhanced: '4.0.0', text: 'x' })).toMatchObject({ reason: 'undefined', inferred: true, permanent: false });
    expect(classifyReply({ code: 551, text: '' })).toMatchObject({ reason: 'hasmoved', inferred: true });
    expect(classifyReply({ code: 535, text: '' })).toMatchObject({ reason: 'securityerror', inferred: true });
  });

  it('does not call a bare "rejected" an unknown user', () => {
    for (const text of ['550 rejected', '550 Message rejected', '550 5.7.1 Rejected', '554 Transaction failed', '450 Requested mail action not taken: mailbox unavailable']) {
      expect(classifyReply({ text }).reason, text).not.toBe('userunknown');
    }
    // Exchange's legacy wording for a missing mailbox, permanent at RCPT (sisimai reads it so too).
    expect(classifyReply({ text: '550 Requested action not taken: mailbox unavailable' }).reason).toBe('userunknown');
  });

  it('reads codes from the text when they are not given, and says nothing is inferred without codes', () => {
    expect(classifyReply({ text: '550-5.1.1 first line\n550 5.1.1 second line' })).toMatchObject({ reason: 'userunknown', inferred: true, permanent: true });
    expect(classifyReply({ text: 'no codes and no known words here' })).toMatchObject({ reason: 'undefined', inferred: false, permanent: undefined });
    expect(classifyReply({ text: 'host mx.example.com[192.0.2.1] said: 452 4.2.2 box quota reached (in reply to RCPT TO command)' })).toMatchObject({ permanent: false });
  });

  it('treats 2xx and 3xx replies as positive but still names the provider', () => {
    expect(classifyReply({ code: 250, text: '2.0.0 OK' })).toMatchObject({ reason: 'undefined', permanent: undefined, inferred: false });
    expect(classifyReply({ text: '220 mx.google.com ESMTP a1-20020a056402 - gsmtp' }).provider).toBe('Gmail');
  });

  it('turns greylisting hints and "try again later" deferrals into greylisted', () => {
    const g = classifyReply({ code: 450, enhanced: '4.7.1', text: '<bob@example.com>: Recipient address rejected: Greylisted, please retry in 300 seconds' });
    expect(g).toMatchObject({ reason: 'greylisted', inferred: false, permanent: false });
    expect(g.facts.retryAfterSeconds).toBe(300);
    expect(classifyReply({ text: '451 4.7.1 Please try again later' }).reason).toBe('greylisted');
    expect(classifyReply({ text: '450 4.2.0 Try again later' }).reason).toBe('greylisted');
    // A permanent refusal that says "try later" is not greylisting.
    expect(classifyReply({ text: '550 try again later' }).reason).not.toBe('greylisted');
  });
});

describe('stage sensitivity', () => {
  it('reads "user unknown" after RCPT as an unknown recipient, after MAIL as a refused sender', () => {
    expect(classifyReply({ code: 550, enhanced: '5.1.1', text: '<bob@example.com>... User unknown', stage: 'rcpt' }).reason).toBe('userunknown');
    expect(classifyReply({ code: 550, text: '<alice@example.org>... User unknown', stage: 'mail' }).reason).toBe('rejected');
    expect(classifyReply({ text: '550 5.1.1 <alice@example.org>: User unknown (in reply to MAIL FROM command)' }).reason).toBe('rejected');
  });

  it('reads "access denied" by stage: client at the banner, sender at MAIL', () => {
    expect(classifyReply({ code: 550, text: 'Access denied', stage: 'banner' }).reason).toBe('blocked');
    expect(classifyReply({ code: 550, text: 'Access denied', stage: 'mail' }).reason).toBe('rejected');
    expect(classifyReply({ code: 550, text: 'Access denied', stage: 'rcpt' }).reason).toBe('policyviolation');
  });

  it('reads a bare 554 at the banner as a refused client, elsewhere as unknown', () => {
    expect(classifyReply({ code: 554, text: 'mx.example.com', stage: 'banner' })).toMatchObject({ reason: 'blocked', inferred: true });
    expect(classifyReply({ code: 554, text: 'mx.example.com', stage: 'rcpt' })).toMatchObject({ reason: 'undefined', inferred: true });
    expect(classifyReply({ code: 554, text: '5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org', stage: 'banner' }).reason).toBe('blocked');
  });

  it('accepts the stage names of the session and of logs', () => {
    expect(classifyReply({ code: 554, text: 'x', stage: 'connect' }).reason).toBe('blocked');
    expect(classifyReply({ code: 552, text: 'x', stage: 'data' }).reason).toBe('mesgtoobig');
    expect(classifyReply({ code: 552, text: 'x', stage: 'rcpt' }).reason).toBe('mailboxfull');
  });
});

describe('specific patterns win over generic ones, deterministically', () => {
  it('names the provider and its help page', () => {
    const r = classifyReply({ text: "550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy." });
    expect(r).toMatchObject({ reason: 'authfailure', provider: 'Gmail', patternId: 'gmail.dmarc', reference: 'https://support.google.com/mail/?p=DmarcRejection' });
    const m = classifyReply({ text: '550 5.7.606 Access denied, banned sending IP [192.0.2.1]. To request removal from this list please visit https://sender.office.com/' });
    expect(m).toMatchObject({ reason: 'blocked', provider: 'Microsoft 365', reference: 'https://sender.office.com/' });
  });

  it('lets the text win over a misleading enhanced code', () => {
    expect(classifyReply({ text: '552 5.1.1 Boite du destinataire pleine. Recipient overquota. OFR_417 [417]' }).reason).toBe('mailboxfull');
    expect(classifyReply({ text: '451 4.2.2 Server accepts messages only on TLS connection' }).reason).toBe('failedstarttls');
  });

  it('uses the provider hint for wording only that provider gives a meaning', () => {
    expect(classifyReply({ text: '550 5.1.1 <bob@cox.net> recipient rejected' }).reason).toBe('userunknown');
    expect(classifyReply({ text: '550 5.1.1 <bob@example.org> recipient rejected' }).patternId).not.toBe('cox.recipient-rejected');
    expect(classifyReply({ code: 550, text: 'recipient rejected', host: 'cxr.mx.a.cox.net' }).reason).toBe('userunknown');
  });

  it('answers the same for the same input', () => {
    for (const r of rows.slice(0, 50)) expect(classifyReply(input(r))).toEqual(classifyReply(input(r)));
  });
});

describe('facts stated by the text', () => {
  it('finds the blocklist zone, the client IP and the lookup URL', () => {
    const r = classifyReply({ text: '554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.5' });
    expect(r).toMatchObject({ reason: 'blocked', provider: 'Spamhaus', reference: 'https://check.spamhaus.org/' });
    expect(r.facts).toEqual({ zones: ['zen.spamhaus.org'], ips: ['203.0.113.5'], urls: ['https://www.spamhaus.org/query/ip/203.0.113.5'] });
  });

  it('maps list names to zones and handles IPv6', () => {
    expect(extractFacts('554 Service unavailable; Client host [192.0.2.1] blocked using Barracuda Reputation; http://www.barracudanetworks.com/reputation/?r=1&ip=192.0.2.1').zones).toEqual(['b.barracudacentral.org']);
    expect(extractFacts('550 Rejected because 198.51.100.9 is in a black list at bl.spamcop.net').zones).toEqual(['bl.spamcop.net']);
    expect(extractFacts('550 5.7.1 Mail from IP 192.0.2.1 was rejected due to listing in Spamhaus SBL.').zones).toEqual(['sbl.spamhaus.org']);
    expect(extractFacts("553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.25, because the ip is in Spamhaus's list").zones).toEqual(['zen.spamhaus.org']);
    expect(extractFacts('IP 192.0.2.1 is UCEPROTECT-Level1 listed').zones).toEqual(['dnsbl-1.uceprotect.net']);
    const v6 = extractFacts('554 5.7.1 Service unavailable; Client host [2001:DB8::25] blocked using zen.spamhaus.org');
    expect(v6).toMatchObject({ zones: ['zen.spamhaus.org'], ips: ['2001:db8::25'] });
    expect(extractFacts('550 5.7.1 rejected, IP 203.0.113.5 is on our list').ips).toEqual(['203.0.113.5']);
  });

  it('does not take versions, internal codes or times for IP addresses', () => {
    const y = extractFacts('421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes');
    expect(y.ips).toEqual(['192.0.2.25']);
    expect(y.providerCodes).toEqual(['TSS04']);
    expect(extractFacts('451 4.7.1 Greylisting in action, please come back in 00:05:00').ips).toBeUndefined();
    expect(extractFacts('Postfix 3.7.10.1 says hello').ips).toBeUndefined();
  });

  it('finds provider reference codes', () => {
    const codes = (t: string): string[] | undefined => extractFacts(t).providerCodes;
    expect(codes('part of their network is on our block list (S3150). [DB5EUR03FT030.eop-EUR03.prod.protection.outlook.com]')).toEqual(['S3150']);
    expect(codes('550 5.7.511 Access denied, banned sender[192.0.2.1]. AS(1410)')).toEqual(['AS(1410)']);
    expect(codes('550 5.7.606 Access denied, banned sending IP [192.0.2.1] (AS16012609)')).toEqual(['AS16012609']);
    expect(codes('554 192.0.2.1 rejected. AUP#CXBL')).toEqual(['AUP#CXBL']);
    expect(codes('554 Connection refused. This IP address is listed on the Spamhaus Block List (SBL). IB104')).toEqual(['IB104']);
    expect(codes('550 5.7.1 POL-P1 http://postmaster.facebook.com/response_codes?ip=192.0.2.54#pol')).toEqual(['POL-P1']);
    expect(codes('550 5.1.1 Invalid recipient. LPN416')).toEqual(['LPN416']);
    expect(codes('421 mwinf5c77 ME Service refuse. OFR_999 [999]')).toEqual(['OFR_999']);
    expect(codes('550 5.7.1 [CS01] Message rejected due to local policy')).toEqual(['CS01']);
    expect(codes('554 comcast 192.0.2.1 found on one or more DNSBLs, see http://postmaster.comcast.net/smtp-error-codes.php#BL000001')).toEqual(['BL000001']);
  });

  it('finds retry hints and addresses', () => {
    expect(extractFacts('450 4.7.1 Greylisted, try again in 5 minutes').retryAfterSeconds).toBe(300);
    expect(extractFacts('451 4.7.1 Please retry after 300 seconds').retryAfterSeconds).toBe(300);
    expect(extractFacts('451 4.7.1 Greylisting in action, please come back in 00:05:00').retryAfterSeconds).toBe(300);
    expect(extractFacts('450 4.7.1 <bob@example.com>: Recipient address rejected: Greylisted for 5 minutes').retryAfterSeconds).toBe(300);
    expect(extractFacts('450 Deferred, wait 2 hours').retryAfterSeconds).toBeUndefined();
    expect(extractFacts('550 5.1.1 <bob@example.com>: Recipient address rejected').addresses).toEqual(['bob@example.com']);
  });

  it('leaves out what the text does not state', () => {
    expect(extractFacts('550 5.1.1 User unknown')).toEqual({});
  });
});

describe('wording in other languages', () => {
  const cases: [string, Reason][] = [
    ['550 5.1.1 Utilisateur inconnu', 'userunknown'],
    ['550 5.1.1 <bob@example.fr>: adresse inexistante', 'userunknown'],
    ['550 5.1.1 Benutzer unbekannt', 'userunknown'],
    ['550 5.1.1 Empfänger existiert nicht', 'userunknown'],
    ['550 5.1.1 Utente sconosciuto', 'userunknown'],
    ['550 5.1.1 Usuario desconocido', 'userunknown'],
    ['550 5.1.1 Usuário inexistente', 'userunknown'],
    ['550 5.1.1 Gebruiker onbekend', 'userunknown'],
    ['550 5.1.1 Пользователь не найден', 'userunknown'],
    ['550 5.1.1 Nieznany użytkownik', 'userunknown'],
    ['550 5.1.1 Kullanıcı bulunamadı', 'userunknown'],
    ['550 该用户不存在', 'userunknown'],
    ['552 5.2.2 Casella piena', 'mailboxfull'],
    ['552 5.2.2 Boîte aux lettres pleine', 'mailboxfull'],
    ['552 5.2.2 Postfach voll', 'mailboxfull'],
    ['552 5.2.2 Buzón lleno', 'mailboxfull'],
    ['552 5.2.2 Caixa postal cheia', 'mailboxfull'],
    ['552 5.2.2 Почтовый ящик переполнен', 'mailboxfull'],
    ['550 5.2.1 Le compte du destinataire est bloqué', 'suspend'],
    ['550 5.2.1 Konto gesperrt', 'suspend'],
    ['451 4.7.1 Veuillez réessayer plus tard', 'greylisted'],
    ['451 4.7.1 Bitte später erneut versuchen', 'greylisted'],
    ['451 4.7.1 Inténtelo más tarde', 'greylisted'],
    ['451 4.7.1 Riprova più tardi', 'greylisted'],
    ['451 4.7.1 Попробуйте позже', 'greylisted'],
    ['554 5.7.1 Votre adresse IP est bloquée (liste noire)', 'blocked'],
    ['554 5.7.1 IP-Adresse gesperrt', 'blocked'],
    ['552 5.3.4 Message trop volumineux', 'mesgtoobig'],
    ['554 5.7.1 Nachricht als Spam erkannt', 'spamdetected'],
    ['550 5.7.1 Relais non autorisé', 'norelaying'],
    ['550 5.1.8 Absender ungültig', 'rejected'],
    ['535 5.7.8 Authentification échouée', 'securityerror'],
    ['421 4.7.0 Trop de connexions', 'toomanyconn'],
    ['550 5.1.2 Domaine inexistant', 'hostunknown'],
  ];
  for (const [text, reason] of cases) {
    it(`${text} → ${reason}`, () => expect(classifyReply({ text }).reason).toBe(reason));
  }
});

describe('pattern data', () => {
  const data = JSON.parse(readFileSync(join(ROOT, 'data', 'reply-patterns.json'), 'utf8')) as {
    reasons: Record<string, { title: string; meaning: string; action: string }>;
    patterns: { id: string; reason: string; match: string[]; meaning?: string; action?: string; source: string; reference?: string }[];
  };
  const DOUBLED = /(?<![\p{L}\p{N}])([\p{L}]+)\s+\1(?![\p{L}\p{N}])/iu;

  it('has every reason of the vocabulary, with a title, a meaning and an action', () => {
    expect(Object.keys(data.reasons).sort()).toEqual([...REASONS].sort());
    for (const r of REASONS) expect(reasonTitle(r).length).toBeGreaterThan(3);
  });

  it('has unique ids, a source for every pattern and well-formed texts', () => {
    const ids = data.patterns.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const texts: [string, string][] = Object.entries(data.reasons).flatMap(([k, v]) => [[`${k}.meaning`, v.meaning], [`${k}.action`, v.action]] as [string, string][]);
    for (const p of data.patterns) {
      expect(p.source, p.id).toMatch(/^https?:\/\//);
      for (const re of p.match) expect(() => new RegExp(re, 'i'), `${p.id}: ${re}`).not.toThrow();
      // A doubly escaped class ("\\\\b") matches a backslash and a letter, never what was meant.
      for (const re of p.match) expect(re, `${p.id}: ${re}`).not.toMatch(/\\\\[bBdDsSwW]/);
      // An alternative that starts or ends with a space, or ends with the '@' of an address, never
      // matches at a word boundary (a word character always follows).
      for (const re of p.match) if (typeof re === 'string') expect(re.trim(), `${p.id}: '${re}'`).toBe(re);
      for (const re of p.match) if (typeof re === 'string') expect(re.endsWith('@'), `${p.id}: '${re}'`).toBe(false);
      if (p.meaning) texts.push([`${p.id}.meaning`, p.meaning]);
      if (p.action) texts.push([`${p.id}.action`, p.action]);
    }
    for (const [where, t] of texts) {
      expect(t.trim(), where).toBe(t);
      expect(DOUBLED.exec(t)?.[0], `${where} has no doubled word`).toBeUndefined();
      expect(/[.!?)]$/.test(t), `${where} ends a sentence`).toBe(true);
    }
  });

  it('covers the providers and programs the issue names', () => {
    const providers = new Set(data.patterns.map((p) => (p as { provider?: string }).provider).filter(Boolean));
    for (const name of ['Gmail', 'Microsoft 365', 'Outlook.com', 'Exchange Server', 'Yahoo', 'Apple iCloud', 'Proofpoint', 'Mimecast', 'Barracuda', 'Cisco Secure Email', 'Spamhaus', 'SpamCop', 'Postfix', 'Exim', 'Sendmail', 'qmail', 'Zimbra', 'Haraka', 'GoDaddy', 'Cox', 'Orange', 'La Poste', 'Tencent', 'Facebook', 'Comcast']) {
      expect(providers, name).toContain(name);
    }
  });

  it('indexes nearly every pattern by a word or a literal, so a line is tested against few', () => {
    const s = recognitionStats();
    console.log(`recognition catalog: ${s.patterns} patterns, ${s.regexes} regexes, ${s.indexedWords} index words, ${s.needles} substring needles, ${s.alwaysTested} tested on every line`);
    expect(s.alwaysTested).toBeLessThanOrEqual(Math.ceil(s.patterns * 0.02));
  });
});
