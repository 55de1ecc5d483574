// The output sentences of probe, verify, auth, blocklist and demo in five languages
// (data/messages.json), keyed, with {placeholders}. The core writes its sentences in English
// through say(key, params), so the JSON keeps its English text and every such sentence has a
// key; renderers localise with t(lang, key, params) for their own words, and localize(lang,
// text) for a sentence the core returned: the catalog maps it back to key + params (results
// read back from a file or a queue render in any language too). Unknown text stays as it is.
import messagesJson from '../../data/messages.json' with { type: 'json' };
import type { Lang } from './data.js';
import { isZoneText, zoneTextIn } from './zone-text.js';

/** Values by placeholder name; undefined (a value the core does not have) prints as nothing. */
export type MsgParams = Record<string, string | number | undefined>;
export interface Msg { key: string; params: MsgParams }
type Entry = Record<Lang, string> & { note?: string };

export const MESSAGES: Record<string, Entry> = (messagesJson as unknown as { messages: Record<string, Entry> }).messages;

const PLACEHOLDER = /\{(\w+)\}/g;

/** The placeholder names of a template, in order of appearance (repeats kept). */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

/** Placeholders whose name ends in a suffix hold a value another catalog translates (a
 *  reply-text reason's title: `{titleReason}`, registered by reason-text.ts). */
const valueLocalizers = new Map<string, (lang: Lang, value: string) => string>();
export function registerValueLocalizer(suffix: string, fn: (lang: Lang, value: string) => string): void {
  valueLocalizers.set(suffix, fn);
}

function fill(template: string, params: MsgParams, lang: Lang): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    const v = params[name];
    if (v === undefined) return name in params ? '' : whole;
    if (lang !== 'en') for (const [suffix, fn] of valueLocalizers) if (name.endsWith(suffix)) return fn(lang, String(v));
    // A nested sentence ({…Msg}) is localised in turn; values (hosts, codes) are kept.
    return name.endsWith('Msg') && lang !== 'en' ? localize(lang, String(v)) : String(v);
  });
}

/** The key under which a data text with its own translations reads (a blocklist answer's
 *  meaning from data/dnsbl-zones.json): t() gives its translation, or the text as it is. */
const DATA_TEXT = '=data-text';

/** The sentence `key` in `lang` (English when the key lacks it: the test forbids that). */
export function t(lang: Lang, key: string, params: MsgParams = {}): string {
  if (key === DATA_TEXT) return zoneTextIn(lang, String(params.text)) ?? String(params.text);
  const e = MESSAGES[key];
  if (!e) return key;
  return fill(e[lang] ?? e.en, params, lang);
}

/** The core's English sentence for `key`: what the JSON carries and what localize() reads back. */
export function say(key: string, params: MsgParams = {}): string {
  if (!MESSAGES[key]) throw new Error(`unknown message key ${key}`);
  return t('en', key, params);
}

interface Matcher { key: string; re: RegExp; names: string[]; literal: number; anchor: string }

let matchers: Matcher[] | undefined;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Keys of the renderers' own words (status words, tags, column labels): printed with t(),
 *  never read back, so a value like a result word "fail" is never taken for one of them. */
export const RENDER_ONLY = /^(?:word|status|verify\.verdict|bl\.tag|bl\.kind|auth\.mark|auth\.dkim\.status|auth\.alignment|auth\.result|cli\.see-help|security\.status)\b/;

function compile(): Matcher[] {
  const out: Matcher[] = [];
  for (const [key, e] of Object.entries(MESSAGES)) {
    if (RENDER_ONLY.test(key)) continue;
    const parts = e.en.split(PLACEHOLDER); // literal, name, literal, name, …, literal
    const literals = parts.filter((_, i) => i % 2 === 0);
    const names = parts.filter((_, i) => i % 2 === 1);
    // Lazy captures between literals; the last capture takes the rest of the line.
    const body = parts.map((x, i) => (i % 2 === 0 ? escape(x) : i === parts.length - 2 && parts[parts.length - 1] === '' ? '([\\s\\S]*)' : '([\\s\\S]*?)')).join('');
    const anchor = literals.reduce((a, b) => (b.length > a.length ? b : a), '');
    out.push({ key, re: new RegExp(`^${body}$`), names, literal: literals.join('').length, anchor });
  }
  // The most specific template first: a catch-all like "{host}: {reasonMsg}" only when nothing else fits.
  return out.sort((a, b) => b.literal - a.literal);
}

