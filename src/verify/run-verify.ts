// Recipient verification for one address or millions, along the data's way: intake.ts reads
// (syntax, dedupe, resume); state.ts holds the domain routing and host-queue records; here the
// MX resolution per domain, the host queue's scheduling (per-server limits in servers.ts,
// back-off, rate) and the host workers (batches of RCPT on reused sessions, the catch-all probe
// that gates a domain's accepts, requeue after hang-ups, greylist retries); replies.ts maps a
// transaction's replies back to its addresses and result.ts shapes the output. Never sends DATA,
// never prints; DNS, sockets and clock come in as options.
import net from 'node:net';
import { resolveMailHosts, type MailHost, type MailHosts } from '../dns/mail-hosts.js';
import type { Resolve } from '../dns/resolver.js';
import type { Reply } from '../smtp/reply-parser.js';
import { openSession, type Outcome, type TransactionResult } from '../smtp/session.js';
import { connectTransport, type Connect, type Transport } from '../smtp/transport.js';
import { classifyReply } from '../catalog/match-text.js';
import { createDns2Resolver, DEFAULT_DNS_TIMEOUT_MS } from '../dns/dns2-resolver.js';
import { systemServers } from '../dns/system-servers.js';
import { heloWarnings } from '../probe/helo.js';
import type { MailAddress } from './address.js';
import { addressFlags, domainFlags, flagLists, type FlagLists } from './flags.js';
import { DEFAULT_MAX_ENTRIES, SeenSet } from './seen-set.js';
import { Intake } from './intake.js';
import { sortReplies, whyUnanswered } from './replies.js';
import { resultOf } from './result.js';
import { ServerSlots } from './servers.js';
import {
  boundedCache, candidatesOf, MAX_PROBES, newHostState, putItem, queued, shiftItem,
  type Connected, type DomainState, type HostState, type Item,
} from './state.js';
import {
  decideDns, decideMail, decideNoUtf8, decideRcpt, decideSession,
  refusesUnknownUsers, viaBackup, type Decision, type SkippedMx, type VerifyResult,
} from './verdict.js';
import {
  checkVerifyOptions, DEFAULTS, randomLocalPart,
  type InputEntry, type VerifyInput, type VerifyOptions, type VerifyRun, type VerifyStats,
} from './options.js';

export {
  checkVerifyOptions, DEFAULTS, randomLocalPart, SUBMISSION_PORTS,
  type InputItem, type VerifyEvent, type VerifyInput, type VerifyOptions, type VerifyRun, type VerifyStats,
} from './options.js';

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


class Verifier {
  readonly stats: VerifyStats = {
    read: 0, verdicts: { deliverable: 0, undeliverable: 0, risky: 0, unknown: 0 },
    duplicates: 0, resumed: 0, connections: 0, transactions: 0, rcpts: 0, catchAllProbes: 0, pending: 0, dedupeFull: false,
  };
  private readonly o: VerifyOptions;
  private readonly lists: FlagLists;
  private readonly from: string;
  private readonly batchMax: number;
  private readonly intake: Intake;
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
  /** Pauses under way: Ctrl-C ends them at once; each is removed when it ends. */
  private readonly stopWaiters = new Set<() => void>();
  private readonly servers: ServerSlots;

  constructor(o: VerifyOptions) {
    this.o = o;
    this.lists = flagLists(o);
    this.from = o.from ?? '';
    this.batchMax = o.batchSize ?? DEFAULTS.batchSize;
    this.intake = new Intake(this.stats, o.dedupe === false ? undefined : new SeenSet(o.dedupeLimit ?? DEFAULT_MAX_ENTRIES));
    this.servers = new ServerSlots(o.perHost ?? DEFAULTS.perHost, DEFAULTS.maxDomains);
  }

  /** Work that runs on its own (a DNS lookup, a worker): its failure ends the run, never unhandled. */
  private spawn(p: Promise<void>): void {
    p.catch((e: unknown) => this.fail(e));
  }

