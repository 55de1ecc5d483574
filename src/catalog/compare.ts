// Comparison of two or more reply codes: an opening line on their classes, each code's section,
// key differences that name what differs (the stage each comes at, who must act, whether a
// retry helps, the typical causes, a real reply line), a table of those facts, and when each
// code is the one to expect or send. Plain data; no rendering.
import { UsageError } from '../errors.js';
import { REPLY_CODE_INDEX, type Lang, type ReplyCodeEntry } from './data.js';
import { explainCode, type CodeExplanation, type ReplyClass } from './explain.js';
import { joinStages, label } from './i18n.js';
import { say } from './messages.js';

/** One row of the comparison table: the facts that tell the codes apart. */
export interface ComparisonRow {
  code: string;
  name: string;
  class: ReplyClass;
  /** The stages the code typically comes at (the catalog's main stages). */
  stages: string[];
  /** Those stages in the output language. */
  comesAt: string;
  /** Whether retrying helps, in one sentence, and its first words for a table cell. */
  retry: string;
  retryShort: string;
  /** Who must act, in one sentence, and its first words for a table cell. */
  actor: string;
  actorShort: string;
  causes: string;
  /** A real reply line (the server's words, untranslated), when the catalog has one. */
  example?: string;
  /** When a server sends this code, or when to expect it. */
  use: string;
}

export interface Comparison {
  kind: 'comparison';
  lang: Lang;
  title: string;
  summary: string;
  /** The first two codes (kept for the two-code page and its JSON). */
  a: CodeExplanation;
  b: CodeExplanation;
  /** Every compared code, in the order given. */
  codes: CodeExplanation[];
  table: ComparisonRow[];
  differences: string[];
  whenToUse: string[];
  /** Comparison facts shown in English because the catalog lacks their translation ("550.actor"). */
  fallback?: string[];
}

const MAX_CODES = 8;
type CmpField = 'actor' | 'retry' | 'causes' | 'use';

/** An enhanced code given where a reply code belongs gets its own hint, not "did you mean 500". */
function replyCode(input: string, lang: Lang): CodeExplanation {
  const s = input.trim();
  if (/^[245X]\.[0-9]{1,3}\.[0-9]{1,3}$/i.test(s)) {
    throw new UsageError(say('usage.compare.enhanced', { value: s }));
  }
  return explainCode(s, lang);
}

/** The words before the first colon: "No: the same address…" → "No" (a table cell). */
function head(s: string): string {
  const m = /^(.{1,90}?)\s?[:：]\s/u.exec(s);
  return (m?.[1] ?? s).replace(/[.。।]$/u, '');
}

const ACTOR: Record<ReplyClass, string> = { '2xx': 'actor.none', '3xx': 'actor.intermediate', '4xx': 'actor.wait', '5xx': 'actor.sender' };

/** What a code the catalog lacks (571) can say: its class's actor and outcome, the text's reason. */
function classDefault(f: CmpField, cls: ReplyClass, code: string, lang: Lang): string {
  if (f === 'actor') return label(lang, ACTOR[cls]);
  if (f === 'retry') return label(lang, `outcome.${cls}`, { code });
  return label(lang, `generic.${f}`);
}

function field(e: ReplyCodeEntry | undefined, f: CmpField, cls: ReplyClass, lang: Lang, fb: string[], code: string): string {
  if (!e || e[f] === undefined) return classDefault(f, cls, code, lang);
  const own = e.i18n?.[lang]?.[f];
  if (own && lang !== 'en') return own;
  if (lang !== 'en') fb.push(`${code}.${f}`);
  return e[f] as string;
}

function row(x: CodeExplanation, lang: Lang, fb: string[]): ComparisonRow {
  const e = REPLY_CODE_INDEX.get(x.code);
  const stages = e?.mainStages ?? x.stages;
  const retry = field(e, 'retry', x.class, lang, fb, x.code);
  const actor = field(e, 'actor', x.class, lang, fb, x.code);
  const r: ComparisonRow = {
    code: x.code, name: x.name, class: x.class, stages, comesAt: joinStages(lang, stages),
    retry, retryShort: head(retry), actor, actorShort: head(actor),
    causes: field(e, 'causes', x.class, lang, fb, x.code),
    use: field(e, 'use', x.class, lang, fb, x.code),
  };
  if (x.example) r.example = x.example;
  return r;
}

