// Recipient verification for one address or millions: streamed in, checked (syntax, dedupe,
// resume), resolved per domain, grouped by mail host, asked in batches of RCPT on reused sessions
// (RSET between, bounded concurrency and rate, back-off, reconnects, a catch-all probe per domain,
// greylist retries); results stream out as known, memory bounded by the read-ahead window.
// Never sends DATA, never prints; DNS, sockets and clock come in as options.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { UsageError } from '../errors.js';
import { resolveMailHosts, type Family, type MailHost, type MailHosts } from '../dns/mail-hosts.js';
import type { Resolve } from '../dns/resolver.js';
import { checkDomain, checkMailbox } from '../smtp/command.js';
import type { Reply } from '../smtp/reply-parser.js';
import { openSession, type Outcome, type SmtpSession, type TlsMode, type TransactionResult } from '../smtp/session.js';
import { connectTransport, type Connect, type Transport } from '../smtp/transport.js';
import { classifyReply } from '../catalog/match-text.js';
import { createDns2Resolver, DEFAULT_DNS_TIMEOUT_MS } from '../dns/dns2-resolver.js';
import { systemServers } from '../dns/system-servers.js';
import { heloWarnings } from '../probe/helo.js';
import { parseAddress, type MailAddress } from './address.js';
import { addressFlags, domainFlags, flagLists, impersonatedOperator, type AddressFlags, type ExtraLists, type FlagLists } from './flags.js';
import { DEFAULT_MAX_ENTRIES, SeenSet } from './seen-set.js';
import {
  decideDns, decideMail, decideNoUtf8, decideRcpt, decideSession, decideSyntax, isTooManyRecipients,
  VERIFY_SCHEMA_VERSION, type Decision, type VerdictKind, type VerifyResult,
} from './verdict.js';

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
  family?: Family;
  /** Multiplies every SMTP stage deadline. */
  timeoutScale?: number;
  pipelining?: boolean;
  /** One extra RCPT to a random local part per domain (default true). */
  catchAllCheck?: boolean;
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
  onEvent?: (e: VerifyEvent) => void;
  /** Random bytes for the catch-all local part (tests pass a fixed source). */
  randomBytes?: (n: number) => Buffer;
}

export type VerifyEvent =
  | { type: 'session'; host: string; address: string; open: boolean }
  /** Something the user must hear about even without --verbose (a HELO that is not a FQDN). */
  | { type: 'warning'; message: string }
  | { type: 'note'; host?: string; message: string };

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

/** Addresses one by one, or in arrays (a chunk of lines read at once): both stream. */
export type VerifyInput = AsyncIterable<string | readonly string[]> | Iterable<string | readonly string[]>;

interface Item {
  addr: MailAddress;
  input: string;
  attempts: number;
  /** The greylisted answer, kept while waiting to ask again. */
  greylisted?: VerifyResult;
}

interface DomainState {
  domain: string;
  mailHosts?: MailHosts;
  /** The mail hosts with a usable address, in preference order. */
  usable?: MailHost[];
  failure?: Decision;
  hostKey?: string;
  waiting: Item[];
  catchAll: boolean | null;
  probeTries: number;
  flags?: Omit<AddressFlags, 'role'>;
}

interface HostState {
  key: string;
  hosts: MailHost[];
  queue: Item[];
  head: number;
  delayed: number;
  active: number;
  maxActive: number;
  notBefore: number;
  backoffMs: number;
  batchSize: number;
  rateNextAt: number;
  failedConnects: number;
  /** Transactions in a row that broke without a single answer. */
  fruitless: number;
  /** The last connect failure and when the host counts as down until. */
  down?: { until: number; decision: Decision };
  /** Addresses (ip:port) that failed to connect recently: tried last. */
  badAddresses: Map<string, number>;
  wake: (() => void)[];
}


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
  if (op) throw new UsageError(`the HELO name "${o.helo}" belongs to ${op}: announcing yourself as a big provider is impersonation and gets the sending IP blocklisted; use this host's own FQDN`);
  const port = o.port ?? DEFAULTS.port;
  if (SUBMISSION_PORTS.has(port)) {
    throw new UsageError(`port ${port} is a submission port: without AUTH a server there refuses or accepts every RCPT the same way, which says nothing about mailboxes; verify on port 25 (the MX port)`);
  }
  for (const [name, v, min] of [['batch size', o.batchSize, 1], ['concurrency', o.concurrency, 1], ['per-host', o.perHost, 1], ['read-ahead', o.readAhead, 1], ['rate', o.ratePerHost, 0]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= min)) throw new UsageError(`${name} must be a number ≥ ${min}`);
  }
  if ((o.batchSize ?? DEFAULTS.batchSize) > 100) throw new UsageError('at most 100 recipients per transaction: RFC 5321 §4.5.3.1.8 lets servers refuse more');
}

