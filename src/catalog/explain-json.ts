// The JSON contract of `explain --json` and `explain - --json` (data/schema/explanation.schema.json):
// `code` is the basic reply code as an integer, `enhanced` the enhanced status code as a string
// and `reason` the reason name as a string, as in every other command's JSON; the explanations
// behind them sit beside them (`enhancedExplanation`, `recognition`). Pure mapping of plain data.
import type { CodeExplanation, Explanation } from './explain.js';
import type { Lang } from './data.js';
import { classifyReply, type ParsedReplyText, type TextClassification } from './match-text.js';
import { localizeReason } from './reason-text.js';

type Json = Record<string, unknown>;

function codeJson(x: Partial<CodeExplanation>, into: Json): void {
  for (const [k, v] of Object.entries(x)) {
    if (v === undefined) continue;
    into[k] = k === 'code' ? Number(v) : v;
  }
}

/** `explain <code|x.y.z|reply> --json`: one object, schemaVersion first. */
export function explanationJson(x: Explanation): Json {
  const { kind, input, lang, enhanced, reply, reason, provider, facts, ...code } = x;
  const out: Json = { schemaVersion: 1, kind, input, lang };
  codeJson(code, out);
  if (enhanced) {
    out.enhanced = enhanced.code;
    out.enhancedExplanation = enhanced;
  }
  if (reply) {
    out.reply = reply;
    if (reply.enhanced) out.enhanced = reply.enhanced;
  }
  if (reason) {
    out.reason = reason.name;
    const rec: Json = { title: reason.title, meaning: reason.meaning, action: reason.action, inferred: reason.inferred };
    if (reason.reference) rec.reference = reason.reference;
    if (reason.patternId) rec.patternId = reason.patternId;
    // What is not in `lang` is named, never a silent switch of language.
    if (reason.fallback) rec.fallback = reason.fallback;
    if (reason.generalized) rec.generalized = reason.generalized;
    if (reply) {
      const t = classifyReply({ code: reply.code, text: reply.text, ...(reply.enhanced ? { enhanced: reply.enhanced } : {}) });
      rec.evidence = t.evidence;
    } else if (kind === 'text') {
      rec.evidence = classifyReply({ text: input, ...(enhanced ? { enhanced: enhanced.code } : {}) }).evidence;
    }
    out.recognition = rec;
  }
  if (provider) out.provider = provider;
  if (facts) out.facts = facts;
  return JSON.parse(JSON.stringify(out)) as Json;
}

/** `explain "<several replies>" --json`: one explanation per reply the text holds, in order. */
export function repliesJson(input: string, lang: Lang, xs: Explanation[]): Json {
  return { schemaVersion: 1, kind: 'replies', input, lang, replies: xs.map(explanationJson) };
}

/** `explain <a> <b> [more…] --json`: the comparison, with every code as an integer. */
export function comparisonJson(
  c: { a: Partial<CodeExplanation>; b: Partial<CodeExplanation>; codes?: Partial<CodeExplanation>[]; table?: { code: string }[] } & object,
): Json {
  const asJson = (x: Partial<CodeExplanation>): Json => {
    const o: Json = {};
    codeJson(x, o);
    return o;
  };
  const out: Json = { schemaVersion: 1, ...c, a: asJson(c.a), b: asJson(c.b) };
  if (c.codes) out.codes = c.codes.map(asJson);
  if (c.table) out.table = c.table.map((r) => ({ ...r, code: Number(r.code) }));
  return JSON.parse(JSON.stringify(out)) as Json;
}

/** `explain - --json`: one object per input item (a line, or the continuation lines of one reply). */
export function lineJson(item: { line: number; text: string }, parsed: ParsedReplyText, c: TextClassification, lang: Lang = 'en'): Json {
  const o: Json = { schemaVersion: 1, kind: 'line', line: item.line, input: item.text, lang };
  const loc = localizeReason(c, lang);
  if (parsed.code !== undefined) o.code = parsed.code;
  if (parsed.enhanced) o.enhanced = parsed.enhanced;
  if (parsed.stage) o.stage = parsed.stage;
  o.reason = c.reason;
  o.title = loc.title;
  if (c.provider) o.provider = c.provider;
  o.inferred = c.inferred;
  if (c.permanent !== undefined) o.permanent = c.permanent;
  o.meaning = loc.meaning;
  o.action = loc.action;
  if (loc.fallback) o.fallback = loc.fallback;
  if (loc.generalized) o.generalized = loc.generalized;
  if (c.reference) o.reference = c.reference;
  if (c.patternId) o.patternId = c.patternId;
  o.evidence = c.evidence;
  o.facts = c.facts;
  return o;
}
