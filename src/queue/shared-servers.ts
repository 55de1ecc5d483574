// The per-server politeness of verify's host queue (ServerPoliteness) shared through Redis by
// every worker: a slot is a connection lease in Redis. The host queue asks synchronously, so
// this keeps a local view: acquire() hands out a lease already fetched, or starts fetching one
// and says "not yet"; the scheduler is woken when the
// lease arrives or when another worker frees a slot of a full server (Redis pub/sub, which also
// carries other workers' back-offs at once), with a slow poll as the safety net. Leases are renewed while held; back-off, lowered limits and
// recovery are written through.
import type { ServerPoliteness } from '../verify/servers.js';
import type { Lease, RedisPoliteness } from './politeness.js';

interface Local {
  inUse: Lease[];
  /** Fetched for a connection the scheduler is about to open. */
  spare: { lease: Lease; at: number; timer: ReturnType<typeof setTimeout> }[];
  asking: boolean;
  /** No connection before this time: a back-off in force (ours or another worker's). */
  backoffUntil: number;
  /** The server was full in Redis: ask Redis again at this time (sooner when a slot is freed). */
  retryAt: number;
  /** Safety-net poll interval while the server is full (doubles to MAX_POLL_MS). */
  pause: number;
  /** A back-off or lowered limit was seen: working sessions are reported so the limit recovers. */
  troubled: boolean;
  /** Another worker waits for a slot of this server: keep to the fair share until then. */
  contendedUntil: number;
  /** When this worker last said it waits for a slot (said at most every WANT_MS). */
  wantedAt: number;
}

/** A fetched lease waits this long for the scheduler, then goes back. */
const SPARE_MS = 1_000;
/** Polling a full server is only the safety net (a missed message, an expired lease): pub/sub wakes first. */
const MAX_POLL_MS = 1_000;
/** A worker waiting for a full server says so at most this often; the others keep to their share twice as long. */
const WANT_MS = 500;

export class SharedServers implements ServerPoliteness {
  private readonly servers = new Map<string, Local>();
  private readonly timer: ReturnType<typeof setInterval>;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly unsubscribe: () => void;
  /** Leases fetched from Redis (one round trip each). */
  fetched = 0;

  /**
   * `workers()`: how many workers share the limit now. While another worker waits for a slot
   * of a server, each keeps to its fair share of that server's slots (--per-host / workers,
   * rounded up), so one worker's sessions do not hold slots another is waiting for; uncontended,
   * one worker may use them all.
   */
  constructor(private readonly p: RedisPoliteness, private readonly perServer: number, private readonly onError?: (e: unknown) => void, private readonly workers: () => number = () => 1) {
    // Leases outlive slow sessions only while this worker renews them.
    this.timer = setInterval(() => this.tick(), Math.max(50, Math.floor(p.leaseMs / 3)));
    this.timer.unref?.();
    this.unsubscribe = p.onNews((n) => {
      if (n.kind === 'greylisting') return;
      if (n.kind === 'want') {
        if (n.from === p.id) return;
        this.local(n.server).contendedUntil = Date.now() + 2 * WANT_MS;
        return;
      }
      const l = this.servers.get(n.server);
      if (!l) return;
      if (n.kind === 'free') {
        if (l.retryAt <= Date.now()) return;
        l.retryAt = 0;
        l.pause = 20;
        this.wake?.();
      } else {
        // Another worker's 421: no new session here either.
        l.troubled = true;
        if (n.kind === 'backoff' && n.ms > 0) l.backoffUntil = Math.max(l.backoffUntil, Date.now() + n.ms);
      }
    });
  }

  onFree(wake: () => void): void {
    this.wake = wake;
  }

  private local(address: string): Local {
    let l = this.servers.get(address);
    if (!l) {
      l = { inUse: [], spare: [], asking: false, backoffUntil: 0, retryAt: 0, pause: 20, troubled: false, contendedUntil: 0, wantedAt: 0 };
      this.servers.set(address, l);
    }
    return l;
  }

  private bg(p: Promise<unknown>): void {
    p.catch((e: unknown) => this.onError?.(e));
  }

  acquire(address: string, now: number): boolean {
    const l = this.local(address);
    if (l.backoffUntil > now || this.closed) return false;
    const share = l.contendedUntil > now ? Math.ceil(this.perServer / Math.max(1, this.workers())) : this.perServer;
    if (l.inUse.length >= share) return false;
    const spare = l.spare.pop();
    if (spare) {
      clearTimeout(spare.timer);
      l.inUse.push(spare.lease);
      return true;
    }
    if (l.retryAt <= now) this.fetch(address, l);
    return false;
  }