/**
 * Verify addresses. Results come as they are known (not in input order). Ctrl-C (signal):
 * transactions under way finish (briefly), sessions QUIT, and the iteration ends with every
 * answer already obtained; unanswered addresses are counted in stats.pending.
 */
export function verify(addresses: VerifyInput, options: VerifyOptions): VerifyRun {
  checkVerifyOptions(options);
  const v = new Verifier(options);
  let started = false;
  const once = (): AsyncGenerator<VerifyResult[]> => {
    if (started) throw new Error('a verify() run can be iterated once');
    started = true;
    return v.run(addresses);
  };
  return {
    stats: v.stats,
    batches: () => ({ [Symbol.asyncIterator]: once }),
    [Symbol.asyncIterator]: () => (async function* () {
      for await (const batch of { [Symbol.asyncIterator]: once }) yield* batch;
    })(),
  };
}

/** One address, one result (a convenience over verify()); runs to the end so the session QUITs. */
export async function verifyOne(address: string, options: VerifyOptions): Promise<VerifyResult | undefined> {
  let first: VerifyResult | undefined;
  for await (const r of verify([address], options)) first ??= r;
  return first;
}

/** Remember answers (A, AAAA, MX) for the run, at most `max` names: MX hosts shared by many domains are looked up once. */
function boundedCache(resolve: Resolve, max: number): Resolve {
  const cache = new Map<string, Promise<unknown>>();
  return (<T extends Parameters<Resolve>[1]>(name: string, type: T) => {
    const key = `${type} ${name.toLowerCase()}`;
    let p = cache.get(key);
    if (!p) {
      p = resolve(name, type);
      p.catch(() => cache.delete(key)); // failures are asked again next time
      cache.set(key, p);
      if (cache.size > max) cache.delete(cache.keys().next().value as string);
    }
    return p;
  }) as Resolve;
}

class Verifier {
  readonly stats: VerifyStats = {
    read: 0, verdicts: { deliverable: 0, undeliverable: 0, risky: 0, unknown: 0 },
    duplicates: 0, resumed: 0, connections: 0, transactions: 0, rcpts: 0, catchAllProbes: 0, pending: 0, dedupeFull: false,
  };
  private readonly o: VerifyOptions;
  private readonly lists: FlagLists;
  private readonly from: string;
  private readonly batchMax: number;
  private readonly seen: SeenSet | undefined;
  private resumeSet: SeenSet | undefined;
  private readonly domains = new Map<string, DomainState>();
  private readonly hosts = new Map<string, HostState>();
  private out: VerifyResult[] = [];
  private readonly transports = new Set<Transport>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly delayedItems = new Set<Item>();
  /** Hosts with queued work that may want another worker. */
  private readonly ready = new Set<HostState>();
  private inFlight = 0;
  private activeWorkers = 0;
  private pendingDns = 0;
  private inputDone = false;
  private stopping = false;
  private inputError: unknown;
  private notify: (() => void) | undefined;
  private roomWaiter: (() => void) | undefined;
  private scheduleTimer: ReturnType<typeof setTimeout> | undefined;
  private onStopped: () => void = () => {};
  /** Resolves on Ctrl-C (or an early break): waits race against it. */
  private readonly stopped = new Promise<void>((r) => { this.onStopped = r; });

  constructor(o: VerifyOptions) {
    this.o = o;
    this.lists = flagLists(o);
    this.from = o.from ?? '';
    this.batchMax = o.batchSize ?? DEFAULTS.batchSize;
    this.seen = o.dedupe === false ? undefined : new SeenSet(o.dedupeLimit ?? DEFAULT_MAX_ENTRIES);
  }

  private get now(): number {
    return (this.o.now ?? Date.now)();
  }

  private get readAhead(): number {
    return this.o.readAhead ?? DEFAULTS.readAhead;
  }

  private wakeMain(): void {
    const n = this.notify;
    this.notify = undefined;
    n?.();
  }

  /** Every result stands for one address counted in flight when it was read. */
  private emit(r: VerifyResult): void {
    this.inFlight--;
    this.stats.pending = this.inFlight;
    this.out.push(r);
    this.stats.verdicts[r.verdict]++;
    this.wakeMain();
  }

  private result(item: Pick<Item, 'addr' | 'input'>, d: Decision): VerifyResult {
    const input = item.input.trim();
    const dom = this.domains.get(item.addr.domain);
    const df = dom ? (dom.flags ??= domainFlags(item.addr, this.lists)) : domainFlags(item.addr, this.lists);
    return resultOf(item.addr.address, input !== item.addr.address ? input : undefined, d, addressFlags(item.addr, this.lists, df));
  }