type Whole = { msg: Msg; score: number };
/** How a text reads: one sentence, sentences joined by a separator, or a catalog phrase made a
 *  sentence ("Capital first."). `score` counts the characters template words explain. */
type Reading =
  | { kind: 'whole'; msg: Msg; score: number }
  | { kind: 'joined'; sep: string; runs: { text: string; reading?: Reading }[]; score: number }
  | { kind: 'sentence'; msg: Msg; score: number }
  | { kind: 'undotted'; msg: Msg; score: number }
  | { kind: 'embedded'; msg: Msg; score: number };

const wholeCache = new Map<string, Whole | null>();
const anyCache = new Map<string, Reading | null>();

/**
 * The best reading of `text` as one catalog sentence: among the templates that match, the one
 * that explains most of the text with template words, nested sentences ({…Msg}) counted by
 * their own best reading. So "{host}: {textMsg}" over a known sentence beats a template that
 * happens to match with a value swallowing half of a sentence.
 */
function read(text: string, depth = 0): Whole | null {
  const hit = wholeCache.get(text);
  if (hit !== undefined) return hit;
  matchers ??= compile();
  let best: Whole | null = isZoneText(text) ? { msg: { key: DATA_TEXT, params: { text } }, score: text.length } : null;
  for (const m of matchers) {
    if (best && best.score >= text.length) break; // every character explained: nothing can beat it
    if (m.anchor && !text.includes(m.anchor)) continue;
    const r = m.re.exec(text);
    if (!r) continue;
    const params: MsgParams = {};
    let score = m.literal;
    m.names.forEach((n, i) => {
      if (params[n] !== undefined) return;
      const v = r[i + 1] ?? '';
      params[n] = v;
      if (n.endsWith('Msg') && v !== '' && depth < 8) score += readAny(v, depth + 1)?.score ?? 0;
    });
    if (!best || score > best.score) best = { msg: { key: m.key, params }, score };
  }
  if (wholeCache.size > 20_000) wholeCache.clear();
  wholeCache.set(text, best);
  return best;
}

/** How the core joins sentences: "a; b", "a · b", "a, b" and "First sentence. Second one." */
const JOINS = [
  { split: /; /, sep: '; ' },
  { split: / · /, sep: ' · ' },
  { split: /, /, sep: ', ' },
  { split: /(?<=[.!?)]) (?=[\p{Lu}\d])/u, sep: ' ' },
] as const;

/** The best reading of `text` whole, joined or as a sentence-cased phrase; null for text the
 *  catalog does not know. */
function readAny(text: string, depth = 0): Reading | null {
  const hit = anyCache.get(text);
  if (hit !== undefined) return hit;
  const whole = read(text, depth);
  let best: Reading | null = whole ? { kind: 'whole', ...whole } : null;
  for (const j of JOINS) {
    if (!j.split.test(text)) continue;
    const r = readJoined(text, j.split, depth);
    if (r.score > (best?.score ?? 0)) best = r;
  }
  // Read as a catalog phrase only when the phrase explains most of the text (not a generic
  // "{a}: {b}" over some other sentence).
  if (/^\p{Lu}[^]*\.$/u.test(text)) {
    const inner = read(`${text.charAt(0).toLowerCase()}${text.slice(1, -1)}`, depth);
    if (inner && inner.score * 2 >= text.length && inner.score + 1 > (best?.score ?? 0)) best = { kind: 'sentence', msg: inner.msg, score: inner.score + 1 };
  }
  if (!/[.!?]$/.test(text)) {
    // A sentence whose final period the core cut off to join it into another one.
    const dotted = read(`${text}.`, depth);
    if (dotted && dotted.score * 2 >= text.length && dotted.score - 1 > (best?.score ?? 0)) best = { kind: 'undotted', msg: dotted.msg, score: dotted.score - 1 };
    // A sentence the core set inside another one: first letter lowered, final period cut
    // ("3 queries failed: the list answered …").
    if (/^\p{Ll}/u.test(text)) {
      const whole = read(`${text.charAt(0).toUpperCase()}${text.slice(1)}.`, depth);
      if (whole && whole.score * 2 >= text.length && whole.score - 1 > (best?.score ?? 0)) best = { kind: 'embedded', msg: whole.msg, score: whole.score - 1 };
    }
  }
  if (anyCache.size > 20_000) anyCache.clear();
  anyCache.set(text, best);
  return best;
}

