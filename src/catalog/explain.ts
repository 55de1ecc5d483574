// Catalog lookups: a basic reply code, an enhanced status code, or a whole pasted reply,
// explained in the user's language, as plain data. Bad input is a UsageError whose message
// suggests the nearest valid codes. Renderers live in src/report/.
import { UsageError } from '../errors.js';
import { parsePastedReply, type Reply } from '../smtp/reply-parser.js';
import { ENHANCED, ENHANCED_INDEX, REPLY_CODES, REPLY_CODE_INDEX, type Lang, type LocalizedFields, type ReplyCodeEntry } from './data.js';
import { label } from './i18n.js';
import { classifyReply, parseReplyText, type Reason, type ReplyFacts, type TextClassification } from './match-text.js';
import { localizeReason } from './reason-text.js';
import { say } from './messages.js';
import { TRANSCRIPT_MARK } from './reply-normalize.js';

export type ReplyClass = '2xx' | '3xx' | '4xx' | '5xx';

export interface CodeExplanation {
  code: string;
  name: string;
  class: ReplyClass;
  className: string;
  description: string;
  when: string;
  fix: string;
  operatorFix?: string;
  stages: string[];
  /** How the meaning changes at the stage the reply came at (when the stage is known). */
  stageNote?: string;
  source: string;
  /** Where to read more: the RFC section the entry cites. */
  learnMore: string;
  /** A real reply line carrying this code, as servers send it (the server's words, not translated). */
  example?: string;
  /** True when the code is not in the catalog and was explained from its class alone. */
  generic?: true;
  /** For a code the catalog lacks: the catalogued codes nearest to it. */
  nearest?: string[];
  /** The fields of this object shown in English because the catalog lacks their translation. */
  fallback?: string[];
}

export interface EnhancedExplanation {
  code: string; // "5.1.1"
  title: string;
  class: string;
  classTitle: string;
  subject: string;
  subjectTitle: string;
  description: string;
  when: string;
  fix: string;
  operatorFix?: string;
  source: string;
  learnMore: string;
  /** When the class digit does not fit the registered code (5.1.5, 2.7.1, 4.1.1): what to make of it. */
  classNote?: string;
  generic?: true;
  /** For an unregistered detail: the registered codes nearest to it. */
  nearest?: string[];
  /** The fields of this object shown in English because the catalog lacks their translation. */
  fallback?: string[];
}

export interface Explanation extends Partial<CodeExplanation> {
  /** 'text': a bounce text with no reply code, explained by its words (and its enhanced code). */
  kind: 'code' | 'enhanced' | 'reply' | 'text';
  input: string;
  lang: Lang;
  enhanced?: EnhancedExplanation;
  reply?: { code: number; enhanced?: string; lines: string[]; text: string };
  /** Reply-text recognition (kind 'reply'): the reason, in `lang`, with its explanation and fix. */
  reason?: ReplyReason;
  /** Who wrote the reply text: 'Gmail', 'Microsoft 365', 'Postfix', 'Spamhaus'... */
  provider?: string;
  /** What the text states: blocklist zones, client IP, provider codes, URLs, retry hint. */
  facts?: ReplyFacts;
}

export interface ReplyReason {
  name: Reason;
  title: string;
  meaning: string;
  action: string;
  /** True when no text pattern matched and the reason comes from the codes alone. */
  inferred: boolean;
  reference?: string;
  patternId?: string;
  /** The fields shown in English because no translation exists for them in `lang`. */
  fallback?: string[];
  /** The fields that give the reason's general text in `lang`: the matched pattern's own text is not translated yet. */
  generalized?: string[];
}

const BASIC_RE = /^[0-9]{3}$/;
const ENHANCED_RE = /^([245X])\.([0-9]{1,3})\.([0-9]{1,3})$/i;

/**
 * "RFC 5321 §4.2.3" → https://www.rfc-editor.org/rfc/rfc5321#section-4.2.3 ("§6" keeps its
 * anchor too); an Internet-Draft ("draft-levine-mailbomb-header") → its datatracker page.
 */
export function rfcUrl(source: string): string {
  const m = /^RFC ([0-9]+)(?:[^§;]*§\s*([0-9]+(?:\.[0-9]+)*))?/.exec(source);
  if (m) return `https://www.rfc-editor.org/rfc/rfc${m[1]}${m[2] ? `#section-${m[2]}` : ''}`;
  const d = /^(draft-[a-z0-9-]+)/.exec(source);
  if (d) return `https://datatracker.ietf.org/doc/${d[1]}/`;
  return 'https://www.rfc-editor.org/';
}