  private finish(item: Item, d: Decision): void {
    this.emit(this.result(item, d));
  }

  async *run(addresses: VerifyInput): AsyncGenerator<VerifyResult[]> {
    const signal = this.o.signal;
    const onAbort = (): void => this.stop();
    if (signal?.aborted) return;
    signal?.addEventListener('abort', onAbort, { once: true });
    for (const w of heloWarnings(this.o.helo)) this.o.onEvent?.({ type: 'warning', message: w });
    try {
      if (this.o.skip) await this.loadSkip(this.o.skip);
      const pump = this.pump(addresses);
      for (;;) {
        if (this.out.length > 0) {
          const batch = this.out;
          this.out = [];
          yield batch;
          this.wakeRoom();
          continue;
        }
        if (this.inputError !== undefined) throw this.inputError;
        const idle = this.activeWorkers === 0 && this.pendingDns === 0;
        // Done when every address is answered and every session has said QUIT.
        if (this.stopping ? idle : this.inputDone && this.inFlight === 0 && idle) break;
        await new Promise<void>((r) => { this.notify = r; });
      }
      if (!this.stopping) await pump;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.stats.pending = Math.max(0, this.inFlight);
      this.shutdown();
    }
  }

  private wakeRoom(): void {
    if (this.inFlight + this.out.length < this.readAhead) {
      const w = this.roomWaiter;
      this.roomWaiter = undefined;
      w?.();
    }
  }

  private async loadSkip(skip: Iterable<string> | AsyncIterable<string>): Promise<void> {
    const set = new SeenSet(DEFAULT_MAX_ENTRIES);
    for await (const a of skip as AsyncIterable<string>) {
      const p = parseAddress(a);
      set.add(p.ok ? p.value.address : a.trim());
    }
    this.resumeSet = set;
  }

  private async pump(addresses: VerifyInput): Promise<void> {
    try {
      for await (const raw of addresses as AsyncIterable<string | readonly string[]>) {
        if (this.stopping) break;
        if (typeof raw === 'string') this.take(raw);
        else for (const a of raw) this.take(a);
        // The memory bound: no more than readAhead addresses in the air (answered ones included until consumed).
        while (!this.stopping && this.inFlight + this.out.length >= this.readAhead) {
          await new Promise<void>((r) => { this.roomWaiter = r; });
        }
      }
    } catch (e) {
      // After Ctrl-C the input is torn down on purpose: that is not an error of the run.
      if (!this.stopping) this.inputError = e ?? new Error('the input failed');
    } finally {
      this.inputDone = true;
      this.wakeMain();
    }
  }

  private take(raw: string): void {
    this.stats.read++;
    const p = parseAddress(raw);
    if (!p.ok) {
      this.inFlight++;
      this.emit(resultOf(raw.trim(), undefined, decideSyntax(p.error), { role: false, disposable: false, free: false }));
      return;
    }
    // What parses also passes the command formatter's checks (a property the unit tests
    // assert), so no batch can fail on one address's syntax.
    const key = p.value.address;
    if (this.resumeSet?.has(key)) {
      this.stats.resumed++;
      return;
    }
    if (this.seen) {
      if (!this.seen.add(key)) {
        this.stats.duplicates++;
        return;
      }
      this.stats.dedupeFull = this.seen.full;
    }
    this.inFlight++;
    this.stats.pending = this.inFlight;
    this.route({ addr: p.value, input: raw, attempts: 0 });
  }

  // ---- Domains: MX lookup once per domain (bounded cache), then the host group. ----

  private route(item: Item): void {
    const domain = item.addr.domain;
    let d = this.domains.get(domain);
    if (d) {
      // Most recently used last, so the oldest entries are evicted first.
      this.domains.delete(domain);
      this.domains.set(domain, d);
    } else {
      d = { domain, waiting: [], catchAll: this.lists.nonCatchAll.has(domain) ? false : null, probeTries: 0 };
      this.domains.set(domain, d);
      this.evictDomains();
      void this.resolveDomain(d, item.addr);
    }
    if (!d.mailHosts) d.waiting.push(item);
    else this.dispatch(item, d);
  }

  private evictDomains(): void {
    const max = DEFAULTS.maxDomains;
    if (this.domains.size <= max) return;
    for (const [k, d] of this.domains) {
      if (this.domains.size <= max) break;
      if (d.mailHosts && d.waiting.length === 0) this.domains.delete(k);
    }
  }

