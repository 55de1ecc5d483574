// The command formatter: the only way bytes of an SMTP command are made. An allow-list
// of verbs that has no DATA, BDAT or message content, in the type and at run time, and
// refuses CR, LF, NUL and over-long input before anything reaches the wire
// (RFC 5321 §4.5.3.1: command line 512 octets, local part 64, domain 255, path 256).
// AUTH lines carry a `shown` form: the transcript gets `AUTH PLAIN <redacted>`, never the secret.
import { UsageError } from '../errors.js';
import { say } from '../catalog/messages.js';

export const VERBS = ['EHLO', 'HELO', 'STARTTLS', 'AUTH', 'MAIL', 'RCPT', 'RSET', 'VRFY', 'EXPN', 'NOOP', 'QUIT'] as const;
export type Verb = (typeof VERBS)[number];

export const MAX_COMMAND_LINE = 512; // RFC 5321 §4.5.3.1.4, CRLF included
export const MAX_LOCAL_PART = 64; // §4.5.3.1.1
export const MAX_DOMAIN = 255; // §4.5.3.1.2
export const MAX_PATH = 256; // §4.5.3.1.3, angle brackets included

const FORBIDDEN = /[\r\n\0]/;

export class CommandError extends UsageError {}

function refuseControl(what: string, s: string): void {
  if (FORBIDDEN.test(s)) throw new CommandError(say('usage.cmd.control', { whatMsg: what }));
}

/** Validate a domain or address literal for EHLO/HELO and paths. */
export function checkDomain(what: string, d: string): void {
  refuseControl(what, d);
  if (d.length === 0) throw new CommandError(say('usage.cmd.empty', { whatMsg: what }));
  if (d.length > MAX_DOMAIN) throw new CommandError(say('usage.cmd.domain-long', { whatMsg: what, max: MAX_DOMAIN }));
  if (/^\[.*\]$/.test(d)) return; // address literal [192.0.2.1] / [IPv6:...]
  if (!/^[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)*\.?$/u.test(d)) {
    throw new CommandError(say('usage.cmd.not-domain', { whatMsg: what, value: d }));
  }
  for (const label of d.split('.')) {
    if (label.length > 63) throw new CommandError(say('usage.cmd.label-long', { whatMsg: what }));
  }
}

/** Validate a mailbox for MAIL FROM / RCPT TO; '' is the null reverse-path. */
export function checkMailbox(what: string, addr: string): void {
  refuseControl(what, addr);
  if (addr === '') return;
  if (/[<>\s]/.test(addr) && !/^".*"@/.test(addr)) throw new CommandError(say('usage.cmd.spaces', { whatMsg: what, value: addr }));
  const at = addr.lastIndexOf('@');
  if (at <= 0 || at === addr.length - 1) throw new CommandError(say('usage.cmd.not-mailbox', { whatMsg: what, value: addr }));
  const local = addr.slice(0, at);
  const domain = addr.slice(at + 1);
  if (Buffer.byteLength(local) > MAX_LOCAL_PART) throw new CommandError(say('usage.cmd.local-long', { whatMsg: what, max: MAX_LOCAL_PART }));
  if (Buffer.byteLength(addr) + 2 > MAX_PATH) throw new CommandError(say('usage.cmd.path-long', { whatMsg: what, max: MAX_PATH - 2 }));
  checkDomain(say('usage.what.domain-of', { whatMsg: what }), domain);
}

const ESMTP_PARAM = /^[A-Za-z0-9][A-Za-z0-9-]*(=[\x21-\x3c\x3e-\x7e]+)?$/; // RFC 5321 §4.1.2 esmtp-param

export interface Command {
  verb: Verb;
  /** The exact line without CRLF, as shown in transcripts (unless `shown` is set). */
  line: string;
  /** What transcripts show instead of `line`: set for AUTH lines, whose secrets never leave the wire. */
  shown?: string;
}

/** The text a transcript may carry for a command. */
export function shownLine(c: Command): string {
  return c.shown ?? c.line;
}

export const REDACTED = '<redacted>';
/** SASL mechanism names (RFC 4422 §3.1: upper-case letters, digits, '-', '_', 1-20 chars). */
const SASL_MECH = /^[A-Z0-9_-]{1,20}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * AUTH <mechanism> [initial-response] (RFC 4954 §4). The initial response is base64 ('=' for
 * an empty one) and is never shown: the transcript line is `AUTH PLAIN <redacted>`.
 */
export function formatAuth(mechanism: string, initialResponse?: string): Command {
  if (!SASL_MECH.test(mechanism)) throw new CommandError('the SASL mechanism name is not valid (RFC 4422 §3.1)');
  if (initialResponse === undefined) return { verb: 'AUTH', line: `AUTH ${mechanism}` };
  if (initialResponse !== '=' && !BASE64.test(initialResponse)) throw new CommandError('the AUTH initial response is not base64');
  const line = `AUTH ${mechanism} ${initialResponse}`;
  // RFC 4954 §4: a line over 12288 octets is refused; ours stay far below the 512 of other commands.
  if (line.length + 2 > 12_288) throw new CommandError('the AUTH line would be longer than 12288 octets (RFC 4954 §4)');
  return { verb: 'AUTH', line, shown: `AUTH ${mechanism} ${REDACTED}` };
}

