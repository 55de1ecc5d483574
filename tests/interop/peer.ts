// The real Postfix peer of the interop tests (.ci/setup-peers.sh starts it on 127.0.0.2):
// a reachability check that fails loudly, the per-session command counts Postfix logs,
// and a recording TCP relay that shows how our bytes were grouped on the wire.
import { existsSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import type { SessionResult } from '../../src/smtp/session.js';

export const POSTFIX_ADDR = '127.0.0.2';
export const POSTFIX_HOST = 'mx.interop.test';
const BASE = process.env.SMTP_PROBE_POSTFIX_DIR ?? '/var/lib/smtp-probe-postfix';
export const POSTFIX_LOG = `${BASE}/log/maillog`;

const HOW = 'run `sudo bash .ci/setup-peers.sh` first (it installs Debian\'s postfix and starts it on 127.0.0.2)';

/** Resolves to Postfix's banner line on 127.0.0.2:25 (then QUITs), or throws saying how to start it. */
export function requirePostfix(timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: POSTFIX_ADDR, port: 25 });
    let buf = '';
    const fail = (why: string): void => {
      socket.destroy();
      reject(new Error(`the interop tests need a real Postfix on ${POSTFIX_ADDR}:25, but ${why}: ${HOW}`));
    };
    const timer = setTimeout(() => fail('no banner came within 5 s'), timeoutMs);
    socket.on('error', (e) => {
      clearTimeout(timer);
      fail(`connecting failed (${e.message})`);
    });
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\r\n');
      if (nl < 0) return;
      clearTimeout(timer);
      const banner = buf.slice(0, nl);
      if (!banner.startsWith('220 ')) return fail(`it greeted with "${banner}"`);
      socket.end('QUIT\r\n');
      resolve(banner);
    });
  });
}

/** Where the Postfix log ends now; later reads start here. Fails when there is no log. */
export function logOffset(): number {
  if (!existsSync(POSTFIX_LOG)) throw new Error(`no Postfix log at ${POSTFIX_LOG}: ${HOW}`);
  return statSync(POSTFIX_LOG).size;
}

export type CommandCounts = Record<string, string>;

/**
 * The counters of every "disconnect from" line logged since `offset`, e.g.
 * "ehlo=2 starttls=1 mail=1 rcpt=0/1 rset=1 quit=1 commands=6/7" → {ehlo: '2', rcpt: '0/1', …}.
 * Postfix writes "ok/total" when some failed, "total" when all succeeded.
 */
export function loggedSessions(offset: number): CommandCounts[] {
  const text = readFileSync(POSTFIX_LOG).subarray(offset).toString('utf8');
  const out: CommandCounts[] = [];
  for (const line of text.split('\n')) {
    const m = /postfix\/(?:[\w-]+\/)?smtpd\[\d+\]: disconnect from \S+ (.*)$/.exec(line);
    if (!m?.[1]) continue;
    out.push(Object.fromEntries(m[1].trim().split(/\s+/).map((kv) => kv.split('=') as [string, string])));
  }
  return out;
}

/** The counters Postfix should log for a session, from the commands the session says it sent. */
export function expectedCounts(r: SessionResult): CommandCounts {
  const tally = new Map<string, { ok: number; total: number }>();
  let ok = 0;
  let total = 0;
  for (const s of r.steps) {
    if (!s.sent) continue;
    const verb = (s.sent.split(' ')[0] ?? '').toLowerCase();
    const t = tally.get(verb) ?? { ok: 0, total: 0 };
    const good = s.reply !== undefined && s.reply.code < 400;
    t.total++;
    total++;
    if (good) {
      t.ok++;
      ok++;
    }
    tally.set(verb, t);
  }
  const fmt = (t: { ok: number; total: number }): string => (t.ok === t.total ? String(t.total) : `${t.ok}/${t.total}`);
  const counts: CommandCounts = {};
  for (const [verb, t] of tally) counts[verb] = fmt(t);
  counts.commands = fmt({ ok, total });
  return counts;
}

/** Canonical text of one counter set, so lists of them compare as multisets. */
export const countsKey = (c: CommandCounts): string => Object.keys(c).sort().map((k) => `${k}=${c[k]}`).join(' ');

export interface Relay {
  port: number;
  /** Each chunk the client wrote, as received by the relay (one entry per 'data' event). */
  chunks: string[];
  close(): Promise<void>;
}

/**
 * A loopback TCP relay to Postfix's port 25 that records what the client sent, chunk by
 * chunk: commands sent in one flight (PIPELINING) arrive as one chunk; plaintext only.
 */
export function startRelay(): Promise<Relay> {
  const chunks: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: POSTFIX_ADDR, port: 25 });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (d: Buffer) => {
      chunks.push(d.toString('latin1'));
      upstream.write(d);
    });
    upstream.pipe(client);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        chunks,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
