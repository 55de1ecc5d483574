// The Redis peer of the scale-out tests (.ci/setup-peers.sh starts a private redis-server on
// 127.77.63.79: 6379 plain, 6380 TLS, a random password in $SMTP_PROBE_REDIS_DIR/password).
// Finding it, and whether the queue tests run: skipped (one line, by the interop reporter) when
// it is absent, failed when SMTP_PROBE_INTEROP=1 requires it (CI, land.sh).
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';

const env = process.env;
export const REDIS_ADDR = env.SMTP_PROBE_REDIS_ADDR ?? '127.77.63.79';
const BASE = env.SMTP_PROBE_REDIS_DIR ?? '/var/lib/smtp-probe-redis';
export const REDIS_REQUIRED = env.SMTP_PROBE_INTEROP === '1';
export const REDIS_HOW_TO_ENABLE = '`sudo bash .ci/setup-peers.sh` (installs Debian\'s redis-server and starts a private '
  + `instance on ${REDIS_ADDR}), then \`SMTP_PROBE_INTEROP=1 npm test\``;

export type RedisPeer = { ok: true; password: string } | { ok: false; why: string };

/** The password setup-peers.sh wrote, or why there is none. */
function readPassword(): { password: string } | { why: string } {
  try {
    const p = readFileSync(`${BASE}/password`, 'utf8').trim();
    return /^[0-9a-f]{16,}$/.test(p) ? { password: p } : { why: `${BASE}/password holds no password` };
  } catch {
    return { why: `it is not set up here (no ${BASE}/password)` };
  }
}

/** PINGs the instance with its password; resolves the state, never rejects. */
export async function findRedis(timeoutMs = 3000): Promise<RedisPeer> {
  const p = readPassword();
  if ('why' in p) return { ok: false, why: p.why };
  const r = new Redis({ host: REDIS_ADDR, port: 6379, password: p.password, lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG' ? { ok: true, password: p.password } : { ok: false, why: `${REDIS_ADDR}:6379 did not answer PING` };
  } catch (e) {
    return { ok: false, why: `the Redis on ${REDIS_ADDR}:6379 is not usable (${e instanceof Error ? e.message : String(e)})` };
  } finally {
    r.disconnect();
  }
}

export function redisSkipped(peer: RedisPeer): boolean {
  return !peer.ok && !REDIS_REQUIRED;
}

/** The password, or a failure saying why and how to start the peer (when required). */
export function requirePassword(peer: RedisPeer): string {
  if (!peer.ok) throw new Error(`the queue tests need this project's Redis, but ${peer.why}: ${REDIS_HOW_TO_ENABLE}`);
  return peer.password;
}

/** redis://:password@addr:6379/db (rediss:// on 6380 with tls). */
export function redisUrl(password: string, db = 0, tls = false): string {
  return `${tls ? 'rediss' : 'redis'}://:${password}@${REDIS_ADDR}:${tls ? 6380 : 6379}/${db}`;
}

/** Deletes every key under a test's namespace. */
export async function dropKeys(r: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await r.del(...keys);
  } while (cursor !== '0');
}