/** `text` split at `split`, except inside a quoted value ("v=DMARC1; p=none" is one value). */
function splitOutsideQuotes(text: string, split: RegExp): string[] {
  const quoted = [...text.matchAll(/"[^"\n]*"|«[^»\n]*»|“[^”\n]*”/g)].map((m) => [m.index, m.index + m[0].length] as const);
  const parts: string[] = [];
  let from = 0;
  for (const m of text.matchAll(new RegExp(split.source, `${split.flags.replace('g', '')}g`))) {
    if (quoted.some(([a, b]) => m.index > a && m.index < b)) continue;
    parts.push(text.slice(from, m.index));
    from = m.index + m[0].length;
  }
  parts.push(text.slice(from));
  return parts;
}

/** The text read as runs of parts (a sentence may hold the separator itself), the longest
 *  known run first; unknown runs stay as they are. */
function readJoined(text: string, split: RegExp, depth: number): Reading & { kind: 'joined' } {
  const parts = splitOutsideQuotes(text, split);
  if (parts.length < 2) return { kind: 'joined', sep: ' ', runs: [{ text }], score: 0 };
  const sep = text.slice(parts[0]!.length).match(split)?.[0] ?? ' ';
  const runs: { text: string; reading?: Reading }[] = [];
  let score = 0;
  let prevKnown = false;
  for (let i = 0; i < parts.length;) {
    let j = i === 0 ? parts.length - 1 : parts.length; // the whole text is read elsewhere
    // The longest run that one sentence explains for the most part (not a generic template
    // such as "{term} in {domain}" swallowing the separator between two sentences).
    for (; j > i + 1; j--) {
      const run = parts.slice(i, j).join(sep);
      if ((read(run, depth)?.score ?? 0) * 2 >= run.length) break;
    }
    const run = parts.slice(i, j).join(sep);
    const reading = run === text ? null : readAny(run, depth + 1);
    runs.push(reading ? { text: run, reading } : { text: run });
    // A separator counts as explained only between two known sentences: next to an unknown run
    // it may as well be part of a value ("auto, none") that a whole reading leaves to a placeholder.
    score += (reading?.score ?? 0) + (i > 0 && reading && prevKnown ? sep.length : 0);
    prevKnown = reading !== null;
    i = j;
  }
  return { kind: 'joined', sep, runs, score };
}

function render(lang: Lang, r: Reading): string {
  switch (r.kind) {
    case 'whole': return t(lang, r.msg.key, r.msg.params);
    case 'joined': return r.runs.map((x) => (x.reading ? render(lang, x.reading) : x.text)).join(lang === 'fr' && r.sep === '; ' ? ' ; ' : r.sep);
    case 'undotted': return t(lang, r.msg.key, r.msg.params).replace(/[.।]$/u, '');
    case 'embedded': {
      // Lower the first letter as the core did, unless it begins a name (Spamhaus, DNSWL…):
      // a word the English sentence also writes capitalised after its start.
      const local = t(lang, r.msg.key, r.msg.params).replace(/[.।]$/u, '');
      const first = /^[\p{L}\p{M}]+/u.exec(local)?.[0] ?? '';
      const english = t('en', r.msg.key, r.msg.params);
      const name = first === '' || first.length > 1 && first === first.toUpperCase() || english.slice(1).includes(first);
      return name ? local : `${local.charAt(0).toLocaleLowerCase(lang)}${local.slice(1)}`;
    }
    case 'sentence': {
      const local = t(lang, r.msg.key, r.msg.params);
      return `${local.charAt(0).toUpperCase()}${local.slice(1)}${lang === 'hi' ? '।' : '.'}`;
    }
  }
}

/** The key and parameters of an English catalog sentence, or undefined for any other text. */
export function identify(text: string): Msg | undefined {
  return read(text)?.msg;
}

/** A sentence the core wrote with say(), in `lang`; any other text unchanged. Sentences the
 *  core joined — with "; ", " · ", ", " or as several sentences in a row — are localised one
 *  by one when that reading explains more of the text than reading it whole. */
export function localize(lang: Lang, text: string): string {
  if (lang === 'en' || text === '') return text;
  const r = readAny(text);
  return r ? render(lang, r) : text;
}

/** Like localize, for an optional text. */
export function localizeOpt(lang: Lang, text: string | undefined): string | undefined {
  return text === undefined ? undefined : localize(lang, text);
}
