// Connect functions for verify(): one that binds every connection to a source address
// (--source-ip), and one that asks the shared politeness in Redis first: a connection lease
// on the server's IP (waited for outside the connect deadline, renewed while the session
// lives, released when it closes), the shared back-off and lowered limit when the server
// greets with 421 (too many connections), and the shared RCPT rate (GCRA) applied before
// command lines that carry RCPT TO are written.
import { connectTransport, type Connect, type ReadResult, type Transport } from '../smtp/transport.js';
import type { RedisPoliteness } from './politeness.js';

/** Every connection bound to `localAddress` (one of this host's addresses). */
export function sourceBoundConnect(localAddress: string, base: Connect = connectTransport): Connect {
  return (target, deadlineAt) => base({ ...target, localAddress }, deadlineAt);
}

export interface PoliteConnectOptions {
  politeness: RedisPoliteness;
  /** --per-host: connections at once to one server IP, all workers together. */
  perServer: number;
  /** RCPT TO per second to one server IP, all workers together (0: none). */
  ratePerServer?: number;
  base?: Connect;
  signal?: AbortSignal;
  /**
   * Take a connection lease here (default). false when the host queue already holds one through
   * SharedServers: then only the shared rate is applied here.
   */
  leases?: boolean;
  /** A note for --verbose (a back-off, a lowered limit, a lost lease). */
  onNote?: (server: string, message: string) => void;
}

/** Counts what the politeness layer did, for the worker's summary and the benchmark. */
export interface PoliteStats {
  leases: number;
  /** ms spent waiting for a lease in total. */
  waitedMs: number;
  backOffs: number;
}

export function politeConnect(o: PoliteConnectOptions, stats: PoliteStats = { leases: 0, waitedMs: 0, backOffs: 0 }): Connect {
  const p = o.politeness;
  const base = o.base ?? connectTransport;
  const rate = o.ratePerServer ?? 0;
  if (o.leases === false) {
    // Leases and back-off live in the host queue (SharedServers): only the shared rate here.
    return rate > 0 ? async (target, deadlineAt) => {
      const c = await base(target, deadlineAt);
      return c.ok ? { ...c, transport: rated(c.transport, target.address, p, rate, o.signal) } : c;
    } : base;
  }
  return async (target, deadlineAt) => {
    const server = target.address;
    const t0 = Date.now();
    const lease = await p.acquire(server, o.perServer, o.signal);
    if (!lease) return { ok: false, kind: 'closed', message: 'stopped while waiting for a connection slot (Ctrl-C)' };
    stats.leases++;
    const waited = Date.now() - t0;
    stats.waitedMs += waited;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      clearInterval(renewal);
      p.release(lease).catch(() => {}); // an unreleased lease expires by itself
    };
    // The lease outlives a slow session only while this process is alive to renew it.
    const renewal = setInterval(() => {
      p.renew(lease).then((held) => {
        if (!held) o.onNote?.(server, 'the connection lease expired before it was renewed (this worker was stalled); the limit may be exceeded briefly');
      }, () => {});
    }, Math.max(50, Math.floor(p.leaseMs / 3)));
    renewal.unref?.();
    let c;
    try {
      // Waiting for the slot is not the server's slowness: the connect deadline starts now.
      c = await base(target, deadlineAt + waited);
    } catch (e) {
      release();
      throw e;
    }
    if (!c.ok) {
      release();
      return c;
    }
    // The shared RCPT rate (when set) sits under the lease's own bookkeeping.
    const t = rate > 0 ? rated(c.transport, server, p, rate, o.signal) : c.transport;
    let greeted = false;
    const judgeGreeting = async (r: ReadResult): Promise<void> => {
      greeted = true;
      if (!r.ok) return;
      if (r.reply.code === 421) {
        // "Too many connections" (or come back later) at the greeting: everyone backs off this server,
        // and the limit for all workers becomes at most what is open now.
        const open = await p.held(server).catch(() => o.perServer);
        const [ms, limit] = await Promise.all([p.backOff(server), p.lower(server, o.perServer, Math.max(1, open - 1))]).catch(() => [0, o.perServer]);
        stats.backOffs++;
        o.onNote?.(server, `greeted with ${r.reply.code}: every worker waits ${Math.round(Number(ms) / 1000)} s, then at most ${limit} connection(s) to it`);
      } else if (r.reply.code === 220) {
        p.worked(server, o.perServer).catch(() => {});
      }
    };
    const wrapped: Transport = {
      get isTls() { return t.isTls; },
      get localAddress() { return t.localAddress; },
      readReply: async (d) => {
        const r = await t.readReply(d);
        if (!greeted) await judgeGreeting(r);
        else if (r.ok && r.reply.code === 421) {
          stats.backOffs++;
          p.backOff(server).catch(() => {});
        }
        return r;
      },
      write: (bytes) => t.write(bytes),
      pendingFailure: () => t.pendingFailure?.(),
      upgradeTls: (opts, d) => t.upgradeTls(opts, d),
      close: () => {
        release();
        t.close();
      },
    };
    return { ...c, transport: wrapped };
  };
}

/** RCPT TO command lines in a write (one line, or a pipelined group). */
function countRcpt(bytes: Buffer): number {
  let n = 0;
  const s = bytes.toString('latin1');
  for (let i = s.indexOf('RCPT TO:'); i >= 0; i = s.indexOf('RCPT TO:', i + 8)) if (i === 0 || s[i - 1] === '\n') n++;
  return n;
}

/** A transport whose command lines carrying RCPT TO wait for the shared bucket before they go. */
function rated(t: Transport, server: string, p: RedisPoliteness, rate: number, signal: AbortSignal | undefined): Transport {
  let pending: Promise<void> | undefined;
  let failure: ReturnType<Transport['write']>;
  let waited = 0;
  return {
    get isTls() { return t.isTls; },
    get localAddress() { return t.localAddress; },
    readReply: async (d) => {
      if (pending) await pending;
      if (failure) return { ok: false, ...failure };
      return t.readReply(d + waited);
    },
    write: (bytes) => {
      const n = countRcpt(bytes);
      if (n === 0 && !pending) return t.write(bytes);
      const before = pending;
      pending = (async () => {
        if (before) await before;
        const s = Date.now();
        if (n > 0) await p.rate(server, n, rate, signal).catch(() => {});
        waited += Date.now() - s;
        const f = t.write(bytes);
        if (f) failure = f;
      })();
      return undefined;
    },
    pendingFailure: () => failure ?? t.pendingFailure?.(),
    upgradeTls: async (opts, d) => {
      if (pending) await pending;
      return t.upgradeTls(opts, d + waited);
    },
    close: () => t.close(),
  };
}