export function classOf(code: number | string): ReplyClass {
  return `${String(code)[0]}xx` as ReplyClass;
}

/**
 * The entry's field in `lang`; when only English exists, the English text and the field's
 * name in `fallback`, so the JSON says which strings are English (never a silent switch).
 */
function pick<T extends LocalizedFields>(
  entry: T & { i18n?: Partial<Record<Lang, LocalizedFields>> },
  field: keyof LocalizedFields,
  lang: Lang,
  fallback: string[],
  path: string = field,
): string | undefined {
  const own = entry.i18n?.[lang]?.[field];
  if (lang === 'en' || own === undefined) {
    if (lang !== 'en' && entry[field] !== undefined) fallback.push(path);
    return entry[field];
  }
  return own;
}

function withFallback<T extends { fallback?: string[] }>(out: T, fallback: string[]): T {
  if (fallback.length > 0) out.fallback = fallback;
  return out;
}

function fromEntry(e: ReplyCodeEntry, lang: Lang, stage?: string): CodeExplanation {
  const fb: string[] = [];
  const out: CodeExplanation = {
    code: e.code,
    name: pick(e, 'name', lang, fb) ?? e.name,
    class: e.class,
    className: label(lang, `class.${e.class}`),
    description: pick(e, 'description', lang, fb) ?? e.description,
    when: pick(e, 'when', lang, fb) ?? e.when,
    fix: pick(e, 'fix', lang, fb) ?? e.fix,
    stages: e.stages,
    source: e.source,
    learnMore: rfcUrl(e.source),
  };
  const op = pick(e, 'operatorFix', lang, fb);
  if (op) out.operatorFix = op;
  if (e.example) out.example = e.example;
  if (stage) {
    const own = e.i18n?.[lang]?.stageNotes?.[stage];
    const en = e.stageNotes?.[stage];
    if (own && lang !== 'en') out.stageNote = own;
    else if (en) {
      out.stageNote = en;
      if (lang !== 'en') fb.push('stageNote');
    }
  }
  return withFallback(out, fb);
}

/** A code the catalog lacks (servers do send 571 and friends): explained by its class. */
function genericCode(code: string, lang: Lang): CodeExplanation {
  const cls = classOf(code);
  const base = REPLY_CODE_INDEX.get(cls === '5xx' ? '554' : cls === '4xx' ? '451' : cls === '3xx' ? '354' : '250');
  const fb: string[] = [];
  const nearest = nearestBasic(code);
  const vars = { code, cls, outcome: label(lang, `outcome.${cls}`, { code }), nearest: nearest.join(', ') };
  return withFallback<CodeExplanation>({
    code,
    name: label(lang, 'generic.name'),
    class: cls,
    className: label(lang, `class.${cls}`),
    description: label(lang, 'generic.description', vars),
    when: label(lang, 'generic.when', vars),
    // The fix of the class's catch-all code (554, 451, 354, 250) fits any code of the class.
    fix: `${label(lang, 'generic.fix', vars)} ${base ? (pick(base, 'fix', lang, fb) ?? base.fix) : ''}`.trim(),
    stages: ['any'],
    source: 'RFC 5321 §4.2.1',
    learnMore: rfcUrl('RFC 5321 §4.2.1'),
    generic: true,
    nearest,
  }, fb);
}

function nearestBasic(code: string): string[] {
  const n = Number(code);
  return [...REPLY_CODES]
    .map((e) => e.code)
    .sort((a, b) => {
      const sameA = a[0] === code[0] ? 0 : 1;
      const sameB = b[0] === code[0] ? 0 : 1;
      return sameA - sameB || Math.abs(Number(a) - n) - Math.abs(Number(b) - n) || Number(a) - Number(b);
    })
    .slice(0, 3);
}

function nearestEnhanced(cls: string, subject: number, detail: number): string[] {
  const prefix = /^[245]$/.test(cls) ? cls : '5';
  return ENHANCED.codes
    .filter((e) => !e.classes || e.classes.includes(prefix))
    .map((e) => e.code.split('.').map(Number) as [number, number, number])
    .map(([, s, d]) => ({ s, d, dist: Math.abs(s - subject) * 1000 + Math.abs(d - detail) }))
    .sort((a, b) => a.dist - b.dist || a.s - b.s || a.d - b.d)
    .slice(0, 3)
    .map(({ s, d }) => `${prefix}.${s}.${d}`);
}