  /** Keep a lease for a moment (the scheduler takes it at once if it wants it), then give it back. */
  private keep(l: Local, lease: Lease, ms: number): void {
    const s = { lease, at: Date.now(), timer: setTimeout(() => {
      const i = l.spare.indexOf(s);
      if (i < 0) return;
      l.spare.splice(i, 1);
      this.bg(this.p.release(lease));
    }, ms) };
    s.timer.unref?.();
    l.spare.push(s);
  }

  private fetch(address: string, l: Local): void {
    if (l.asking) return;
    l.asking = true;
    this.fetched++;
    this.bg(this.p.tryAcquire(address, this.perServer).then((r) => {
      l.asking = false;
      if (r.ok) {
        if (this.closed) return this.p.release(r.lease);
        this.keep(l, r.lease, SPARE_MS);
        l.pause = 20;
        l.retryAt = 0;
        this.wake?.();
      } else if (r.waitMs > 0) {
        l.troubled = true;
        l.backoffUntil = Date.now() + Math.min(r.waitMs, 5_000);
      } else {
        const now = Date.now();
        l.retryAt = now + l.pause;
        l.pause = Math.min(l.pause * 2, MAX_POLL_MS);
        // Full, and not by this worker alone: the others are asked to keep to their share.
        if (l.inUse.length < Math.ceil(this.perServer / Math.max(1, this.workers())) && now - l.wantedAt >= WANT_MS) {
          l.wantedAt = now;
          this.bg(this.p.want(address));
        }
      }
      return undefined;
    }, (e: unknown) => {
      l.asking = false;
      l.retryAt = Date.now() + 1_000; // Redis trouble: not a tight loop
      throw e;
    }));
  }

  release(address: string): void {
    // Straight back to Redis: the session's socket may still count at the server for a moment,
    // so the next session asks Redis (a round trip) like any other.
    const lease = this.servers.get(address)?.inUse.pop();
    if (lease) this.bg(this.p.release(lease));
  }

  overShare(address: string): boolean {
    const l = this.servers.get(address);
    return l !== undefined && l.contendedUntil > Date.now() && l.inUse.length > Math.ceil(this.perServer / Math.max(1, this.workers()));
  }

  openTo(address: string): number {
    return this.servers.get(address)?.inUse.length ?? 0;
  }

  notBefore(address: string): number {
    const l = this.servers.get(address);
    if (!l) return 0;
    const now = Date.now();
    if (l.backoffUntil > now) return l.backoffUntil;
    // A lease on its way (the scheduler is woken when it comes; this is the fallback).
    if (l.asking || l.spare.length > 0) return now + 50;
    // Full: woken when a slot is freed; asked again at retryAt anyway. Our own fair share: soon.
    return l.retryAt > now ? l.retryAt : now + 250;
  }

  backOff(address: string, until: number): void {
    const l = this.local(address);
    l.backoffUntil = Math.max(l.backoffUntil, until);
    l.troubled = true;
    this.bg(this.p.backOffFor(address, until - Date.now()));
  }

  lower(address: string, openNow: number): number {
    this.local(address).troubled = true;
    this.bg(this.p.lower(address, this.perServer, openNow));
    return Math.max(1, Math.min(this.perServer - 1, openNow));
  }

  worked(address: string): void {
    const l = this.local(address);
    if (!l.troubled) return; // nothing to recover from: no round trip
    this.bg(this.p.worked(address, this.perServer).then((limit) => {
      if (limit >= this.perServer) l.troubled = false;
    }));
  }

  private tick(): void {
    const now = Date.now();
    for (const [address, l] of this.servers) {
      for (const lease of l.inUse) this.bg(this.p.renew(lease));
      for (const s of l.spare) this.bg(this.p.renew(s.lease));
      if (l.inUse.length === 0 && l.spare.length === 0 && !l.asking && l.backoffUntil < now && l.retryAt < now && l.contendedUntil < now && !l.troubled) this.servers.delete(address);
    }
  }

  /** Every lease back (a worker that stops). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.unsubscribe();
    const all: Lease[] = [];
    for (const l of this.servers.values()) {
      all.push(...l.inUse);
      for (const s of l.spare) {
        clearTimeout(s.timer);
        all.push(s.lease);
      }
    }
    this.servers.clear();
    await Promise.all(all.map((x) => this.p.release(x).catch(() => {})));
  }
}
