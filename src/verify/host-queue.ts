// verify's scheduling: one queue of addresses per mail-host group; workers started where work
// waits, within --concurrency overall and --per-host per server IP (ServerPoliteness, in-process
// by default); the back-off after a 421 or "too many connections"; --rate per host; and the
// requeue rule (who is charged an attempt when a transaction breaks). Decides when and how many,
// never talks SMTP: the host worker (host-worker.ts) does.
import type { MailHost } from '../dns/mail-hosts.js';
import type { Outcome } from '../smtp/session.js';
import { DEFAULTS } from './options.js';
import type { RunCore } from './run-core.js';
import type { ServerPoliteness } from './servers.js';
import { candidatesOf, newHostState, putItem, queued, shiftItem, type DomainState, type HostState, type Item } from './state.js';
import { decideSession, type Decision } from './verdict.js';
import { say } from '../catalog/messages.js';

export class HostQueue {
  private readonly hosts = new Map<string, HostState>();
  /** Hosts with queued work that may want another worker. */
  private readonly ready = new Set<HostState>();
  private scheduleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set by the pipeline: start a worker for `h`, holding the slot of `slot` (when taken). */
  startWorker: (h: HostState, slot: string | undefined) => Promise<void> = async () => {};

  constructor(private readonly core: RunCore, readonly servers: ServerPoliteness) {
    servers.onFree?.(() => this.schedule());
  }

  /** An address whose domain is resolved: answered now (DNS failure, host down) or queued. */
  dispatch(item: Item, d: DomainState): void {
    const core = this.core;
    if (core.stopping) return;
    if (d.failure) return core.finish(item, d.failure);
    const key = d.hostKey ?? '';
    let host = this.hosts.get(key);
    if (!host) {
      host = this.newHost(key, d.usable ?? []);
      this.hosts.set(key, host);
    }
    if (host.down && host.down.until > core.now) return core.finish(item, host.down.decision);
    this.enqueue(host, item);
  }

  private newHost(key: string, hosts: MailHost[]): HostState {
    this.evictHosts();
    return newHostState(key, hosts, this.core.o.perHost ?? DEFAULTS.perHost, this.core.batchMax);
  }

  private evictHosts(): void {
    const max = DEFAULTS.maxDomains;
    if (this.hosts.size < max) return;
    for (const [k, h] of this.hosts) {
      if (this.hosts.size < max) break;
      if (h.active === 0 && h.delayed === 0 && queued(h) === 0 && h.notBefore < this.core.now) this.hosts.delete(k);
    }
  }

  enqueue(h: HostState, item: Item, front = false): void {
    putItem(h, item, front);
    const w = h.wake.shift();
    if (w) w();
    else this.schedule(h);
  }

  /** A worker ended with work left: the host may want another one. */
  markReady(h: HostState): void {
    this.ready.add(h);
  }

  /** Start workers where work waits, within the limits. Only hosts with queued work are looked at. */
  schedule(host?: HostState): void {
    const core = this.core;
    if (host) this.ready.add(host);
    if (core.stopping) return;
    const now = core.now;
    const limit = core.o.concurrency ?? DEFAULTS.concurrency;
    let earliest = Infinity;
    for (const h of this.ready) {
      if (core.activeWorkers >= limit) break;
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
      const first = candidatesOf(h, core.o.family, core.now)[0];
      while (h.active < wanted && core.activeWorkers < limit) {
        // --per-host is per server address: the slot is taken on the address tried first.
        if (first && !this.servers.acquire(first.address, now)) {
          // A slot freed by a session of this run schedules again; one freed elsewhere (a
          // shared politeness) is seen by asking again a little later.
          const nb = this.servers.notBefore(first.address);
          earliest = Math.min(earliest, nb > now ? nb : now + Math.max(10, core.o.lingerMs ?? DEFAULTS.lingerMs));
          break;
        }
        core.spawn(this.startWorker(h, first?.address));
      }
      if (h.active >= wanted) this.ready.delete(h);
    }
    if (earliest < Infinity && !this.scheduleTimer && !core.stopping) {
      this.scheduleTimer = setTimeout(() => {
        this.scheduleTimer = undefined;
        this.schedule();
      }, Math.max(1, earliest - now));
    }
  }

