// The --queue URL: redis://[[user]:password@]host[:port][/db] or rediss:// (TLS), parsed
// strictly into connection settings, and the one way it is ever shown: with the password
// replaced (display, redact). Pure; the ioredis client is made in connection.ts.
import net from 'node:net';
import { UsageError } from '../errors.js';

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** The URL without its password (user and "***" kept so the user sees one was given). */
  display: string;
}

const HOST_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** Parse a --queue URL; a UsageError (which never repeats the password) when it is not one. */
export function parseRedisUrl(text: string): RedisTarget {
  const bad = (why: string): UsageError => new UsageError(`--queue ${safeShape(text)}: ${why} (give redis://[:password@]host[:port][/db] or rediss://…)`);
  if (/[\0-\x1f\x7f\s]/.test(text)) throw bad('control characters or spaces');
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw bad('not a URL');
  }
  const scheme = u.protocol.toLowerCase();
  if (scheme !== 'redis:' && scheme !== 'rediss:') throw bad(`the scheme must be redis: or rediss:, not ${u.protocol}`);
  if (u.search || u.hash) throw bad('no query or fragment is understood');
  let host = u.hostname;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (!host) throw bad('no host');
  if (!net.isIP(host) && !HOST_RE.test(host)) throw bad(`"${host}" is not a host name or IP address`);
  const port = u.port === '' ? 6379 : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad('bad port');
  const path = u.pathname.replace(/^\//, '');
  if (!/^\d{0,5}$/.test(path)) throw bad(`the path must be a database number, not "${path}"`);
  const db = path === '' ? 0 : Number(path);
  let username: string | undefined;
  let password: string | undefined;
  try {
    username = u.username ? decodeURIComponent(u.username) : undefined;
    password = u.password ? decodeURIComponent(u.password) : undefined;
  } catch {
    throw bad('bad percent-encoding in the user or password');
  }
  const hostPart = net.isIPv6(host) ? `[${host}]` : host;
  const auth = password !== undefined ? `${u.username}:***@` : username !== undefined ? `${u.username}@` : '';
  const display = `${scheme}//${auth}${hostPart}:${port}/${db}`;
  return { host, port, db, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}), tls: scheme === 'rediss:', display };
}

/**
 * Only the parts of an unparseable --queue value that cannot be a password: the scheme and
 * whatever follows the last '@' (the host part), so an error message never repeats a secret.
 */
function safeShape(text: string): string {
  const at = text.lastIndexOf('@');
  if (at < 0) return JSON.stringify(text.slice(0, 200));
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0] ?? '';
  return JSON.stringify(`${scheme}***@${text.slice(at + 1, at + 201)}`);
}

/** Text (an error from the Redis client, say) with every occurrence of the secrets replaced. */
export function redact(text: string, target: Pick<RedisTarget, 'password'> | undefined): string {
  const p = target?.password;
  if (!p) return text;
  let out = text.split(p).join('***');
  const enc = encodeURIComponent(p);
  if (enc !== p) out = out.split(enc).join('***');
  return out;
}
