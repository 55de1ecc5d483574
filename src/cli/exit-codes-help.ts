// The words for each exit code and the environment variables the CLI reads, shared by
// `--help` and the man page (the numbers are exit-codes.ts's; the README repeats the table).
import { ExitCode } from './exit-codes.js';

export const EXIT_CODES: readonly (readonly [number, string])[] = [
  [ExitCode.ok, 'success: nothing wrong found (recipient accepted, not listed, checks pass)'],
  [ExitCode.internal, 'internal error (a bug; one line, the stack only with --verbose)'],
  [ExitCode.usage, 'usage error or bad input (unknown flag or command, malformed address, IP or code)'],
  [ExitCode.network, 'network failure: DNS, connect, TLS (no SMTP reply to judge)'],
  [ExitCode.timeout, 'timeout'],
  [ExitCode.rejected, 'permanent rejection (5xx) other than "no such recipient"'],
  [ExitCode.noSuchUser, 'recipient does not exist'],
  [ExitCode.temporary, 'temporary failure (4xx, greylisting, rate limits)'],
  [ExitCode.checkFailed, 'a check found a problem (listed on a blocklist, SPF fail, no or broken DMARC, an open relay, ...)'],
  [ExitCode.interrupted, 'interrupted (Ctrl-C)'],
];

export const ENVIRONMENT: readonly (readonly [string, string])[] = [
  ['NO_COLOR', 'when set and not empty, no colours (as --no-color)'],
  ['FORCE_COLOR', 'colours even when stdout is not a terminal'],
  ['SMTP_PROBE_PASSWORD', 'the password for --auth (never taken from the command line; without it, a terminal is asked, without echo)'],
  ['LC_ALL, LC_MESSAGES, LANG', 'the language of explanations when --lang is not given (en, fr, vi, tr, hi; English otherwise)'],
];
