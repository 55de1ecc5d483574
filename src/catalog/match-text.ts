// Reply-text recognition: turns a server's rejection or deferral text (or a bounce or mail-log
// line) into a reason (the bounce vocabulary of DESIGN.md), the provider that wrote it, an
// explanation, a fix, the facts it states and the evidence that decided. Patterns are data
// (data/reply-patterns.json), compiled by pattern-compiler.ts, looked up through word-index.ts
// and weighed by decide-reason.ts. Never prints, never throws on peer text, does no I/O.
import { D, type Reason } from './pattern-compiler.js';
import { decide, type TextClassification } from './decide-reason.js';
import { normalize, type ParsedReplyText, type ReplyInput } from './reply-normalize.js';

export type { ReplyFacts } from './reply-facts.js';
export type { Reason } from './pattern-compiler.js';
export type { Evidence, PatternEvidence, TextClassification } from './decide-reason.js';
export type { ParsedReplyText, ReplyInput } from './reply-normalize.js';
export { prepareRecognition, recognitionStats } from './pattern-compiler.js';

export const REASONS = Object.keys(D.reasons) as Reason[];

/** A short human title for a reason ("No such recipient"). */
export function reasonTitle(reason: Reason): string {
  return D.reasons[reason]?.title ?? reason;
}

/**
 * The reply as recognition sees it: codes (given, or read from the text, a log line's "said: 550
 * 5.1.1" included), the stage (given, or from "in reply to RCPT TO command"), and the text with
 * each line's codes removed and whitespace collapsed.
 */
export function parseReplyText(input: ReplyInput): ParsedReplyText {
  return normalize(input);
}

/**
 * Classify one reply (or a bounce/log line). `text` may hold the whole multi-line reply with
 * or without its codes; codes given separately win over codes found in the text.
 */
export function classifyReply(input: ReplyInput): TextClassification {
  return decide(input, true);
}

/** The same classification without the word prefilter: the reference the prefilter must equal. */
export function classifyReplyUnindexed(input: ReplyInput): TextClassification {
  return decide(input, false);
}