  /** Ctrl-C: no more scheduling; workers waiting for work wake up and end. */
  stop(): void {
    if (this.scheduleTimer) clearTimeout(this.scheduleTimer);
    for (const h of this.hosts.values()) for (const w of h.wake.splice(0)) w();
  }

  /**
   * The server is closing or has too many connections: this host group waits (doubling, up to
   * maxBackoffMs); with `server`, that IP backs off too and takes at most `openNow` connections.
   */
  backOff(h: HostState, why: string, server?: string, openNow?: number): void {
    const o = this.core.o;
    h.backoffMs = h.backoffMs === 0 ? (o.backoffMs ?? DEFAULTS.backoffMs) : Math.min(h.backoffMs * 2, o.maxBackoffMs ?? DEFAULTS.maxBackoffMs);
    h.notBefore = this.core.now + h.backoffMs;
    let message = say('verify.note.waiting', { whyMsg: why, s: Math.round(h.backoffMs / 1000) });
    if (server !== undefined && openNow !== undefined) {
      this.servers.backOff(server, h.notBefore);
      message = say('verify.note.waiting-limit', { whyMsg: why, s: Math.round(h.backoffMs / 1000), n: this.servers.lower(server, openNow), server });
    }
    o.onEvent?.({ type: 'note', host: h.hosts[0]?.name ?? h.key, message });
    this.schedule(h);
  }

  /** --rate: n more RCPTs to this host, spaced out; Ctrl-C ends the wait. */
  async rateLimit(h: HostState, n: number): Promise<void> {
    const rate = this.core.o.ratePerHost ?? DEFAULTS.ratePerHost;
    if (!(rate > 0)) return;
    const now = this.core.now;
    const start = Math.max(now, h.rateNextAt);
    h.rateNextAt = start + (n * 1000) / rate;
    if (start > now) await this.core.wait(start - now);
  }

  /**
   * Put back, uncharged, addresses whose answer was not the server's judgement of them (a 421,
   * or answers voided because the replies went out of step): on a fresh connection, at the
   * front. After maxAttempts×2 such put-backs of the same address, the usual charging applies
   * (a server that never lets an answer stand must not be asked forever).
   */
  requeueUncharged(h: HostState, items: Item[], why: Outcome, mx: string): void {
    if (this.core.stopping || items.length === 0) return;
    const limit = (this.core.o.maxAttempts ?? DEFAULTS.maxAttempts) * 2;
    const [first] = items as [Item];
    if (++first.uncharged > limit) return this.requeue(h, items, why, mx, false, 0);
    for (const item of items) item.uncharged++;
    first.uncharged--;
    for (const item of [...items].reverse()) this.enqueue(h, item, true);
  }

  /**
   * A 421 ended a session (asked or not): the host group waits; when that connection had no
   * answer at all, the server's IP also backs off and takes one connection fewer.
   */
  closedBy421(h: HostState, server: string, mx: string, why: string, connectionAnswered: number): void {
    if (connectionAnswered > 0) return this.backOff(h, why);
    this.backOff(h, why, server, Math.max(0, this.servers.openTo(server) - 1));
  }

  failQueue(h: HostState, d: Decision): void {
    for (let item = shiftItem(h); item; item = shiftItem(h)) this.core.finish(item, d);
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
  requeue(h: HostState, items: Item[], why: Outcome, mx: string, progress: boolean, connectionAnswered = 0): void {
    const core = this.core;
    if (core.stopping || items.length === 0) return; // unanswered: counted as pending, verified again on --resume
    const max = core.o.maxAttempts ?? DEFAULTS.maxAttempts;
    const [first, ...rest] = items as [Item, ...Item[]];
    if (connectionAnswered > 0) progress = true;
    if (!progress) first.attempts++;
    let put = items;
    if (first.attempts >= max) {
      core.finish(first, decideSession(why, mx, 1));
      put = rest;
      progress = true;
    }
    h.fruitless = progress ? 0 : h.fruitless + 1;
    if (h.fruitless >= max) {
      h.fruitless = 0;
      for (const item of put) core.finish(item, decideSession(why, mx, 1));
      this.failQueue(h, decideSession(why, mx, 1));
      return;
    }
    for (const item of [...put].reverse()) this.enqueue(h, item, true);
  }
}