  /** A bug inside a callback that has no caller to throw to: the run ends with it, it never goes unhandled. */
  private fail(e: unknown): void {
    this.inputError ??= e ?? new Error('internal error');
    this.stop();
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

  private result(item: Pick<Item, 'addr' | 'input' | 'line'>, d: Decision): VerifyResult {
    const input = item.input.trim();
    const dom = this.domains.get(item.addr.domain);
    const df = dom ? (dom.flags ??= domainFlags(item.addr, this.lists)) : domainFlags(item.addr, this.lists);
    const r = resultOf(item.addr.address, input !== item.addr.address ? input : undefined, d, addressFlags(item.addr, this.lists, df));
    if (item.line !== undefined) r.line = item.line;
    return r;
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
      if (this.o.skip) await this.intake.loadSkip(this.o.skip);
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


  private async pump(addresses: VerifyInput): Promise<void> {
    try {
      for await (const raw of addresses as AsyncIterable<InputEntry | readonly InputEntry[]>) {
        if (this.stopping) break;
        if (Array.isArray(raw)) for (const a of raw as readonly InputEntry[]) this.take(a);
        else this.take(raw as InputEntry);
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

  private take(raw: InputEntry): void {
    const t = this.intake.take(raw);
    if (t.kind === 'skip') return;
    this.inFlight++;
    this.stats.pending = this.inFlight;
    if (t.kind === 'bad') this.emit(t.result);
    else this.route(t.item);
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
      d = { domain, waiting: [], catchAll: this.lists.nonCatchAll.has(domain) ? false : null, probeTries: 0, probing: 0, parked: [] };
      this.domains.set(domain, d);
      this.evictDomains();
      this.spawn(this.resolveDomain(d, item.addr));
    }
    if (!d.mailHosts) d.waiting.push(item);
    else this.dispatch(item, d);
  }

  private evictDomains(): void {
    const max = DEFAULTS.maxDomains;
    if (this.domains.size <= max) return;
    for (const [k, d] of this.domains) {
      if (this.domains.size <= max) break;
      // A domain whose catch-all answer is awaited stays: its accepts depend on it.
      if (d.mailHosts && d.waiting.length === 0 && d.parked.length === 0 && d.probing === 0) this.domains.delete(k);
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
    return newHostState(key, hosts, this.o.perHost ?? DEFAULTS.perHost, this.batchMax);
  }

  private evictHosts(): void {
    const max = DEFAULTS.maxDomains;
    if (this.hosts.size < max) return;
    for (const [k, h] of this.hosts) {
      if (this.hosts.size < max) break;
      if (h.active === 0 && h.delayed === 0 && queued(h) === 0 && h.notBefore < this.now) this.hosts.delete(k);
    }
  }


  private enqueue(h: HostState, item: Item, front = false): void {
    putItem(h, item, front);
    const w = h.wake.shift();
    if (w) w();
    else this.schedule(h);
  }



  /** Start workers where work waits, within the limits. Only hosts with queued work are looked at. */
  private schedule(host?: HostState): void {
    if (host) this.ready.add(host);
    if (this.stopping) return;
    const now = this.now;
    const limit = this.o.concurrency ?? DEFAULTS.concurrency;
    let earliest = Infinity;
    for (const h of this.ready) {
      if (this.activeWorkers >= limit) break;
      const q = queued(h);
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
      const first = candidatesOf(h, this.o.family, this.now)[0];
      while (h.active < wanted && this.activeWorkers < limit) {
        // --per-host is per server address: the slot is taken on the address tried first.
        if (first && !this.servers.acquire(first.address, now)) {
          const s = this.servers.get(first.address);
          if (s.notBefore > now) earliest = Math.min(earliest, s.notBefore);
          break; // a slot freed by any session schedules again
        }
        this.spawn(this.worker(h, first?.address));
      }
      if (h.active >= wanted) this.ready.delete(h);
    }
    if (earliest < Infinity && !this.scheduleTimer && !this.stopping) {
      this.scheduleTimer = setTimeout(() => {
        this.scheduleTimer = undefined;
        this.schedule();
      }, Math.max(1, earliest - now));
    }
  }

  /** A pause that Ctrl-C ends at once (its timer is cleared, so the process can exit). */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.stopWaiters.delete(resolve);
        resolve();
      }, ms);
      this.timers.add(t);
      // One waiter per pause, dropped when it ends (no closure kept until Ctrl-C).
      this.stopWaiters.add(resolve);
    });
  }

