// Politeness shared by every worker, kept in Redis: per receiving-server IP a semaphore of
// connection leases (a sorted set scored by expiry, so a killed worker's slots come back by
// themselves), the limit lowered after "too many connections" and raised back slowly, the 421
// back-off (doubling while it repeats), and a GCRA token bucket for RCPT per second. Each
// operation is one Lua script (atomic, one round trip) timed by Redis's own clock, so workers'
// clocks need not agree. Catch-all and greylist knowledge per domain is shared here too.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** KEYS: conn, backoff, max. ARGV: limit, leaseMs, leaseId. → {got, waitMs (-1: until a release), held} */
const ACQUIRE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local nb = tonumber(redis.call('GET', KEYS[2]) or '0')
if nb > now then return {0, nb - now, redis.call('ZCARD', KEYS[1])} end
local lim = tonumber(ARGV[1])
local m = tonumber(redis.call('GET', KEYS[3]) or ARGV[1])
if m < lim then lim = m end
local n = redis.call('ZCARD', KEYS[1])
if n < lim then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return {1, 0, n + 1}
end
return {0, -1, n}`;

/** KEYS: conn. ARGV: leaseMs, leaseId. → 1 when the lease was still held (and is extended). */
const RENEW = `${NOW}
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2)
return 1`;

/** KEYS: conn. ARGV: leaseId, channel, server. Gives a slot back and says so to waiting workers. */
const RELEASE = `if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then redis.call('PUBLISH', ARGV[2], 'f ' .. ARGV[3]) end
return 0`;

/**
 * KEYS: backoff, backoffLen. ARGV: baseMs, maxMs, channel, server. → the back-off (ms) now in
 * force; every worker hears of it at once (a lease it already holds must not open a new session).
 */
const BACKOFF = `${NOW}
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local len = tonumber(ARGV[1])
if last > 0 then len = math.min(last * 2, tonumber(ARGV[2])) end
local untilAt = now + len
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilAt > cur then redis.call('SET', KEYS[1], untilAt, 'PX', len) end
redis.call('SET', KEYS[2], len, 'PX', len + tonumber(ARGV[2]))
redis.call('PUBLISH', ARGV[3], 'b ' .. ARGV[4] .. ' ' .. len)
return len`;

/** KEYS: backoff. ARGV: ms, channel, server. → the back-off end (epoch ms, Redis's clock) now in force. */
const BACKOFF_FOR = `${NOW}
local untilAt = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilAt > cur then
  redis.call('SET', KEYS[1], untilAt, 'PX', tonumber(ARGV[1]))
  redis.call('PUBLISH', ARGV[2], 'b ' .. ARGV[3] .. ' ' .. ARGV[1])
  return untilAt
end
return cur`;

/** KEYS: max, good. ARGV: perServer, openNow, ttlMs, channel, server. → the new limit. */
const LOWER = `local cur = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
local m = math.max(1, math.min(cur - 1, tonumber(ARGV[2])))
redis.call('SET', KEYS[1], m, 'PX', tonumber(ARGV[3]))
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[4], 'l ' .. ARGV[5] .. ' ' .. m)
return m`;

/** KEYS: max, good, backoffLen. ARGV: perServer, ttlMs. → the limit now. */
const WORKED = `redis.call('DEL', KEYS[3])
local cur = redis.call('GET', KEYS[1])
if not cur then return tonumber(ARGV[1]) end
local m = tonumber(cur)
local g = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]))
if g >= 4 * m then
  m = m + 1
  redis.call('DEL', KEYS[2])
  if m >= tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], m, 'PX', tonumber(ARGV[2])) end