/**
 * Explain one basic reply code. A well-formed code the catalog lacks (571, 559) is explained
 * from its class and names the nearest catalogued codes; anything else is a UsageError.
 */
export function explainCode(code: string, lang: Lang, opts: { stage?: string; lenient?: boolean } = {}): CodeExplanation {
  if (!BASIC_RE.test(code) || !/^[2-5]/.test(code)) {
    throw new UsageError(say('usage.explain.not-code', { value: code, near: nearestBasic(code.padEnd(3, '0').slice(0, 3)).join(', ') }));
  }
  const e = REPLY_CODE_INDEX.get(code);
  if (e) return fromEntry(e, lang, opts.stage);
  return genericCode(code, lang);
}

/** 'fits' | 'unusual' (4 for 5 or the reverse) | 'contradiction' (success digit on a failure code, or the reverse). */
function classFit(cls: string, classes: readonly string[] | undefined): 'fits' | 'unusual' | 'contradiction' {
  if (cls === 'X' || !classes || classes.includes(cls)) return 'fits';
  const success = (c: string): boolean => c === '2';
  return classes.every(success) || success(cls) ? 'contradiction' : 'unusual';
}

/**
 * Explain an enhanced status code "5.1.1" (or "X.1.1"). An unregistered detail of a known
 * subject (5.7.509) is explained from its class and subject. A class that contradicts the
 * code (2.7.1: success digit on a refusal) is a UsageError unless `lenient` (a server sent it),
 * where the explanation says so in `classNote`.
 */
export function explainEnhanced(input: string, lang: Lang, opts: { lenient?: boolean } = {}): EnhancedExplanation {
  const m = ENHANCED_RE.exec(input.trim());
  if (!m) {
    throw new UsageError(say('usage.explain.not-enhanced-form', { value: input }));
  }
  const cls = (m[1] ?? 'X').toUpperCase();
  const subject = Number(m[2]);
  const detail = Number(m[3]);
  const key = `X.${subject}.${detail}`;
  const e = ENHANCED_INDEX.get(key);
  const clsEntry = ENHANCED.classes.find((c) => c.class === cls);
  const subjEntry = ENHANCED.subjects.find((s) => s.subject === String(subject));
  if (!subjEntry) {
    throw new UsageError(say('usage.explain.unknown-enhanced', { value: input, near: nearestEnhanced(cls, subject, detail).join(', ') }));
  }
  const code = `${cls}.${subject}.${detail}`;
  const fit = e ? classFit(cls, e.classes) : 'fits';
  if (e && fit === 'contradiction' && !opts.lenient) {
    const ok = (e.classes ?? []).map((c) => `${c}.${subject}.${detail}`);
    throw new UsageError(say('usage.explain.contradicts', { value: code, key, title: e.title, classes: (e.classes ?? []).join('/'), near: ok.join(', ') }));
  }
  const fb: string[] = [];
  const classTitle = clsEntry ? (pick(clsEntry, 'title', lang, fb, 'classTitle') ?? clsEntry.title) : label(lang, 'enhancedAnyClass');
  const subjectTitle = pick(subjEntry, 'title', lang, fb, 'subjectTitle') ?? subjEntry.title;
  if (e) {
    const out: EnhancedExplanation = {
      code,
      title: pick(e, 'title', lang, fb) ?? e.title,
      class: cls,
      classTitle,
      subject: String(subject),
      subjectTitle,
      description: pick(e, 'description', lang, fb) ?? e.description,
      when: pick(e, 'when', lang, fb) ?? e.when,
      fix: pick(e, 'fix', lang, fb) ?? e.fix,
      source: e.source,
      learnMore: rfcUrl(e.source),
    };
    const op = pick(e, 'operatorFix', lang, fb);
    if (op) out.operatorFix = op;
    if (fit !== 'fits') {
      out.classNote = label(lang, `classNote.${fit}`, {
        code, generic: key, classes: (e.classes ?? []).join(', '), cls, classTitle,
      });
    }
    return withFallback(out, fb);
  }
  const classDesc = clsEntry ? (pick(clsEntry, 'description', lang, fb, 'description') ?? clsEntry.description) : '';
  const subjectDesc = pick(subjEntry, 'description', lang, fb, 'description') ?? subjEntry.description;
  const nearest = nearestEnhanced(cls, subject, detail);
  return withFallback<EnhancedExplanation>({
    code,
    title: label(lang, 'genericEnhanced.title', { subject: subjectTitle, detail: String(detail) }),
    class: cls,
    classTitle,
    subject: String(subject),
    subjectTitle,
    description: label(lang, 'genericEnhanced.description', { code, classDesc, subjectDesc }).trim(),
    when: label(lang, 'genericEnhanced.when'),
    fix: label(lang, 'genericEnhanced.fix', { nearest: nearest.join(', ') }),
    source: 'RFC 3463 §3',
    learnMore: rfcUrl('RFC 3463 §3'),
    generic: true,
    nearest,
  }, [...new Set(fb)]);
}

