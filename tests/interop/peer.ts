// The real Postfix peer of the interop tests (.ci/setup-peers.sh starts it on 127.77.25.2):
// finding it (only this project's own instance, recognised by the marker in its banner), the
// per-session command counts Postfix logs, and a recording TCP relay that shows how our bytes
// were grouped on the wire. SMTP_PROBE_INTEROP=1 makes the suite mandatory (CI, land.sh).
import { existsSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import type { SessionResult } from '../../src/smtp/session.js';

const env = process.env;
/** The instance's own loopback address, chosen so that no other server is likely to use it. */
export const POSTFIX_ADDR = env.SMTP_PROBE_INTEROP_ADDR ?? '127.77.25.2';
export const POSTFIX_HOST = 'mx.interop.test';
const BASE = env.SMTP_PROBE_INTEROP_DIR ?? '/var/lib/smtp-probe-interop';
export const POSTFIX_LOG = `${BASE}/log/maillog`;
const MARKER_FILE = `${BASE}/etc/marker`;
/** Set by .ci/run and land.sh: a missing peer is then a failure, never a skip. */
export const INTEROP_REQUIRED = env.SMTP_PROBE_INTEROP === '1';

export const HOW_TO_ENABLE = '`sudo bash .ci/setup-peers.sh` (once: installs Debian\'s postfix and starts a private '
  + `instance on ${POSTFIX_ADDR}), then \`SMTP_PROBE_INTEROP=1 npm test\``;

/** What the suite found: its own Postfix (with the banner it gave), or why not. */
export type PeerState = { ok: true; banner: string } | { ok: false; why: string };

/** The marker the last setup-peers.sh run put in the banner, or why there is none. */
function readMarker(): { marker: string } | { why: string } {
  let text: string;
  try {
    text = readFileSync(MARKER_FILE, 'utf8');
  } catch {
    return { why: `it is not set up here (no ${MARKER_FILE})` };
  }
  const marker = text.trim();
  return /^smtp-probe-interop-[0-9a-f]{16,}$/.test(marker) ? { marker } : { why: `${MARKER_FILE} holds no marker` };
}

/** Reads the banner on POSTFIX_ADDR:25 (then QUITs); resolves the state, never rejects. */
export function findPostfix(timeoutMs = 5000): Promise<PeerState> {
  const m = readMarker();
  if ('why' in m) return Promise.resolve({ ok: false, why: m.why });
  return new Promise((resolve) => {
    const socket = net.connect({ host: POSTFIX_ADDR, port: 25 });
    let buf = '';
    let done = false;
    const finish = (state: PeerState): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (state.ok) socket.end('QUIT\r\n');
      else socket.destroy();
      resolve(state);
    };
    const timer = setTimeout(() => finish({ ok: false, why: `no banner came from ${POSTFIX_ADDR}:25 within ${timeoutMs / 1000} s` }), timeoutMs);
    socket.on('error', (e) => finish({ ok: false, why: `nothing answers on ${POSTFIX_ADDR}:25 (${e.message})` }));
    socket.on('close', () => finish({ ok: false, why: `${POSTFIX_ADDR}:25 closed without a banner` }));
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\r\n');
      if (nl < 0) return;
      const banner = buf.slice(0, nl);
      if (!banner.startsWith('220 ')) return finish({ ok: false, why: `${POSTFIX_ADDR}:25 greeted with "${banner.slice(0, 120)}"` });
      // Another server on the address is a stranger, whatever it says: never test against it.
      if (!banner.includes(m.marker)) return finish({ ok: false, why: `the server on ${POSTFIX_ADDR}:25 is not this project's Postfix (its banner "${banner.slice(0, 120)}" lacks the marker in ${MARKER_FILE})` });
      finish({ ok: true, banner });
    });
  });
}

/** Resolves to the banner of this project's Postfix, or throws saying why and how to start it. */
export async function requirePostfix(timeoutMs = 5000): Promise<string> {
  const s = await findPostfix(timeoutMs);
  if (!s.ok) throw new Error(`the interop tests need this project's Postfix, but ${s.why}: ${HOW_TO_ENABLE}`);
  return s.banner;
}

/**
 * Whether this file's interop tests run. Decided once per run by tests/setup/interop-peer.ts
 * (which also prints the one skip line): run when the peer is there or SMTP_PROBE_INTEROP=1
 * (then a missing peer fails every test with the reason), skip otherwise.
 */
export function interopSkipped(peer: PeerState): boolean {
  return !peer.ok && !INTEROP_REQUIRED;
}

/** Where the Postfix log ends now; later reads start here. Fails when there is no log. */
export function logOffset(): number {
  if (!existsSync(POSTFIX_LOG)) throw new Error(`no Postfix log at ${POSTFIX_LOG}: ${HOW_TO_ENABLE}`);
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
