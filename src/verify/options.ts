// verify()'s options, defaults, events, statistics and input types, and the checks that refuse
// an impolite or meaningless run before any I/O. Plain declarations: the pipeline modules
// (intake, domains, host queue, host worker, output) all read these.
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { Family } from '../dns/mail-hosts.js';
import type { Resolve } from '../dns/resolver.js';
import { checkDomain, checkMailbox } from '../smtp/command.js';
import type { TlsMode } from '../smtp/session.js';
import type { Connect } from '../smtp/transport.js';
import type { ServerPoliteness } from './servers.js';
import { impersonatedOperator, type ExtraLists } from './flags.js';
import type { VerdictKind, VerifyResult } from './verdict.js';
import { say } from '../catalog/messages.js';

export const DEFAULTS = {
  port: 25,
  /** RFC 5321 §4.5.3.1.8 lets servers stop at 100 recipients; 50 stays well inside every limit seen. */
  batchSize: 50,
  concurrency: 10,
  perHost: 2,
  /** RCPT TO per second per mail host; 0 = no limit beyond the round trips. */
  ratePerHost: 0,
  /** Addresses read but not yet answered: the memory bound of a bulk run. */
  readAhead: 2_000,
  /** Times an address is put back after a dropped connection before it is "unknown". */
  maxAttempts: 3,
  /** A worker with an empty queue waits this long for more addresses before it QUITs. */
  lingerMs: 250,
  /** First back-off after "too many connections" (doubles, up to maxBackoffMs). */
  backoffMs: 2_000,
  maxBackoffMs: 60_000,
  /** A host that could not be reached is not tried again for this long (its addresses fail at once). */
  downForMs: 300_000,
  /** After Ctrl-C, transactions under way get this long to finish before connections are cut. */
  abortGraceMs: 1_500,
  /** Domains whose MX answer and catch-all status are remembered. */
  maxDomains: 20_000,
} as const;

/** Submission ports: RCPT there without AUTH says nothing about mailboxes (RFC 6409 §4.3). */
export const SUBMISSION_PORTS: ReadonlySet<number> = new Set([587, 465]);

export interface VerifyOptions extends ExtraLists {
  /** EHLO name: this host's real FQDN. Names of big providers are refused (impersonation). */
  helo: string;
  /** MAIL FROM; '' (default) is the null sender <>. Never the address being verified. */
  from?: string;
  port?: number;
  tlsMode?: TlsMode;
  tlsVerify?: boolean;
  ca?: string;
  /** --tls-name: the identity every certificate must carry, and the SNI sent. */
  tlsName?: string;
  family?: Family;
  /** Multiplies every SMTP stage deadline. */
  timeoutScale?: number;
  pipelining?: boolean;
  /** One extra RCPT to a random local part per domain (default true). */
  catchAllCheck?: boolean;
  /** Catch-all status already known per domain (lower case; e.g. from an earlier batch): no probe. */
  knownCatchAll?: ReadonlyMap<string, boolean> | Readonly<Record<string, boolean>>;
  /** At most this many RCPT TO per transaction (catch-all probe included). */
  batchSize?: number;
  /** Connections open at once, overall. */
  concurrency?: number;
  /** Connections open at once to one mail host. */
  perHost?: number;
  /** RCPT TO per second to one mail host (0: unlimited). */
  ratePerHost?: number;
  /** Greylisted addresses are asked once more after this many ms (0: off). */
  waitGreylistMs?: number;
  /** Skip repeated addresses (default true); exact up to dedupeLimit distinct addresses. */
  dedupe?: boolean;
  dedupeLimit?: number;
  readAhead?: number;
  maxAttempts?: number;
  /** Addresses already answered (a previous run's output): skipped. */
  skip?: Iterable<string> | AsyncIterable<string>;
  /** Tuning and test hooks (ms). */
  lingerMs?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  abortGraceMs?: number;

  // Side effects (defaults: the system's resolver through dns2, real sockets, Date.now).
  resolve?: Resolve;
  connect?: Connect;
  now?: () => number;
  signal?: AbortSignal;
  /**
   * Per-server politeness (connection slots, 421 back-off) shared with other runs or processes
   * (e.g. BullMQ workers); default: this run's own ServerSlots with --per-host.
   */
  servers?: ServerPoliteness;
  onEvent?: (e: VerifyEvent) => void;
  /** Random bytes for the catch-all local part (tests pass a fixed source). */
  randomBytes?: (n: number) => Buffer;
}

export type VerifyEvent =
  | { type: 'session'; host: string; address: string; open: boolean }
  /** Something the user must hear about even without --verbose (a HELO that is not a FQDN). */
  | { type: 'warning'; message: string }
  | { type: 'note'; host?: string; message: string }
  /** An address was greylisted and will be asked again in retryInMs (--wait-greylist). */
  | { type: 'greylisted'; address: string; retryInMs: number };

export interface VerifyStats {
  /** Lines/items taken from the input. */
  read: number;
  /** Results produced, by verdict. */
  verdicts: Record<VerdictKind, number>;
  /** Skipped as repeats of an earlier input line. */
  duplicates: number;
  /** Skipped because the resume file already answered them. */
  resumed: number;
  /** SMTP connections opened (TCP connects that succeeded). */
  connections: number;
  transactions: number;
  /** RCPT TO commands sent (catch-all probes included). */
  rcpts: number;
  catchAllProbes: number;
  /** Addresses read and not yet answered (Ctrl-C leaves these unanswered). */
  pending: number;
  /** The dedupe table reached its cap: later repeats were not detected. */
  dedupeFull: boolean;
}

export interface VerifyRun extends AsyncIterable<VerifyResult> {
  readonly stats: VerifyStats;
  /** The same results, as arrays of those ready at once: fewer promises per result in bulk runs. */
  batches(): AsyncIterable<VerifyResult[]>;
}

/** One input entry with where it came from; `error` when the line itself was unusable (cut, undecodable, empty cell). */
export interface InputItem { text: string; line?: number; error?: string }

export type InputEntry = string | InputItem;

/** Addresses one by one, or in arrays (a chunk of lines read at once): both stream. */
export type VerifyInput = AsyncIterable<InputEntry | readonly InputEntry[]> | Iterable<InputEntry | readonly InputEntry[]>;

/** A local part no real mailbox has: 24 lower-case letters and digits, starting with a letter. */
export function randomLocalPart(bytes: (n: number) => Buffer = randomBytes): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const b = bytes(24);
  let s = alphabet[(b[0] ?? 0) % 26] ?? 'x';
  for (let i = 1; i < 24; i++) s += alphabet[(b[i] ?? 0) % 36];
  return s;
}

/** Refuse options that would make the run impolite or meaningless, before any I/O. */
export function checkVerifyOptions(o: VerifyOptions): void {
  try {
    checkDomain('--helo', o.helo);
    checkMailbox('--from', o.from ?? '');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const op = impersonatedOperator(o.helo);
  if (op) throw new UsageError(say('usage.helo.provider', { helo: o.helo, provider: op }));
  const port = o.port ?? DEFAULTS.port;
  if (SUBMISSION_PORTS.has(port)) {
    throw new UsageError(say('usage.submission-port', { port }));
  }
  for (const [name, v, min] of [['batch size', o.batchSize, 1], ['concurrency', o.concurrency, 1], ['per-host', o.perHost, 1], ['read-ahead', o.readAhead, 1], ['rate', o.ratePerHost, 0]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= min)) throw new UsageError(say('usage.number-min', { name, min }));
  }
  if ((o.batchSize ?? DEFAULTS.batchSize) > 100) throw new UsageError(say('usage.batch-max'));
}