function replySummary(r: Reply): NonNullable<Explanation['reply']> {
  const out: NonNullable<Explanation['reply']> = { code: r.code, lines: r.lines, text: r.text };
  if (r.enhanced) out.enhanced = r.enhanced;
  return out;
}

/** Explain a reply the probe received, at a known stage: never throws on odd codes. */
export function explainReply(r: Reply, lang: Lang, stage?: string): Explanation {
  const code = String(r.code);
  const out: Explanation = {
    kind: 'reply',
    input: [code, r.enhanced, r.lines[0]].filter(Boolean).join(' '),
    lang,
    ...explainCode(code, lang, { lenient: true, ...(stage ? { stage } : {}) }),
    reply: replySummary(r),
  };
  if (r.enhanced) out.enhanced = explainEnhanced(r.enhanced, lang, { lenient: true });
  const t = classifyReply({ code: r.code, text: r.text, ...(r.enhanced ? { enhanced: r.enhanced } : {}), ...(stage ? { stage } : {}) });
  out.reason = recognition(t, lang);
  if (t.provider) out.provider = t.provider;
  out.facts = t.facts;
  return out;
}

/** The recognised reason in `lang`; what could not be given in `lang` is named, never switched silently. */
function recognition(t: TextClassification, lang: Lang): ReplyReason {
  const loc = localizeReason(t, lang);
  const out: ReplyReason = { name: t.reason, title: loc.title, meaning: loc.meaning, action: loc.action, inferred: t.inferred };
  if (loc.fallback) out.fallback = loc.fallback;
  if (loc.generalized) out.generalized = loc.generalized;
  if (t.reference) out.reference = t.reference;
  if (t.patternId) out.patternId = t.patternId;
  return out;
}

// A mail-log line's prefix before the server's words: Postfix "host mx[192.0.2.1] said: ",
// Exim "SMTP error from remote mail server after RCPT TO:<x>: ", sendmail "... to me: ".
const LOG_PREFIX = /^.*?(?:said|to me|response|remote mail server after [^:]+:<[^>]*>|remote mail server after [A-Z ]+):\s*(?=[2-5][0-9][0-9][ -])/i;
const LEAD = /^([2-5][0-9][0-9])([ -]|$)/;

/**
 * The replies a pasted text holds, each as its own lines. Continuation lines of one code join
 * ("550-…", "550 …"); a different code, or any code after a final "NNN " line, starts the next
 * reply. A line without a leading code (a wrapped line) continues the line before it; a log
 * line ("… said: 550 …") starts one, its prefix dropped and the reply lines it carries inline
 * ("550-5.7.26 a 550-5.7.26 b 550 5.7.26 c") split back into lines.
 */
export function splitPastedReplies(input: string): { text: string; source: string }[] {
  const groups: { lines: string[]; source: string[] }[] = [];
  let cur: { lines: string[]; source: string[] } | undefined;
  let code: string | undefined;
  let closed = false;
  const start = (lines: string[], raw: string): void => {
    cur = { lines, source: [raw] };
    groups.push(cur);
  };
  for (const raw of input.split(/\r?\n/)) {
    // A session transcript's server marker ("<<< 550-…", swaks' "<** 550 …") is not part of the reply.
    let line = raw.trim().replace(TRANSCRIPT_MARK, '');
    if (line === '') continue;
    const prefixed = !LEAD.test(line) && LOG_PREFIX.exec(line);
    if (prefixed) {
      line = line.slice(prefixed[0].length);
      const c = line.slice(0, 3);
      const inner = line.split(new RegExp(`\\s+(?=${c}-|${c} [245]\\.[0-9])`));
      start(inner, raw.trim());
      code = c;
      closed = !/^[2-5][0-9][0-9]-/.test(inner[inner.length - 1] ?? '');
      continue;
    }
    const m = LEAD.exec(line);
    if (!m || !cur || code === undefined || m[1] !== code || closed) {
      if (!m && cur && cur.lines.length > 0) {
        // A wrapped line (a mail client broke the reply): it continues the line before it.
        cur.lines[cur.lines.length - 1] += ` ${line}`;
        cur.source.push(line);
        continue;
      }
      start([line], line);
    } else {
      cur.lines.push(line);
      cur.source.push(line);
    }
    if (m) {
      code = m[1];
      closed = m[2] !== '-';
    }
  }
  return groups.map((g) => ({ text: g.lines.join('\n'), source: g.source.join('\n') }));
}