  private delay(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      try {
        fn();
      } catch (e) {
        this.fail(e);
      }
    }, ms);
    this.timers.add(t);
  }

  private backOff(h: HostState, why: string, server?: string, openNow?: number): void {
    h.backoffMs = h.backoffMs === 0 ? (this.o.backoffMs ?? DEFAULTS.backoffMs) : Math.min(h.backoffMs * 2, this.o.maxBackoffMs ?? DEFAULTS.maxBackoffMs);
    h.notBefore = this.now + h.backoffMs;
    let limit = '';
    if (server !== undefined && openNow !== undefined) {
      this.servers.backOff(server, h.notBefore);
      limit = `, then ${this.servers.lower(server, openNow)} connection(s) at most to ${server}`;
    }
    this.o.onEvent?.({ type: 'note', host: h.hosts[0]?.name ?? h.key, message: `${why}: waiting ${Math.round(h.backoffMs / 1000)} s${limit}` });
    this.schedule(h);
  }

  private async worker(h: HostState, slot: string | undefined): Promise<void> {
    h.active++;
    this.activeWorkers++;
    let held = slot;
    try {
      while (!this.stopping && queued(h) > 0) {
        if (h.notBefore > this.now) break; // the scheduler starts a worker again after the back-off
        const c = await this.connectHost(h, held);
        held = c?.slot;
        if (!c) break;
        const ended = await this.useSession(h, c);
        this.o.onEvent?.({ type: 'session', host: c.session.result.host, address: c.session.result.address, open: false });
        await c.session.close();
        if (ended === 'idle') break;
      }
    } catch (e) {
      // A bug, not a peer: fail what this host holds rather than hang the run.
      this.failQueue(h, decideSession({ kind: 'protocol', stage: 'connect', message: `internal error: ${e instanceof Error ? e.message : String(e)}` }, null, 0));
    } finally {
      if (held !== undefined) this.servers.release(held);
      h.active--;
      this.activeWorkers--;
      if (queued(h) > 0) this.ready.add(h);
      // A freed server slot may let another host group start.
      this.schedule();
      this.wakeMain();
    }
  }

  private failQueue(h: HostState, d: Decision): void {
    for (let item = shiftItem(h); item; item = shiftItem(h)) this.finish(item, d);
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
      pendingFailure: () => t.pendingFailure?.(),
      upgradeTls: (o, d) => t.upgradeTls(o, d),
      close: () => {
        set.delete(t);
        t.close();
      },
    };
    return { ...c, transport: wrapped };
  };

  /**
   * The first mail host (preference order) that greets us and takes EHLO; next on failure.
   * `slot` is the server slot already taken for the first candidate; the returned session holds
   * the slot of the address it is connected to (undefined when none is held).
   */
  private async connectHost(h: HostState, slot: string | undefined): Promise<Connected | undefined> {
    const now = this.now;
    const candidates = candidatesOf(h, this.o.family, this.now);
    let held = slot;
    let last: { outcome: Outcome; mx: string } | undefined;
    let tried = 0;
    let busy: { address: string } | undefined;
    const skipHosts = new Set<string>();
    const releaseHeld = (): void => {
      if (held !== undefined) this.servers.release(held);
      held = undefined;
    };
    for (const c of candidates) {
      if (this.stopping) break;
      if (skipHosts.has(c.mx.name)) continue;
      if (c.address !== held) {
        releaseHeld();
        // A fallback address at its own limit is not overloaded further.
        if (!this.servers.acquire(c.address, now)) {
          h.failures.set(c.mx.name, `${c.mx.name} [${c.address}] was at its connection limit`);
          continue;
        }
        held = c.address;
      }
      tried++;
      const s = await openSession(
        {
          host: c.mx.name, address: c.address, port: this.o.port ?? DEFAULTS.port, implicitTls: false,
          tlsMode: this.o.tlsMode ?? 'auto', tlsVerify: this.o.tlsVerify === true, tls: { ...(this.o.ca ? { ca: this.o.ca } : {}), ...(this.o.tlsName ? { servername: this.o.tlsName } : {}) },
          helo: this.o.helo, timeoutScale: this.o.timeoutScale ?? 1, runDeadline: Date.now() + 24 * 3_600_000,
          ...(this.o.pipelining === false ? { pipelining: false } : {}),
          recordTransactions: false,
        },
        { connect: this.trackedConnect, now: this.o.now ?? Date.now },
      );
      if (s.usable) {
        h.failedConnects = 0;
        h.busyStrikes = 0;
        h.badAddresses.delete(c.address);
        h.failures.delete(c.mx.name);
        this.servers.worked(c.address);
        this.o.onEvent?.({ type: 'session', host: c.mx.name, address: c.address, open: true });
        return { session: s, slot: held, skipped: this.betterHostsSkipped(h, c.mx), answered: 0 };
      }
      await s.close();
      const o = s.result.outcome;
      last = { outcome: o, mx: c.mx.name };
      h.failures.set(c.mx.name, o.message);
      if (o.stage === 'connect') {
        h.badAddresses.set(c.address, now + DEFAULTS.downForMs);
        continue;
      }
      // Refused or deferred after connecting: the next MX host (Postfix skips 4xx/5xx banners too).
      skipHosts.add(c.mx.name);
      if (o.reply && o.reply.code >= 400 && o.reply.code < 500) {
        const c2 = classifyReply({ code: o.reply.code, ...(o.reply.enhanced ? { enhanced: o.reply.enhanced } : {}), text: o.reply.text, stage: o.stage });
        if (o.reply.code === 421 || c2.reason === 'toomanyconn' || c2.reason === 'speeding' || c2.reason === 'exceedlimit') busy ??= { address: c.address };
      }
    }
    releaseHeld();
    if (this.stopping) return undefined;
    if (!last) {
      // Every address was at its limit (or none is usable): wait for a slot rather than fail.
      if (candidates.length > 0) {
        h.notBefore = this.now + Math.max(10, this.o.lingerMs ?? DEFAULTS.lingerMs);
        this.schedule(h);
        return undefined;
      }
      this.failQueue(h, decideSession({ kind: 'network', stage: 'connect', message: 'no usable mail host address' }, null, 0));
      return undefined;
    }
    const decision = decideSession(last.outcome, last.outcome.stage === 'connect' ? null : last.mx, tried);
    const attempts = this.o.maxAttempts ?? DEFAULTS.maxAttempts;
    if (busy) {
      // "Too many connections" (421 at the greeting): fewer connections, later. While other
      // sessions with that server work, this is never a failure of the queue; alone, it is
      // retried with a growing back-off and only then answered with the server's own words.
      const open = this.servers.get(busy.address).active;
      if (open === 0) h.busyStrikes++;
      if (open > 0 || h.busyStrikes < attempts * 2) {
        this.backOff(h, `${last.mx} deferred the connection (${last.outcome.reply?.code ?? last.outcome.kind})`, busy.address, open);
        return undefined;
      }
    } else {
      h.failedConnects++;
      if (decision.temporary && last.outcome.stage !== 'connect' && h.failedConnects < attempts) {
        this.backOff(h, `${last.mx} deferred the connection (${last.outcome.reply?.code ?? last.outcome.kind})`);
        return undefined;
      }
    }
    // Unreachable, refused for good, or still deferring after the retries: fail what waits,
    // and for a while answer this host's next addresses the same way without connecting.
    h.down = { until: this.now + (decision.temporary ? DEFAULTS.downForMs : DEFAULTS.downForMs * 4), decision };
    h.failedConnects = 0;
    h.busyStrikes = 0;
    this.failQueue(h, decision);
    return undefined;
  }

  /** Mail hosts preferred over `used` that could not be used just now, with why. */
  private betterHostsSkipped(h: HostState, used: MailHost): SkippedMx[] {
    if (used.preference === null) return [];
    const out: SkippedMx[] = [];
    for (const mx of h.hosts) {
      if (mx.preference === null || mx.preference >= used.preference) continue;
      out.push({ host: mx.name, reason: h.failures.get(mx.name) ?? 'not tried: it failed recently' });
    }
    return out;
  }

  /**
   * Take up to `max` items, waiting briefly for more. A domain whose catch-all status is not known
   * and that no session is probing gets its probe here (the first RCPT of the transaction, so a
   * server that hangs up after N recipients still answers it).
   */
  private async takeBatch(h: HostState): Promise<{ items: Item[]; probes: DomainState[] }> {
    if (queued(h) === 0 && !this.inputDone && !this.stopping) {
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
    const probes: DomainState[] = [];
    while (items.length + probes.length < max && !this.stopping) {
      const next = h.queue[h.head];
      if (!next) break;
      const d = this.domains.get(next.addr.domain);
      const probe = d !== undefined && this.gated(d) && d.probing === 0 && d.probeTries < MAX_PROBES;
      // With room for the item only (--batch 1), the probe goes in a transaction of its own.
      if (probe && items.length + probes.length + 2 > max && items.length > 0) break;
      shiftItem(h);
      items.push(next);
      if (probe) {
        d.probing++; // one probe per domain at a time, whichever session sends it
        probes.push(d);
      }
    }
    return { items, probes };
  }

  /** Accepted recipients of this domain wait for the catch-all answer before they get a verdict. */
  private gated(d: DomainState | undefined): boolean {
    return this.o.catchAllCheck !== false && d !== undefined && d.catchAll === null && !d.domain.startsWith('[');
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
  private async useSession(h: HostState, c: Connected): Promise<'idle' | 'broken'> {
    const s = c.session;
    const mx = s.result.host;
    while (!this.stopping && s.usable) {
      const { items, probes } = await this.takeBatch(h);
      if (items.length === 0) return 'idle';
      const utf8 = s.result.extensions?.smtputf8 === true;
      const asked = items.filter((i) => {
        if (!i.addr.utf8 || utf8) return true;
        this.finish(i, viaBackup(decideNoUtf8(mx), c.skipped));
        return false;
      });
      if (asked.length === 0) {
        for (const d of probes) this.probeDone(d);
        continue;
      }
      const probeRcpts = probes.map((d) => (d.probeAddress ??= `${randomLocalPart(this.o.randomBytes)}@${d.domain}`));
      for (const d of probes) d.probeTries++;
      await this.rateLimit(h, asked.length + probes.length);
      if (this.stopping) {
        for (const d of probes) this.probeDone(d);
        return 'idle'; // these stay unanswered (pending), like any not yet asked
      }
      let tx: TransactionResult;
      let lead = probeRcpts;
      try {
        const max = Math.max(1, Math.min(h.batchSize, this.batchMax));
        if (probeRcpts.length + asked.length > max) {
          // --batch 1: the probe in its own transaction, then the address.
          const ptx = await s.transaction(this.from, probeRcpts);
          this.stats.transactions++;
          this.stats.rcpts += probeRcpts.length;
          this.stats.catchAllProbes += probeRcpts.length;
          this.probeAnswers(probes, ptx, 0);
          c.answered += ptx.rcpts.filter((r) => r.reply !== undefined).length;
          lead = [];
          for (const d of probes) this.releaseParked(d);
          if (!s.usable) {
            this.requeue(h, asked, whyUnanswered(ptx, mx, ptx.outcome.reply?.code === 421 ? ptx.outcome.reply : undefined), mx, false, c.answered);
            return 'broken';
          }
        }
        tx = await s.transaction(this.from, [...lead, ...asked.map((i) => i.addr.address)]);
        this.stats.transactions++;
        this.stats.rcpts += lead.length + asked.length;
        this.stats.catchAllProbes += lead.length;
        if (lead.length > 0) this.probeAnswers(probes, tx, 0);
      } catch (e) {
        for (const d of probes) if (d.probing > 0) this.probeDone(d);
        // Input was checked when read, so this is a bug: answer these addresses, do not hang.
        for (const item of asked) this.finish(item, decideSession({ kind: 'protocol', stage: 'rcpt', message: `internal error: ${e instanceof Error ? e.message : String(e)}` }, mx, 1));
        return 'broken';
      }
      // After a 421 the server is gone, whatever the session still believes: a new connection.
      if (this.settle(h, c, tx, asked, lead.length, probes) === 'closing') return 'broken';
    }
    return this.stopping ? 'idle' : 'broken';
  }

  /** The probes' replies (RCPT `offset`…): a 2xx means catch-all; "no such user" means not. */
  private probeAnswers(probes: DomainState[], tx: TransactionResult, offset: number): void {
    for (const [i, d] of probes.entries()) {
      const rc = tx.rcpts[offset + i];
      const r = rc !== undefined && rc.address === d.probeAddress ? rc.reply : undefined;
      if (r && d.catchAll === null) {
        if (r.code >= 200 && r.code < 300) d.catchAll = true;
        // Only "no such user" proves it; a policy refusal or a deferral of the probe proves nothing.
        else if (r.code >= 500 && refusesUnknownUsers(r, true)) d.catchAll = false;
      }
      d.probing--;
    }
  }

  /** A probe taken but not sent. */
  private probeDone(d: DomainState): void {
    d.probing--;
    d.probeTries = Math.max(0, d.probeTries - 1);
    this.releaseParked(d);
  }

  /**
   * Put back what a broken transaction left unanswered, in order, at the front. When the
   * transaction answered others first (`progress`: a server that hangs up after N recipients),
   * nobody is charged; otherwise only the first is charged an attempt: the others waited behind
   * it (one slow or poisonous address must not fail a whole batch). maxAttempts transactions in a
   * row without progress fail the host's queue. `why` is the reason of these addresses (a 421
   * with its text, or the lost connection), never another address's reply. When the connection
   * had answered RCPTs before it broke (`connectionAnswered`, earlier transactions included), the
   * hang-up is the server's limit per connection (Postfix's smtpd_hard_error_limit), not the
   * fault of the address it fell on: nobody is charged.
   */
  private requeue(h: HostState, items: Item[], why: Outcome, mx: string, progress: boolean, connectionAnswered = 0): void {
    if (this.stopping || items.length === 0) return; // unanswered: counted as pending, verified again on --resume
    const max = this.o.maxAttempts ?? DEFAULTS.maxAttempts;
    const [first, ...rest] = items as [Item, ...Item[]];
    if (connectionAnswered > 0) progress = true;
    if (!progress) first.attempts++;
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
  private settle(h: HostState, c: Connected, tx: TransactionResult, items: Item[], lead: number, probes: DomainState[]): 'closing' | 'open' {
    const mx = c.session.result.host;
    let closing = false;
    const mail = tx.mail;
    const touched = new Set<DomainState>(probes);
    try {
      if (!mail || mail.code === 421) {
        // The connection failed before the sender was answered (or the server is closing).
        const why = whyUnanswered(tx, mx, mail);
        this.requeue(h, items, why, mx, false, c.answered);
        if (why.reply?.code === 421) this.backOff(h, `${mx} closed the session (421)`);
        return 'closing';
      }
      if (mail.code >= 400) {
        for (const item of items) this.finish(item, viaBackup(decideMail(mail, mx, this.from), c.skipped));
        return 'open';
      }
      // The probes went first: the addresses' replies follow them.
      const own: TransactionResult = lead > 0 ? { ...tx, rcpts: tx.rcpts.slice(lead) } : tx;
      const leadClosing = tx.rcpts.slice(0, lead).find((r) => r.reply?.code === 421)?.reply;
      const sorted = sortReplies(items, (i) => i.addr.address, own, mx, leadClosing);
      closing = sorted.closing !== undefined;
      for (const item of [...sorted.tooMany].reverse()) this.enqueue(h, item, true);
      if (sorted.limitAt > 0 && sorted.limitAt + lead < h.batchSize) {
        h.batchSize = sorted.limitAt + lead;
        this.o.onEvent?.({ type: 'note', host: mx, message: `${mx} takes at most ${h.batchSize} recipients per transaction; batches shrink to that` });
      }
      const answered = sorted.answered;
      if (answered.length > 0) h.backoffMs = 0;
      const answeredBefore = c.answered;
      c.answered += answered.length + tx.rcpts.slice(0, lead).filter((r) => r.reply !== undefined).length;

      // Catch-all: a refused real address proves the domain does not accept everything.
      for (const { item, reply } of answered) {
        const d = this.domains.get(item.addr.domain);
        if (d && d.catchAll === null && reply.code >= 500 && refusesUnknownUsers(reply)) {
          d.catchAll = false;
          touched.add(d);
        }
      }
      for (const { item, reply } of answered) {
        const d = this.domains.get(item.addr.domain);
        if (d && reply.code >= 200 && reply.code < 300 && this.gated(d)) {
          // An accept means nothing until the domain is known not to accept everyone.
          d.parked.push({ item, reply, mx, skipped: c.skipped, host: h });
          touched.add(d);
          continue;
        }
        this.decideAnswered(h, item, reply, d, mx, c.skipped);
      }
      if (sorted.unanswered.length > 0) {
        this.requeue(h, sorted.unanswered, sorted.why, mx, answered.length > 0, answeredBefore + answered.length);
        if (sorted.closing && answered.length === 0) this.backOff(h, `${mx} closed the session (${sorted.closing.code})`);
      }
    } finally {
      for (const d of touched) this.releaseParked(d);
    }
    return closing ? 'closing' : 'open';
  }

  private decideAnswered(h: HostState, item: Item, reply: Reply, d: DomainState | undefined, mx: string, skipped: SkippedMx[]): void {
    const decision = viaBackup(decideRcpt(reply, d?.catchAll ?? null, mx), skipped);
    if (decision.reason === 'greylisted' && (this.o.waitGreylistMs ?? 0) > 0 && !item.greylisted) {
      this.waitGreylist(h, item, this.result(item, decision));
      return;
    }
    const r = this.result(item, decision);
    if (item.greylisted) r.greylistRetried = true;
    this.emit(r);
  }

  /**
   * Accepts parked for a domain get their verdict once its catch-all status is known. When the
   * probe could not tell (no answer, a hang-up, a deferral), they are asked again with a new
   * probe, up to MAX_PROBES times; then they are answered with the status unknown, saying so.
   */
  private releaseParked(d: DomainState): void {
    if (d.parked.length === 0 || d.probing > 0) return;
    if (this.gated(d) && d.probeTries < MAX_PROBES) {
      if (this.stopping) return; // unanswered: pending, asked again on --resume
      const parked = d.parked;
      d.parked = [];
      for (const p of [...parked].reverse()) this.enqueue(p.host, p.item, true);
      return;
    }
    const parked = d.parked;
    d.parked = [];
    for (const p of parked) this.decideAnswered(p.host, p.item, p.reply, d, p.mx, p.skipped);
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
    for (const w of this.stopWaiters) w();
    this.stopWaiters.clear();
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

export { resultOf } from './result.js';