/** "220 and 250" / "500, 550 and 554" in the language's words. */
function joinCodes(lang: Lang, codes: readonly string[]): string {
  if (codes.length <= 1) return codes[0] ?? '';
  return `${codes.slice(0, -1).join(', ')} ${label(lang, 'and')} ${codes[codes.length - 1]}`;
}

function sameSet(x: readonly string[], y: readonly string[]): boolean {
  return x.length === y.length && x.every((v) => y.includes(v));
}

/** Compare two or more reply codes (explain 220 250 500 550 554). */
export function compareMany(inputs: readonly string[], lang: Lang): Comparison {
  if (inputs.length < 2) throw new UsageError(say('usage.compare.two'));
  if (inputs.length > MAX_CODES) throw new UsageError(say('usage.compare.max', { max: MAX_CODES, n: inputs.length }));
  const codes = inputs.map((c) => replyCode(c, lang));
  const seen = new Set<string>();
  for (const c of codes) {
    if (seen.has(c.code)) throw new UsageError(say('usage.compare.twice', { code: c.code }));
    seen.add(c.code);
  }
  const fb: string[] = [];
  const table = codes.map((x) => row(x, lang, fb));
  const [a, b] = codes as [CodeExplanation, CodeExplanation];
  const [ra, rb] = table as [ComparisonRow, ComparisonRow];
  const two = codes.length === 2;
  const classes = [...new Set(codes.map((x) => x.class))];
  const vars = { a: a.code, aName: a.name, aClass: a.className, b: b.code, bName: b.name, bClass: b.className, class: a.className };

  const title = two
    ? label(lang, 'compare.title', vars)
    : `SMTP ${codes.map((x) => `${x.code} ${x.name}`).join(` ${label(lang, 'vs')} `)}`;
  const summary = two
    ? label(lang, a.class === b.class ? 'compare.sameClass' : 'compare.diffClass', vars)
    : classes.map((cls) => label(lang, 'compare.group', {
      codes: joinCodes(lang, codes.filter((x) => x.class === cls).map((x) => x.code)),
      class: label(lang, `class.${cls}`),
    })).join(' ');

  // What tells the codes apart: class and permanence, then stage, actor, retry, causes, examples.
  const per = (f: (r: ComparisonRow) => string): string => table.map((r) => label(lang, 'codeColon', { code: r.code, text: f(r) })).join(' ');
  const differences: string[] = [];
  if (two) {
    differences.push(label(lang, a.class === b.class ? 'diff.sameClass' : 'diff.class', vars));
    if (a.class !== b.class) differences.push(label(lang, `outcome.${a.class}`, { code: a.code }), label(lang, `outcome.${b.class}`, { code: b.code }));
    differences.push(sameSet(ra.stages, rb.stages)
      ? label(lang, 'diff.sameStages', { stages: ra.comesAt })
      : label(lang, 'diff.stages', { ...vars, aStages: ra.comesAt, bStages: rb.comesAt }));
  } else {
    differences.push(summary);
    differences.push(label(lang, 'diff.stagesMany', { list: table.map((r) => label(lang, 'codeColon', { code: r.code, text: r.comesAt })).join(label(lang, 'listSep')) }));
  }
  differences.push(label(lang, 'diff.who', { list: per((r) => r.actor) }));
  differences.push(label(lang, 'diff.retry', { list: per((r) => r.retry) }));
  differences.push(label(lang, 'diff.causes', { list: per((r) => r.causes) }));
  const examples = table.filter((r) => r.example);
  if (examples.length > 0) differences.push(label(lang, 'diff.examples', { list: examples.map((r) => label(lang, 'quoted', { text: r.example ?? '' })).join(' · ') }));

  const out: Comparison = {
    kind: 'comparison', lang, title, summary, a, b, codes, table, differences,
    whenToUse: table.map((r) => label(lang, 'use.line', { code: r.code, name: r.name, fix: r.use })),
  };
  if (fb.length > 0) out.fallback = fb;
  return out;
}

/** The two-code comparison page (explain 220 554). */
export function compareCodes(codeA: string, codeB: string, lang: Lang): Comparison {
  return compareMany([codeA, codeB], lang);
}