function explainPasted(p: { text: string; source: string }, lang: Lang): Explanation {
  // A log line says which command the reply answered ("(in reply to RCPT TO command)", "after RCPT TO").
  const parsed = parseReplyText({ text: p.source });
  const r = parsePastedReply(p.text);
  if (r) return { ...explainReply(r, lang, parsed.stage), input: p.source };
  // A reply inside the text ("Delivery failed: remote said 550 5.1.1 …"): that reply, from its code on.
  const inner = parsed.code !== undefined ? new RegExp(`(?:^|\\s)${parsed.code}[ -]`).exec(p.source) : null;
  const ri = inner ? parsePastedReply(p.source.slice(inner.index + inner[0].search(/\d/))) : undefined;
  if (ri) return { ...explainReply(ri, lang, parsed.stage), input: p.source };
  return explainBareText(p.source, lang, parsed.enhanced, parsed.stage);
}

/**
 * A bounce text with no reply code ("Mailbox full", a DSN's prose, "5.1.1 User unknown"): the
 * reason its words give, as `explain -` reads it, and the enhanced code it carries. A text in
 * which nothing is recognised is refused (exit 2), never explained by a guess.
 */
function explainBareText(source: string, lang: Lang, enhanced: string | undefined, stage: string | undefined): Explanation {
  const t = classifyReply({ text: source, ...(enhanced ? { enhanced } : {}), ...(stage ? { stage } : {}) });
  if (t.reason === 'undefined' && !enhanced) {
    throw new UsageError(say('usage.explain.no-code', { value: source.length > 60 ? `${source.slice(0, 60)}…` : source }));
  }
  const out: Explanation = { kind: 'text', input: source, lang, reason: recognition(t, lang), facts: t.facts };
  if (enhanced) out.enhanced = explainEnhanced(enhanced, lang, { lenient: true });
  if (t.provider) out.provider = t.provider;
  return out;
}

/**
 * Explain what a person typed: "550", "5.7.26", "X.1.1", or a whole reply
 * ("550-5.1.1 ...\n550 5.1.1 ..."), also as a mail-log line ("host mx[192.0.2.1] said: 550 ...").
 * Throws UsageError for malformed codes, and for a text holding several replies (never keeps one
 * silently: explainInputs() explains each).
 */
export function explainInput(input: string, lang: Lang): Explanation {
  const all = explainInputs(input, lang);
  if (all.length > 1) {
    throw new UsageError(say('usage.explain.many-replies', { n: all.length, codes: all.map((x) => x.reply?.code).join(', ') }));
  }
  return all[0] as Explanation;
}

/** Like explainInput, but a text holding several replies gives one explanation per reply, in order. */
export function explainInputs(input: string, lang: Lang): Explanation[] {
  const s = input.trim();
  if (s === '') throw new UsageError(say('usage.explain.nothing'));
  if (BASIC_RE.test(s)) return [{ kind: 'code', input: s, lang, ...explainCode(s, lang) }];
  if (ENHANCED_RE.test(s)) return [{ kind: 'enhanced', input: s, lang, enhanced: explainEnhanced(s, lang) }];
  if (/^[0-9.]+$/.test(s)) {
    const parts = s.split('.');
    if (parts.length === 1) {
      throw new UsageError(say('usage.explain.not-three', { value: s, near: nearestBasic(s.slice(0, 3).padEnd(3, '0')).join(', ') }));
    }
    // "6.1.1" or "5.1" read as class.subject.detail, "7.26" as subject.detail of class 5:
    // the message names the registered codes nearest to what was meant.
    const classless = parts.length === 2 && !/^[245]$/.test(parts[0] ?? '');
    const [cls = '5', subject = '0', detail = '0'] = classless ? ['5', ...parts] : parts;
    if (parts.length <= 3 && parts.every((p) => /^[0-9]{1,3}$/.test(p))) {
      throw new UsageError(say('usage.explain.not-enhanced', { value: s, near: nearestEnhanced(cls, Number(subject), Number(detail)).join(', ') }));
    }
    throw new UsageError(say('usage.explain.not-code-form', { value: s }));
  }
  return splitPastedReplies(s).map((p) => explainPasted(p, lang));
}