  private async resolveDomain(d: DomainState, addr: MailAddress): Promise<void> {
    this.pendingDns++;
    try {
      let mh: MailHosts;
      if (addr.literal) {
        mh = { domain: d.domain, kind: 'ip', hosts: [{ name: addr.literal, preference: null, addresses: [addr.literal], omittedAddresses: 0, notes: [] }], omittedHosts: 0, limits: { maxHosts: 1, maxAddressesPerHost: 1 }, notes: [] };
      } else {
        mh = await resolveMailHosts(d.domain, { resolve: this.resolver(), ...(this.o.family ? { family: this.o.family } : {}) });
      }
      const usable = mh.hosts.filter((h) => h.addresses.some((a) => !this.o.family || net.isIP(a) === this.o.family));
      if (usable.length === 0) {
        d.failure = decideDns(mh.kind === 'mx' || mh.kind === 'implicit' ? { ...mh, kind: 'dns-error', error: mh.hosts[0]?.error ?? { code: 'ENODATA', message: `no mail host of ${d.domain} has an address` } } : mh);
        // A transient DNS failure is not remembered: the next address of the domain asks again.
        if (d.failure.temporary) this.domains.delete(d.domain);
      } else {
        d.hostKey = usable.map((h) => h.name).join(' ');
        d.usable = usable;
      }
      d.mailHosts = mh;
    } catch (e) {
      d.mailHosts = { domain: d.domain, kind: 'dns-error', hosts: [], omittedHosts: 0, limits: { maxHosts: 0, maxAddressesPerHost: 0 }, notes: [], error: { code: 'EINTERNAL', message: e instanceof Error ? e.message : String(e) } };
      d.failure = decideDns(d.mailHosts);
      this.domains.delete(d.domain);
    } finally {
      this.pendingDns--;
    }
    const waiting = d.waiting;
    d.waiting = [];
    for (const item of waiting) this.dispatch(item, d);
    this.wakeMain();
  }

  private resolverCache: Resolve | undefined;
  /** The caller's resolver or the system's (through dns2), with a bounded cache of answers. */
  private resolver(): Resolve {
    this.resolverCache ??= boundedCache(this.o.resolve ?? createDns2Resolver({ servers: systemServers(), timeoutMs: DEFAULT_DNS_TIMEOUT_MS }), DEFAULTS.maxDomains);
    return this.resolverCache;
  }

  private dispatch(item: Item, d: DomainState): void {
    if (this.stopping) return;
    if (d.failure) return this.finish(item, d.failure);
    const key = d.hostKey ?? '';
    let host = this.hosts.get(key);
    if (!host) {
      host = this.newHost(key, d.usable ?? []);
      this.hosts.set(key, host);
    }
    if (host.down && host.down.until > this.now) return this.finish(item, host.down.decision);
    this.enqueue(host, item);
  }

  // ---- Hosts: queues, workers, limits. ----

  private newHost(key: string, hosts: MailHost[]): HostState {
    this.evictHosts();
    return {
      key, hosts, queue: [], head: 0, delayed: 0, active: 0,
      maxActive: this.o.perHost ?? DEFAULTS.perHost,
      notBefore: 0, backoffMs: 0, batchSize: this.batchMax, rateNextAt: 0, failedConnects: 0, fruitless: 0,
      badAddresses: new Map(), wake: [],
    };
  }

  private evictHosts(): void {
    const max = DEFAULTS.maxDomains;
    if (this.hosts.size < max) return;
    for (const [k, h] of this.hosts) {
      if (this.hosts.size < max) break;
      if (h.active === 0 && h.delayed === 0 && this.queued(h) === 0 && h.notBefore < this.now) this.hosts.delete(k);
    }
  }

  private queued(h: HostState): number {
    return h.queue.length - h.head;
  }

  private enqueue(h: HostState, item: Item, front = false): void {
    if (front) {
      if (h.head > 0) h.queue[--h.head] = item;
      else h.queue.unshift(item);
    } else h.queue.push(item);
    const w = h.wake.shift();
    if (w) w();
    else this.schedule(h);
  }

  private shiftItem(h: HostState): Item | undefined {
    if (h.head >= h.queue.length) return undefined;
    const item = h.queue[h.head];
    h.queue[h.head++] = undefined as unknown as Item;
    if (h.head > 1024 && h.head * 2 > h.queue.length) {
      h.queue = h.queue.slice(h.head);
      h.head = 0;
    }
    return item;
  }