end
return m`;

/** KEYS: rate. ARGV: n, perSecond. → ms to wait before sending the n commands (the slot is reserved). */
const RATE = `${NOW}
local nextAt = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(now, nextAt)
local after = start + math.ceil(tonumber(ARGV[1]) * 1000 / tonumber(ARGV[2]))
redis.call('SET', KEYS[1], after, 'PX', after - now + 1000)
return start - now`;

export interface PolitenessOptions {
  /** Key namespace (default "smtp-probe:polite"): every worker of a fleet must use the same. */
  namespace?: string;
  /** A connection lease lasts this long unless renewed (a dead worker's slot comes back after it). */
  leaseMs?: number;
  /** Limits lowered by "too many connections" come back to --per-host after this long at the latest. */
  lowerTtlMs?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How long shared domain facts (catch-all, greylisting) are believed. */
  factsTtlMs?: number;
}

export interface Lease {
  server: string;
  id: string;
}

export type AcquireResult = { ok: true; lease: Lease; held: number } | { ok: false; waitMs: number; held: number };

/** What workers tell each other at once (pub/sub): a slot freed, a back-off started, a limit lowered. */
export type PolitenessNews =
  | { kind: 'free'; server: string }
  | { kind: 'backoff'; server: string; ms: number }
  | { kind: 'limit'; server: string; limit: number }
  | { kind: 'greylisting'; domain: string }
  /** Another worker found the server full and waits for a slot (`from`: its owner id). */
  | { kind: 'want'; server: string; from: string };

export interface DomainFacts {
  catchAll: boolean | null;
  /** Greylisting seen for the domain (epoch ms, Redis's clock) — a hint for other workers. */
  greylistedAt?: number;
}

/** The shared politeness state. Every method is one round trip (a Lua script or one command). */
export class RedisPoliteness {
  readonly ns: string;
  readonly leaseMs: number;
  private readonly lowerTtlMs: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly factsTtlMs: number;
  private readonly owner = randomBytes(6).toString('hex');
  private seq = 0;
  /** Commands sent (for the benchmark's round trips per address). */
  calls = 0;
  private readonly listeners = new Set<(n: PolitenessNews) => void>();
  private subscriber: Redis | undefined;

  constructor(private readonly redis: Redis, o: PolitenessOptions = {}) {
    this.ns = o.namespace ?? 'smtp-probe:polite';
    this.leaseMs = o.leaseMs ?? 30_000;
    this.lowerTtlMs = o.lowerTtlMs ?? 600_000;
    this.backoffMs = o.backoffMs ?? 2_000;
    this.maxBackoffMs = o.maxBackoffMs ?? 60_000;
    this.factsTtlMs = o.factsTtlMs ?? 6 * 3_600_000;
  }

  private key(server: string, what: string): string {
    return `${this.ns}:srv:{${server}}:${what}`;
  }

  private run(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    this.calls++;
    return this.redis.eval(script, keys.length, ...keys, ...args);
  }

  /** Take a connection slot to `server` if one of `limit` is free and no back-off is in force. */
  async tryAcquire(server: string, limit: number): Promise<AcquireResult> {
    const id = `${this.owner}.${++this.seq}`;
    const [got, wait, held] = (await this.run(ACQUIRE, [this.key(server, 'conn'), this.key(server, 'backoff'), this.key(server, 'max')], [limit, this.leaseMs, id])) as [number, number, number];
    return got === 1 ? { ok: true, lease: { server, id }, held } : { ok: false, waitMs: wait, held };
  }

  /**
   * Wait for a slot: polls (20 ms doubling to 250 ms while the server is full; the back-off's own
   * length while one is in force). Resolves undefined when `signal` aborts first.
   */
  async acquire(server: string, limit: number, signal?: AbortSignal): Promise<Lease | undefined> {
    let pause = 20;
    while (!signal?.aborted) {
      const r = await this.tryAcquire(server, limit);
      if (r.ok) return r.lease;
      const ms = r.waitMs > 0 ? Math.min(r.waitMs, 5_000) : pause;
      pause = Math.min(pause * 2, 250);
      await sleep(ms, signal);
    }
    return undefined;
  }

  /** This worker's id in the news (its own 'want' comes back to it too). */
  get id(): string {
    return this.owner;
  }

  /** Say that this worker waits for a slot of a full server: the others keep to their fair share for a while. */
  async want(server: string): Promise<void> {
    this.calls++;
    await this.redis.publish(this.channel, `w ${server} ${this.owner}`);
  }

  /** Extend a lease; false when it had expired (the slot may be someone else's now). */
  async renew(lease: Lease): Promise<boolean> {
    return (await this.run(RENEW, [this.key(lease.server, 'conn')], [this.leaseMs, lease.id])) === 1;
  }

  /** Give a slot back; workers waiting for one to that server hear of it (onNews). */
  async release(lease: Lease): Promise<void> {
    await this.run(RELEASE, [this.key(lease.server, 'conn')], [lease.id, this.channel, lease.server]);
  }

  private get channel(): string {
    return `${this.ns}:news`;
  }

  /**
   * Call `listener` whenever any worker gives a slot back, starts a back-off or lowers a
   * server's limit (Redis pub/sub on one extra connection, opened for the first listener).
   * Returns the unsubscribe function.
   */
  onNews(listener: (n: PolitenessNews) => void): () => void {
    this.listeners.add(listener);
    if (!this.subscriber) {
      const sub = this.redis.duplicate();
      sub.on('error', () => {}); // reconnects by itself; the poll covers the gap
      sub.on('message', (_channel: string, text: string) => {
        const [k, server, n] = text.split(' ');
        if (!server) return;
        const news: PolitenessNews = k === 'b' ? { kind: 'backoff', server, ms: Number(n) } : k === 'l' ? { kind: 'limit', server, limit: Number(n) }
          : k === 'g' ? { kind: 'greylisting', domain: server } : k === 'w' ? { kind: 'want', server, from: n ?? '' } : { kind: 'free', server };
        for (const f of this.listeners) f(news);
      });
      sub.subscribe(this.channel).catch(() => {});
      this.subscriber = sub;
    }
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Closes the pub/sub connection (the main one is the caller's). */
  close(): void {
    this.listeners.clear();
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  /** Connections held to `server` now (expired leases not counted). */
  async held(server: string): Promise<number> {
    this.calls++;
    const t = await this.redis.time();
    const now = Number(t[0]) * 1000 + Math.floor(Number(t[1]) / 1000);
    return this.redis.zcount(this.key(server, 'conn'), `(${now}`, '+inf');
  }

  /** A 421 or "too many connections": no new connection to `server` for a while (doubling). Returns ms. */
  async backOff(server: string): Promise<number> {
    return Number(await this.run(BACKOFF, [this.key(server, 'backoff'), this.key(server, 'backoff-len')], [this.backoffMs, this.maxBackoffMs, this.channel, server]));
  }

  /** A back-off of a given length (the caller's own doubling): everyone waits at least `ms`. */
  async backOffFor(server: string, ms: number): Promise<void> {
    if (!(ms > 0)) return;
    await this.run(BACKOFF_FOR, [this.key(server, 'backoff')], [Math.ceil(ms), this.channel, server]);
  }

  /** "Too many connections" with `openNow` open: the limit for everyone becomes at most that. */
  async lower(server: string, perServer: number, openNow: number): Promise<number> {
    return Number(await this.run(LOWER, [this.key(server, 'max'), this.key(server, 'good')], [perServer, openNow, this.lowerTtlMs, this.channel, server]));
  }

  /** A session worked: ends the back-off doubling; a lowered limit rises by one after 4×limit of these. */
  async worked(server: string, perServer: number): Promise<number> {
    return Number(await this.run(WORKED, [this.key(server, 'max'), this.key(server, 'good'), this.key(server, 'backoff-len')], [perServer, this.lowerTtlMs]));
  }

  /** Reserve `n` RCPTs to `server` at `perSecond`; resolves after the wait the bucket imposes. */
  async rate(server: string, n: number, perSecond: number, signal?: AbortSignal): Promise<void> {
    if (!(perSecond > 0) || n <= 0) return;
    const wait = Number(await this.run(RATE, [this.key(server, 'rate')], [n, perSecond]));
    if (wait > 0) await sleep(wait, signal);
  }

  private domainKey(domain: string): string {
    return `${this.ns}:dom:${domain.toLowerCase()}`;
  }

  async domainFacts(domain: string): Promise<DomainFacts> {
    this.calls++;
    const [c, g] = await this.redis.hmget(this.domainKey(domain), 'catchAll', 'greylistedAt');
    return { catchAll: c === '1' ? true : c === '0' ? false : null, ...(g ? { greylistedAt: Number(g) } : {}) };
  }

  /**
   * Record what a worker learned about a domain (a catch-all answer, a greylisting). A
   * greylisting also goes into the fleet's list of greylisting domains and is announced at once.
   */
  async learn(domain: string, facts: Partial<DomainFacts>): Promise<void> {
    const f: Record<string, string> = {};
    if (facts.catchAll !== undefined && facts.catchAll !== null) f.catchAll = facts.catchAll ? '1' : '0';
    if (facts.greylistedAt !== undefined) f.greylistedAt = String(facts.greylistedAt);
    if (Object.keys(f).length === 0) return;
    this.calls++;
    const d = domain.toLowerCase();
    const k = this.domainKey(d);
    const m = this.redis.multi().hset(k, f).pexpire(k, this.factsTtlMs);
    if (facts.greylistedAt !== undefined) {
      m.zadd(this.greylistingKey, facts.greylistedAt, d)
        .zremrangebyscore(this.greylistingKey, '-inf', facts.greylistedAt - this.factsTtlMs)
        .pexpire(this.greylistingKey, this.factsTtlMs)
        .publish(this.channel, `g ${d}`);
    }
    await m.exec();
  }

  private get greylistingKey(): string {
    return `${this.ns}:greylisting`;
  }

  /** Domains any worker saw greylisting within the facts' lifetime (at most `max`, the latest). */
  async greylistingDomains(max = 10_000): Promise<string[]> {
    this.calls++;
    return this.redis.zrevrangebyscore(this.greylistingKey, '+inf', Date.now() - this.factsTtlMs, 'LIMIT', 0, max);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
