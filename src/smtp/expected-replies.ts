// Which reply codes each command can get, as a table with its RFC section (RFC 5321 §4.3.2,
// STARTTLS RFC 3207 §4, 421 at any time RFC 5321 §3.8), and fitReply(): how a reply fits the
// command it answers. A code the command cannot get proves the replies are out of step (a
// stray reply shifted them) or the server is broken: never an answer (issue 10 item 1).
// Pure data and one pure function; the session decides what to do with the fit.
import type { Reply } from './reply-parser.js';

/** What a reply answers: the connection (banner) or one of the verbs we ever send. */
export type Expecting = 'banner' | 'EHLO' | 'HELO' | 'STARTTLS' | 'AUTH' | 'MAIL' | 'RCPT' | 'RSET' | 'VRFY' | 'EXPN' | 'NOOP' | 'QUIT';

export interface ExpectedReplies {
  /** Positive completion codes: the only 2xx (and 3xx) codes this command can get. */
  success: readonly number[];
  /** Negative codes the RFCs list for it (and the ones any command may get). */
  errors: readonly number[];
  /**
   * Any other 4xx/5xx is a refusal too (RFC 5321 §4.2.1: a client interprets the first digit
   * of a code it does not know). False for the commands used as sync points (RSET, NOOP,
   * QUIT): a refusal there that the RFC does not list is proof of desynchronisation.
   */
  anyNegative: boolean;
  source: string;
}

/** 500, 501, 502, 504 may answer any command (RFC 5321 §4.2.4, §4.3.2); 421 too (§3.8). */
const ANY_COMMAND = [421, 500, 501, 502, 504] as const;

export const EXPECTED_REPLIES: Readonly<Record<Expecting, ExpectedReplies>> = {
  banner: { success: [220], errors: [421, 554, 521], anyNegative: true, source: 'RFC 5321 §4.3.2 CONNECTION ESTABLISHMENT (220; 554), §3.8 (421); RFC 7504 §3 (521)' },
  EHLO: { success: [250], errors: [...ANY_COMMAND, 550], anyNegative: true, source: 'RFC 5321 §4.3.2 EHLO or HELO (250; 504, 550, 502)' },
  HELO: { success: [250], errors: [...ANY_COMMAND, 550], anyNegative: true, source: 'RFC 5321 §4.3.2 EHLO or HELO (250; 504, 550, 502)' },
  STARTTLS: { success: [220], errors: [...ANY_COMMAND, 454], anyNegative: true, source: 'RFC 3207 §4 (220; 501, 454)' },
  // 334 is the server's next challenge: a step of the exchange, not its end (RFC 4954 §4).
  AUTH: { success: [235, 334], errors: [...ANY_COMMAND, 432, 454, 503, 530, 534, 535, 538], anyNegative: true, source: 'RFC 4954 §4, §6 (235, 334; 432, 454, 500, 501, 503, 504, 530, 534, 535, 538)' },
  MAIL: { success: [250], errors: [...ANY_COMMAND, 451, 452, 455, 503, 530, 550, 552, 553, 554, 555], anyNegative: true, source: 'RFC 5321 §4.3.2 MAIL (250; 552, 451, 452, 550, 553, 503, 455, 555); RFC 4954 §6 (530)' },
  RCPT: { success: [250, 251], errors: [...ANY_COMMAND, 450, 451, 452, 455, 503, 550, 551, 552, 553, 554, 555], anyNegative: true, source: 'RFC 5321 §4.3.2 RCPT (250, 251; 550, 551, 552, 553, 450, 451, 452, 503, 455, 555)' },
  RSET: { success: [250], errors: ANY_COMMAND, anyNegative: false, source: 'RFC 5321 §4.3.2 RSET (250), §4.2.4' },
  VRFY: { success: [250, 251, 252], errors: [...ANY_COMMAND, 550, 551, 553], anyNegative: true, source: 'RFC 5321 §4.3.2 VRFY (250, 251, 252; 550, 551, 553, 502, 504)' },
  EXPN: { success: [250, 252], errors: [...ANY_COMMAND, 550], anyNegative: true, source: 'RFC 5321 §4.3.2 EXPN (250, 252; 550, 500, 502, 504)' },
  NOOP: { success: [250], errors: ANY_COMMAND, anyNegative: false, source: 'RFC 5321 §4.3.2 NOOP (250), §4.2.4' },
  QUIT: { success: [221], errors: ANY_COMMAND, anyNegative: false, source: 'RFC 5321 §4.3.2 QUIT (221), §4.2.4' },
};

/**
 * success: the command worked. refusal: a 4xx/5xx it can get. closing: 421, the server is
 * going away (RFC 5321 §3.8). impossible: a code this command cannot get. malformed: the
 * reply's grammar leaves its meaning in doubt (mixed codes, bad separator).
 */
export type ReplyFit = 'success' | 'refusal' | 'closing' | 'impossible' | 'malformed';

export function fitReply(expecting: Expecting, reply: Pick<Reply, 'code' | 'untrusted'>): ReplyFit {
  if (reply.untrusted) return 'malformed';
  const e = EXPECTED_REPLIES[expecting];
  const code = reply.code;
  if (code === 421) return 'closing';
  if (e.success.includes(code)) return 'success';
  if (code >= 400 && code < 600 && (e.errors.includes(code) || e.anyNegative)) return 'refusal';
  return 'impossible';
}