  /** Start workers where work waits, within the limits. Only hosts with queued work are looked at. */
  private schedule(host?: HostState): void {
    if (host) this.ready.add(host);
    if (this.stopping) return;
    const now = this.now;
    const limit = this.o.concurrency ?? DEFAULTS.concurrency;
    let earliest = Infinity;
    for (const h of this.ready) {
      const q = this.queued(h);
      if (q === 0) {
        this.ready.delete(h);
        continue;
      }
      if (h.notBefore > now) {
        earliest = Math.min(earliest, h.notBefore);
        continue;
      }
      // One connection per batch waiting, up to the per-host limit: a single address uses one.
      const wanted = Math.min(h.maxActive, Math.ceil(q / h.batchSize));
      while (h.active < wanted && this.activeWorkers < limit) void this.worker(h);
      if (h.active >= wanted) this.ready.delete(h);
      if (this.activeWorkers >= limit) break;
    }
    if (earliest < Infinity && !this.scheduleTimer) {
      this.scheduleTimer = setTimeout(() => {
        this.scheduleTimer = undefined;
        this.schedule();
      }, Math.max(1, earliest - now));
    }
  }

  /** A pause that Ctrl-C ends at once (its timer is cleared, so the process can exit). */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.delay(ms, resolve);
      void this.stopped.then(resolve);
    });
  }

  private delay(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private backOff(h: HostState, why: string, fewerConnections: boolean): void {
    h.backoffMs = h.backoffMs === 0 ? (this.o.backoffMs ?? DEFAULTS.backoffMs) : Math.min(h.backoffMs * 2, this.o.maxBackoffMs ?? DEFAULTS.maxBackoffMs);
    h.notBefore = this.now + h.backoffMs;
    if (fewerConnections && h.maxActive > 1) h.maxActive--;
    this.o.onEvent?.({ type: 'note', host: h.hosts[0]?.name ?? h.key, message: `${why}: waiting ${Math.round(h.backoffMs / 1000)} s, then ${h.maxActive} connection(s) at most` });
  }

  private async worker(h: HostState): Promise<void> {
    h.active++;
    this.activeWorkers++;
    try {
      while (!this.stopping && this.queued(h) > 0) {
        if (h.notBefore > this.now) break; // the scheduler starts a worker again after the back-off
        const s = await this.connectHost(h);
        if (!s) break;
        const ended = await this.useSession(h, s);
        this.o.onEvent?.({ type: 'session', host: s.result.host, address: s.result.address, open: false });
        await s.close();
        if (ended === 'idle') break;
      }
    } catch (e) {
      // A bug, not a peer: fail what this host holds rather than hang the run.
      this.failQueue(h, decideSession({ kind: 'protocol', stage: 'connect', message: `internal error: ${e instanceof Error ? e.message : String(e)}` }, null, 0));
    } finally {
      h.active--;
      this.activeWorkers--;
      if (this.queued(h) > 0) this.ready.add(h);
      this.schedule();
      this.wakeMain();
    }
  }

  private failQueue(h: HostState, d: Decision): void {
    for (let item = this.shiftItem(h); item; item = this.shiftItem(h)) this.finish(item, d);
  }

  private trackedConnect: Connect = async (to, deadlineAt) => {
    const c = await (this.o.connect ?? connectTransport)(to, deadlineAt);
    if (!c.ok) return c;
    this.stats.connections++;
    const t = c.transport;
    const set = this.transports;
    if (this.stopping) t.close();
    else set.add(t);
    const wrapped: Transport = {
      get isTls() { return t.isTls; },
      get localAddress() { return t.localAddress; },
      readReply: (d) => t.readReply(d),
      write: (b) => t.write(b),
      upgradeTls: (o, d) => t.upgradeTls(o, d),
      close: () => {
        set.delete(t);
        t.close();
      },
    };
    return { ...c, transport: wrapped };
  };

  /** The first mail host (preference order) that greets us and takes EHLO; next on failure. */
  private async connectHost(h: HostState): Promise<SmtpSession | undefined> {
    const now = this.now;
    const candidates: { mx: MailHost; address: string; bad: number }[] = [];
    for (const mx of h.hosts) {
      for (const address of mx.addresses) {
        if (this.o.family && net.isIP(address) !== this.o.family) continue;
        const until = h.badAddresses.get(`${address}`) ?? 0;
        candidates.push({ mx, address, bad: until > now ? 1 : 0 });
      }
    }
    // Addresses that failed a moment ago go last (stable: preference order otherwise).
    candidates.sort((a, b) => a.bad - b.bad);
    let last: { outcome: Outcome; mx: string } | undefined;
    let tried = 0;
    let busy = false;
    const skipHosts = new Set<string>();
    for (const c of candidates) {
      if (this.stopping) return undefined;
      if (skipHosts.has(c.mx.name)) continue;
      tried++;
      const s = await openSession(
        {
          host: c.mx.name, address: c.address, port: this.o.port ?? DEFAULTS.port, implicitTls: false,
          tlsMode: this.o.tlsMode ?? 'auto', tlsVerify: this.o.tlsVerify === true, tls: this.o.ca ? { ca: this.o.ca } : {},
          helo: this.o.helo, timeoutScale: this.o.timeoutScale ?? 1, runDeadline: Date.now() + 24 * 3_600_000,
          ...(this.o.pipelining === false ? { pipelining: false } : {}),
          recordTransactions: false,
        },
        { connect: this.trackedConnect, now: this.o.now ?? Date.now },
      );
      if (s.usable) {
        h.failedConnects = 0;
        h.badAddresses.delete(c.address);
        this.o.onEvent?.({ type: 'session', host: c.mx.name, address: c.address, open: true });
        return s;
      }
      await s.close();
      const o = s.result.outcome;
      last = { outcome: o, mx: c.mx.name };
      if (o.stage === 'connect') {
        h.badAddresses.set(c.address, now + DEFAULTS.downForMs);
        continue;
      }
      // Refused or deferred after connecting: the next MX host (Postfix skips 4xx/5xx banners too).
      skipHosts.add(c.mx.name);
      if (o.reply && o.reply.code >= 400 && o.reply.code < 500) {
        const c2 = classifyReply({ code: o.reply.code, ...(o.reply.enhanced ? { enhanced: o.reply.enhanced } : {}), text: o.reply.text, stage: o.stage });
        if (o.reply.code === 421 || c2.reason === 'toomanyconn' || c2.reason === 'speeding' || c2.reason === 'exceedlimit') busy = true;
      }
    }
    if (!last) {
      if (!this.stopping) this.failQueue(h, decideSession({ kind: 'network', stage: 'connect', message: 'no usable mail host address' }, null, 0));
      return undefined;
    }
    const decision = decideSession(last.outcome, last.outcome.stage === 'connect' ? null : last.mx, tried);
    h.failedConnects++;
    const attempts = this.o.maxAttempts ?? DEFAULTS.maxAttempts;
    if ((busy || decision.temporary && last.outcome.stage !== 'connect') && h.failedConnects < attempts) {
      // "Too many connections", 4xx greetings: wait, use fewer connections, try again.
      this.backOff(h, `${last.mx} deferred the connection (${last.outcome.reply?.code ?? last.outcome.kind})`, true);
      return undefined;
    }
    // Unreachable, refused for good, or still deferring after the retries: fail what waits,
    // and for a while answer this host's next addresses the same way without connecting.
    h.down = { until: this.now + (decision.temporary ? DEFAULTS.downForMs : DEFAULTS.downForMs * 4), decision };
    h.failedConnects = 0;
    this.failQueue(h, decision);
    return undefined;
  }

  /** Take up to `max` items (fewer when catch-all probes need slots), waiting briefly for more. */
  private async takeBatch(h: HostState): Promise<{ items: Item[]; probes: string[] }> {
    if (this.queued(h) === 0 && !this.inputDone && !this.stopping) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          const i = h.wake.indexOf(done);
          if (i >= 0) h.wake.splice(i, 1);
          resolve();
        }, this.o.lingerMs ?? DEFAULTS.lingerMs);
        const done = (): void => {
          clearTimeout(t);
          resolve();
        };
        h.wake.push(done);
      });
    }
    const max = Math.max(1, Math.min(h.batchSize, this.batchMax));
    const items: Item[] = [];
    const probes = new Set<string>();
    while (items.length + probes.size < max && !this.stopping) {
      const next = h.queue[h.head];
      if (!next) break;
      const d = this.domains.get(next.addr.domain);
      const probe = this.needsProbe(d) && !probes.has(next.addr.domain);
      // The probe must fit in the same transaction; with room for one RCPT only, skip it.
      if (probe && items.length + probes.size + 2 > max && max > 1) break;
      this.shiftItem(h);
      items.push(next);
      if (probe && max > 1) probes.add(next.addr.domain);
    }
    return { items, probes: [...probes] };
  }

  private needsProbe(d: DomainState | undefined): boolean {
    return this.o.catchAllCheck !== false && d !== undefined && d.catchAll === null && d.probeTries < 2 && !d.domain.startsWith('[');
  }

  private async rateLimit(h: HostState, n: number): Promise<void> {
    const rate = this.o.ratePerHost ?? DEFAULTS.ratePerHost;
    if (!(rate > 0)) return;
    const now = this.now;
    const start = Math.max(now, h.rateNextAt);
    h.rateNextAt = start + (n * 1000) / rate;
    // Ctrl-C must not wait out a slow rate.
    if (start > now) await this.wait(start - now);
  }

  /** Transactions on one session until the queue is empty (→ idle) or the session breaks. */
  private async useSession(h: HostState, s: SmtpSession): Promise<'idle' | 'broken'> {
    const mx = s.result.host;
    while (!this.stopping && s.usable) {
      const { items, probes } = await this.takeBatch(h);
      if (items.length === 0) return 'idle';
      const utf8 = s.result.extensions?.smtputf8 === true;
      const asked = items.filter((i) => {
        if (!i.addr.utf8 || utf8) return true;
        this.finish(i, decideNoUtf8(mx));
        return false;
      });
      if (asked.length === 0) continue;
      await this.rateLimit(h, asked.length);
      if (this.stopping) return 'idle'; // these stay unanswered (pending), like any not yet asked
      let tx: TransactionResult;
      try {
        tx = await s.transaction(this.from, asked.map((i) => i.addr.address));
      } catch (e) {
        // Input was checked when read, so this is a bug: answer these addresses, do not hang.
        for (const item of asked) this.finish(item, decideSession({ kind: 'protocol', stage: 'rcpt', message: `internal error: ${e instanceof Error ? e.message : String(e)}` }, mx, 1));
        return 'broken';
      }
      this.stats.transactions++;
      this.stats.rcpts += asked.length;
      await this.settle(h, s, tx, asked, probes);
    }
    return this.stopping ? 'idle' : 'broken';
  }

  /**
   * Put back what a broken transaction left unanswered, in order, at the front. Only the first
   * of them is charged an attempt: the others waited behind it (one slow or poisonous address
   * must not fail a whole batch). `progress` says whether the transaction answered anything;
   * maxAttempts transactions in a row without progress fail the host's queue.
   */
  private requeue(h: HostState, items: Item[], why: Outcome, mx: string, progress: boolean): void {
    if (this.stopping || items.length === 0) return; // unanswered: counted as pending, verified again on --resume
    const max = this.o.maxAttempts ?? DEFAULTS.maxAttempts;
    const [first, ...rest] = items as [Item, ...Item[]];
    first.attempts++;
    let put = items;
    if (first.attempts >= max) {
      this.finish(first, decideSession(why, mx, 1));
      put = rest;
      progress = true;
    }
    h.fruitless = progress ? 0 : h.fruitless + 1;
    if (h.fruitless >= max) {
      h.fruitless = 0;
      for (const item of put) this.finish(item, decideSession(why, mx, 1));
      this.failQueue(h, decideSession(why, mx, 1));
      return;
    }
    for (const item of [...put].reverse()) this.enqueue(h, item, true);
  }

  /** Turn a transaction's replies into results; put back what got no answer. */
  private async settle(h: HostState, s: SmtpSession, tx: TransactionResult, items: Item[], probeDomains: string[]): Promise<void> {
    const mx = s.result.host;
    const mail = tx.mail;
    if (!mail || mail.code === 421) {
      // The connection failed before the sender was answered (or the server is closing).
      this.requeue(h, items, tx.outcome, mx, false);
      if (mail?.code === 421) this.backOff(h, `${mx} closed the session (421)`, false);
      return;
    }
    if (mail.code >= 400) {
      for (const item of items) this.finish(item, decideMail(mail, mx, this.from));
      return;
    }
    const answered: { item: Item; reply: Reply }[] = [];
    const unanswered: Item[] = [];
    let limitAt = -1;
    for (const [i, item] of items.entries()) {
      const r = tx.rcpts[i]?.reply;
      if (!r || r.code === 421) unanswered.push(item);
      else if (isTooManyRecipients(r) && i > 0) {
        // A per-transaction limit: those recipients go into the next transaction.
        if (limitAt < 0) limitAt = i;
        this.enqueue(h, item, true);
      } else answered.push({ item, reply: r });
    }
    if (limitAt > 0 && limitAt < h.batchSize) {
      h.batchSize = limitAt;
      this.o.onEvent?.({ type: 'note', host: mx, message: `${mx} takes at most ${limitAt} recipients per transaction; batches shrink to that` });
    }
    if (answered.length > 0) h.backoffMs = 0;

    // Catch-all: a refused real address proves the domain does not accept everything.
    for (const { item, reply } of answered) {
      const d = this.domains.get(item.addr.domain);
      if (d && d.catchAll === null && reply.code >= 500 && classifyReply({ code: reply.code, ...(reply.enhanced ? { enhanced: reply.enhanced } : {}), text: reply.text, stage: 'rcpt' }).reason === 'userunknown') {
        d.catchAll = false;
      }
    }
    const toProbe = probeDomains.filter((dom) => {
      const d = this.domains.get(dom);
      return this.needsProbe(d) && answered.some((a) => a.item.addr.domain === dom && a.reply.code < 300);
    });
    if (toProbe.length > 0 && s.usable) await this.probe(s, toProbe);

    for (const { item, reply } of answered) {
      const d = this.domains.get(item.addr.domain);
      const decision = decideRcpt(reply, d?.catchAll ?? null, mx);
      if (decision.reason === 'greylisted' && (this.o.waitGreylistMs ?? 0) > 0 && !item.greylisted) {
        this.waitGreylist(h, item, this.result(item, decision));
        continue;
      }
      const r = this.result(item, decision);
      if (item.greylisted) r.greylistRetried = true;
      this.emit(r);
    }
    if (unanswered.length > 0) {
      this.requeue(h, unanswered, tx.outcome, mx, answered.length > 0);
      if (tx.outcome.reply?.code === 421 && answered.length === 0) this.backOff(h, `${mx} closed the session (421)`, false);
    }
  }

  /** One RCPT per domain to a random local part, in the transaction still open. */
  private async probe(s: SmtpSession, domains: string[]): Promise<void> {
    const rcpts = domains.map((dom) => `${randomLocalPart(this.o.randomBytes)}@${dom}`);
    for (const dom of domains) {
      const d = this.domains.get(dom);
      if (d) d.probeTries++;
    }
    const ptx = await s.addRecipients(rcpts);
    this.stats.catchAllProbes += rcpts.length;
    this.stats.rcpts += rcpts.length;
    for (const [i, dom] of domains.entries()) {
      const d = this.domains.get(dom);
      const r = ptx.rcpts[i]?.reply;
      if (!d || !r) continue;
      if (r.code >= 200 && r.code < 300) d.catchAll = true;
      else if (r.code >= 500) {
        const c = classifyReply({ code: r.code, ...(r.enhanced ? { enhanced: r.enhanced } : {}), text: r.text, stage: 'rcpt' });
        // Only "no such user" proves it; a policy refusal of the probe proves nothing.
        if (c.reason === 'userunknown' || c.reason === 'undefined') d.catchAll = false;
      }
    }
  }

  private waitGreylist(h: HostState, item: Item, first: VerifyResult): void {
    item.greylisted = first;
    h.delayed++;
    this.delayedItems.add(item);
    const wait = Math.max(this.o.waitGreylistMs ?? 0, 0);
    this.o.onEvent?.({ type: 'note', host: first.mx ?? undefined, message: `${item.addr.address} was greylisted; asking again in ${Math.round(wait / 1000)} s` });
    this.delay(wait, () => {
      h.delayed--;
      this.delayedItems.delete(item);
      if (this.stopping) return;
      this.enqueue(h, item, true);
    });
  }

  // ---- Stopping ----

  private stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.onStopped();
    // Greylisted addresses waiting for their second try: the first answer is what we know.
    for (const item of this.delayedItems) if (item.greylisted) this.emit(item.greylisted);
    this.delayedItems.clear();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.scheduleTimer) clearTimeout(this.scheduleTimer);
    for (const h of this.hosts.values()) for (const w of h.wake.splice(0)) w();
    this.roomWaiter?.();
    // Transactions under way get a moment to finish; then the connections are cut.
    const grace = setTimeout(() => { for (const t of [...this.transports]) t.close(); }, this.o.abortGraceMs ?? DEFAULTS.abortGraceMs);
    grace.unref?.();
    this.wakeMain();
  }

  private shutdown(): void {
    const early = !this.stopping && (this.inFlight > 0 || this.activeWorkers > 0);
    if (!this.stopping) this.stop();
    // The consumer stopped early (break): no grace, connections are cut now.
    if (early) for (const t of [...this.transports]) t.close();
  }
}

/** A result with its keys in the documented order (address, verdict, reason first). */
export function resultOf(address: string, input: string | undefined, d: Decision, flags: AddressFlags): VerifyResult {
  const r: VerifyResult = {
    schemaVersion: VERIFY_SCHEMA_VERSION, address, ...(input !== undefined ? { input } : {}),
    verdict: d.verdict, reason: d.reason, catchAll: d.catchAll, mx: d.mx, reply: d.reply, flags,
    message: d.message, temporary: d.temporary, stage: d.stage,
  };
  if (d.retryAfterSeconds !== undefined) r.retryAfterSeconds = d.retryAfterSeconds;
  if (d.provider !== undefined) r.provider = d.provider;
  if (d.greylistRetried) r.greylistRetried = true;
  return r;
}