/** One client line of a SASL exchange (after a 334), base64 or '*' to cancel; always redacted. */
export function formatSaslResponse(response: string): Command {
  if (response !== '*' && response !== '' && !BASE64.test(response)) throw new CommandError('a SASL response is not base64');
  if (response.length + 2 > 12_288) throw new CommandError('a SASL response would be longer than 12288 octets (RFC 4954 §4)');
  return { verb: 'AUTH', line: response, shown: response === '*' ? '*' : REDACTED };
}

/**
 * A path for the relay test's MAIL/RCPT, which must be sent as written (percent hack, source
 * route, bang path, quoted local part): only CR/LF/NUL, angle brackets, unquoted spaces and
 * over-long paths are refused.
 */
export function formatRawPath(verb: 'MAIL' | 'RCPT', path: string): Command {
  refuseControl(`${verb} path`, path);
  if (/[<>]/.test(path) || /\s/.test(path.replace(/"[^"]*"/g, ''))) throw new CommandError(`${verb} path "${path}" contains angle brackets or spaces`);
  if (verb === 'RCPT' && path === '') throw new CommandError('RCPT TO needs an address');
  if (Buffer.byteLength(path) + 2 > MAX_PATH) throw new CommandError(`${verb} path is longer than ${MAX_PATH - 2} octets (RFC 5321 §4.5.3.1.3)`);
  return { verb, line: verb === 'MAIL' ? `MAIL FROM:<${path}>` : `RCPT TO:<${path}>` };
}

/**
 * Build one command line. `arg` is the domain for EHLO/HELO, the mailbox for MAIL/RCPT
 * ('' = null sender for MAIL); `params` are ESMTP parameters (SIZE=…, SMTPUTF8).
 */
export function formatCommand(verb: Verb, arg?: string, params: readonly string[] = []): Command {
  if (!(VERBS as readonly string[]).includes(verb)) {
    // Reached only by a bug or a cast: DATA/BDAT can never be sent.
    throw new CommandError(`refusing to send SMTP command "${String(verb)}": only ${VERBS.join(', ')} are ever sent`);
  }
  for (const p of params) {
    refuseControl('ESMTP parameter', p);
    if (!ESMTP_PARAM.test(p)) throw new CommandError(`invalid ESMTP parameter "${p}"`);
  }
  let line: string;
  switch (verb) {
    case 'EHLO':
    case 'HELO':
      checkDomain(say('usage.what.arg', { verb }), arg ?? '');
      line = `${verb} ${arg}`;
      break;
    case 'MAIL':
      checkMailbox(say('usage.what.arg', { verb: 'MAIL FROM' }), arg ?? '');
      line = `MAIL FROM:<${arg ?? ''}>`;
      break;
    case 'RCPT':
      if (!arg) throw new CommandError('RCPT TO needs an address');
      checkMailbox(say('usage.what.arg', { verb: 'RCPT TO' }), arg);
      line = `RCPT TO:<${arg}>`;
      break;
    case 'VRFY':
    case 'EXPN':
      // RFC 5321 §3.5: a user name, mailbox or list name; one line, printable, no spaces at the ends.
      if (!arg) throw new CommandError(say('usage.cmd.needs-arg', { verb }));
      refuseControl(`${verb} argument`, arg);
      if (arg.trim() !== arg || Buffer.byteLength(arg) > MAX_PATH) throw new CommandError(say('usage.cmd.arg-spaces', { verb, value: arg, max: MAX_PATH }));
      line = `${verb} ${arg}`;
      break;
    case 'AUTH':
      throw new CommandError('AUTH lines are made by formatAuth()');
    default:
      if (arg !== undefined) throw new CommandError(`${verb} takes no argument`);
      line = verb;
  }
  if (params.length > 0) line += ` ${params.join(' ')}`;
  if (Buffer.byteLength(line) + 2 > MAX_COMMAND_LINE) throw new CommandError(`the ${verb} command would be longer than ${MAX_COMMAND_LINE} octets (RFC 5321 §4.5.3.1.4)`);
  return { verb, line };
}

/** The bytes for the wire. A last guard: a line that somehow became DATA/BDAT is refused. */
export function encodeCommand(c: Command): Buffer {
  if (/^(DATA|BDAT)\b/i.test(c.line) || FORBIDDEN.test(c.line)) throw new CommandError('refusing to send DATA, BDAT or a line with CR/LF/NUL');
  return Buffer.from(`${c.line}\r\n`, 'utf8');
}
