// Redis connections of the scale-out mode: the options BullMQ and our own client get from a
// parsed --queue URL (TLS for rediss://, the system's CAs plus NODE_EXTRA_CA_CERTS or a given
// CA), and a first reachability check that fails in one line (password redacted) instead of
// the client's endless reconnect loop.
import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { redact, type RedisTarget } from './redis-url.js';

export interface RedisExtra {
  /** Extra trusted CA (PEM) for rediss:// (tests; users have NODE_EXTRA_CA_CERTS). */
  ca?: string | Buffer;
  /** How long a connection attempt may take. */
  connectTimeoutMs?: number;
}

/** ioredis options for a target; BullMQ's blocking connections need maxRetriesPerRequest null. */
export function redisOptions(t: RedisTarget, extra: RedisExtra = {}): RedisOptions {
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    ...(t.username !== undefined ? { username: t.username } : {}),
    ...(t.password !== undefined ? { password: t.password } : {}),
    ...(t.tls ? { tls: { servername: isIpLiteral(t.host) ? undefined : t.host, ...(extra.ca ? { ca: extra.ca } : {}) } } : {}),
    connectTimeout: extra.connectTimeoutMs ?? 10_000,
    maxRetriesPerRequest: null,
    // Reconnect after a dropped connection, a little slower each time (capped at 2 s).
    retryStrategy: (times: number) => Math.min(100 * times, 2_000),
    enableAutoPipelining: true,
    // After disconnect() the client waits this long for the socket to close before destroying
    // it (2 s by default, which kept every run alive 2 s past its end).
    disconnectTimeout: 200,
    lazyConnect: false,
  };
}

/** The same options in the type BullMQ declares for them. */
export function bullConnection(t: RedisTarget, extra: RedisExtra = {}): ConnectionOptions {
  // BullMQ sends its own batches (Lua scripts, blocking pops): no auto-pipelining under it.
  return { ...redisOptions(t, extra), enableAutoPipelining: false } as ConnectionOptions;
}

function isIpLiteral(h: string): boolean {
  return /^[\d.]+$/.test(h) || h.includes(':');
}

/** A client for our own commands (politeness, domain facts, result collection). */
export function openRedis(t: RedisTarget, extra: RedisExtra = {}): Redis {
  const r = new Redis(redisOptions(t, extra));
  // Errors surface through the commands that fail; an unhandled 'error' event would crash.
  r.on('error', () => {});
  return r;
}

/**
 * Connect once and PING, without retrying: resolves to undefined when Redis answers, else to
 * one line saying why (the password never in it).
 */
export async function checkRedis(t: RedisTarget, extra: RedisExtra = {}): Promise<string | undefined> {
  const r = new Redis({ ...redisOptions(t, { ...extra, connectTimeoutMs: extra.connectTimeoutMs ?? 5_000 }), retryStrategy: () => null, maxRetriesPerRequest: 0, lazyConnect: true });
  let last: unknown;
  r.on('error', (e: unknown) => { last = e; });
  try {
    await r.connect();
    const pong = await r.ping();
    if (pong !== 'PONG') return `${t.display} answered PING with ${JSON.stringify(String(pong).slice(0, 80))}`;
    return undefined;
  } catch (e) {
    // The server's own words (WRONGPASS, NOAUTH…) arrive as an 'error' event before "Connection is closed".
    const first = last instanceof Error ? last : e;
    const msg = first instanceof Error ? first.message : String(first);
    return `cannot use Redis at ${t.display}: ${redact(msg, t)}`;
  } finally {
    r.disconnect();
  }
}
