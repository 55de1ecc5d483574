// Per-server connection accounting for verify: --per-host is a limit per server IP address
// (many domains and MX names share one), lowered when that server says "too many connections"
// (421 at the greeting) and raised back slowly after it works again. Plain bookkeeping, no I/O:
// the host queue asks for a slot before it connects and gives it back when the session ends.
// ServerPoliteness is what the host queue asks; ServerSlots is the in-process implementation.

/**
 * The politeness decisions about server IP addresses, as verify's host queue asks them.
 * Synchronous, because the scheduler asks in a loop: a shared (e.g. Redis) implementation
 * answers from its local view (leases it holds) and syncs that view in the background.
 */
export interface ServerPoliteness {
  /** Take a connection slot to `address` when one is free and it is not backing off; false otherwise. */
  acquire(address: string, now: number): boolean;
  /** Give a slot back (the session ended, or the connection attempt did). */
  release(address: string): void;
  /** Connections open (or being opened) to `address` now. */
  openTo(address: string): number;
  /** No new connection to `address` before this time (epoch ms; 0: none). */
  notBefore(address: string): number;
  /** The server said 421 ("closing", "too many connections"): no new connection before `until`. */
  backOff(address: string, until: number): void;
  /** …and fewer connections: at most `openNow` (never below 1). Returns the new limit. */
  lower(address: string, openNow: number): number;
  /** A session worked (greeted, took EHLO): the limit may grow back, one at a time. */
  worked(address: string): void;
  /**
   * Optional: a shared implementation calls `wake` when a slot it refused may be free now (a
   * lease arrived, another process gave one back), so the scheduler asks again at once.
   */
  onFree?(wake: () => void): void;
  /** Optional: other processes wait for `address` and this one holds more than its share (a session ends after its transaction). */
  overShare?(address: string): boolean;
}

export interface ServerState {
  address: string;
  /** Connections open (or being opened) to this address. */
  active: number;
  /** The limit for this address: --per-host, lowered by "too many connections". */
  max: number;
  /** Back-off: no new connection before this time (epoch ms). */
  notBefore: number;
  /** Sessions that worked since the limit was last lowered (to raise it back, one at a time). */
  goodSince: number;
}

export class ServerSlots implements ServerPoliteness {
  private readonly servers = new Map<string, ServerState>();

  constructor(private readonly perServer: number, private readonly maxKept = 20_000) {}

  get(address: string): ServerState {
    let s = this.servers.get(address);
    if (!s) {
      if (this.servers.size >= this.maxKept) this.evict();
      s = { address, active: 0, max: this.perServer, notBefore: 0, goodSince: 0 };
      this.servers.set(address, s);
    }
    return s;
  }

  /** A connection may be opened now. */
  free(address: string, now: number): boolean {
    const s = this.get(address);
    return s.active < s.max && s.notBefore <= now;
  }

  /** Take a slot when free; false when the server is at its limit or backing off. */
  acquire(address: string, now: number): boolean {
    if (!this.free(address, now)) return false;
    this.get(address).active++;
    return true;
  }

  openTo(address: string): number {
    return this.servers.get(address)?.active ?? 0;
  }

  notBefore(address: string): number {
    return this.servers.get(address)?.notBefore ?? 0;
  }

  release(address: string): void {
    const s = this.servers.get(address);
    if (s && s.active > 0) s.active--;
  }

  /**
   * The server refused a connection for being one too many: at most the connections that are
   * open now (never below 1). Returns the new limit.
   */
  lower(address: string, openNow: number): number {
    const s = this.get(address);
    s.max = Math.max(1, Math.min(s.max - 1, openNow));
    s.goodSince = 0;
    return s.max;
  }

  /** A session worked: after a few in a row, one more connection is allowed again (up to --per-host). */
  worked(address: string): void {
    const s = this.get(address);
    if (s.max >= this.perServer) return;
    if (++s.goodSince >= 4 * s.max) {
      s.max++;
      s.goodSince = 0;
    }
  }

  backOff(address: string, until: number): void {
    const s = this.get(address);
    s.notBefore = Math.max(s.notBefore, until);
  }

  private evict(): void {
    for (const [k, s] of this.servers) {
      if (this.servers.size < this.maxKept) break;
      if (s.active === 0 && s.max === this.perServer) this.servers.delete(k);
    }
  }
}
