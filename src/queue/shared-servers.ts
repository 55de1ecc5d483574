// The per-server politeness of verify's host queue (ServerPoliteness) shared through Redis by
// every worker: a slot is a connection lease in Redis. The host queue asks synchronously, so
// this keeps a local view: acquire() hands out a lease already fetched, or starts fetching one
// and says "not yet" (notBefore: ask again in a moment); leases are renewed while held and
// given back on release; back-off, lowered limits and recovery are written through.
import type { ServerPoliteness } from '../verify/servers.js';
import type { Lease, RedisPoliteness } from './politeness.js';

interface Local {
  inUse: Lease[];
  /** Fetched for a connection the scheduler is about to open (taken within a moment, or given back). */
  spare: { lease: Lease; at: number }[];
  asking: boolean;
  /** Not before this time (a back-off in force, or the server full: ask again then). */
  notBefore: number;
  /** Poll interval while the server is full (doubles to 250 ms). */
  pause: number;
  /** A back-off or lowered limit was seen: working sessions are reported so the limit recovers. */
  troubled: boolean;
}

const SPARE_MS = 1_000;

export class SharedServers implements ServerPoliteness {
  private readonly servers = new Map<string, Local>();
  private readonly timer: ReturnType<typeof setInterval>;
  private closed = false;

  /**
   * `workers()`: how many workers share the limit now. Each keeps to its fair share of a
   * server's slots (--per-host / workers, rounded up), so one worker's idle sessions do not
   * hold slots another worker is waiting for.
   */
  constructor(private readonly p: RedisPoliteness, private readonly perServer: number, private readonly onError?: (e: unknown) => void, private readonly workers: () => number = () => 1) {
    // Leases outlive slow sessions only while this worker renews them; spares not taken go back.
    this.timer = setInterval(() => this.tick(), Math.max(50, Math.floor(p.leaseMs / 3)));
    this.timer.unref?.();
  }

  private local(address: string): Local {
    let l = this.servers.get(address);
    if (!l) {
      l = { inUse: [], spare: [], asking: false, notBefore: 0, pause: 20, troubled: false };
      this.servers.set(address, l);
    }
    return l;
  }

  private bg(p: Promise<unknown>): void {
    p.catch((e: unknown) => this.onError?.(e));
  }

  acquire(address: string, now: number): boolean {
    const l = this.local(address);
    if (l.notBefore > now || this.closed) return false;
    if (l.inUse.length >= Math.ceil(this.perServer / Math.max(1, this.workers()))) return false;
    const spare = l.spare.pop();
    if (spare) {
      l.inUse.push(spare.lease);
      return true;
    }
    this.fetch(address, l);
    return false;
  }

  private fetch(address: string, l: Local): void {
    if (l.asking) return;
    l.asking = true;
    this.bg(this.p.tryAcquire(address, this.perServer).then((r) => {
      l.asking = false;
      if (r.ok) {
        if (this.closed) return this.p.release(r.lease);
        l.spare.push({ lease: r.lease, at: Date.now() });
        l.pause = 20;
        l.notBefore = 0;
      } else {
        if (r.waitMs > 0) l.troubled = true;
        l.notBefore = Date.now() + (r.waitMs > 0 ? Math.min(r.waitMs, 5_000) : l.pause);
        l.pause = Math.min(l.pause * 2, 250);
      }
      return undefined;
    }, (e: unknown) => {
      l.asking = false;
      l.notBefore = Date.now() + 1_000; // Redis trouble: not a tight loop
      throw e;
    }));
  }

  release(address: string): void {
    const lease = this.servers.get(address)?.inUse.pop();
    if (lease) this.bg(this.p.release(lease));
  }

  openTo(address: string): number {
    return this.servers.get(address)?.inUse.length ?? 0;
  }

  notBefore(address: string): number {
    const l = this.servers.get(address);
    if (!l) return 0;
    // A lease on its way or waiting: ask again in a moment.
    if (l.asking || l.spare.length > 0) return Date.now() + 10;
    return l.notBefore;
  }

  backOff(address: string, until: number): void {
    const l = this.local(address);
    l.notBefore = Math.max(l.notBefore, until);
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
      const keep: Local['spare'] = [];
      for (const s of l.spare) {
        if (now - s.at > SPARE_MS) this.bg(this.p.release(s.lease));
        else {
          keep.push(s);
          this.bg(this.p.renew(s.lease));
        }
      }
      l.spare = keep;
      if (l.inUse.length === 0 && l.spare.length === 0 && !l.asking && l.notBefore < now && !l.troubled) this.servers.delete(address);
    }
  }

  /** Every lease back (a worker that stops). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const all: Lease[] = [];
    for (const l of this.servers.values()) all.push(...l.inUse, ...l.spare.map((s) => s.lease));
    this.servers.clear();
    await Promise.all(all.map((x) => this.p.release(x).catch(() => {})));
  }
}
