// Opening a verify session to a host group: the first mail host address (preference order,
// recent failures last, each within its server's connection slot) that greets and takes EHLO.
// A 4xx/5xx banner moves to the next MX; "too many connections" (421 at the greeting) backs
// that server off and lowers its limit; a host that cannot be used is failed for a while.
// The session carries the better MX hosts that were skipped (answers from a backup say so).
import { classifyReply } from '../catalog/match-text.js';
import { openSession, type Outcome } from '../smtp/session.js';
import { connectTransport, type Connect, type Transport } from '../smtp/transport.js';
import type { HostQueue } from './host-queue.js';
import { betterHostsSkipped } from './mx-routing.js';
import { DEFAULTS } from './options.js';
import type { RunCore } from './run-core.js';
import { candidatesOf, type Connected, type HostState } from './state.js';
import { decideSession } from './verdict.js';
import { say } from '../catalog/messages.js';

export class HostConnector {
  constructor(private readonly core: RunCore, private readonly queue: HostQueue) {}

  /** Every connection counted and remembered, so Ctrl-C can cut it. */
  private trackedConnect: Connect = async (to, deadlineAt) => {
    const core = this.core;
    const c = await (core.o.connect ?? connectTransport)(to, deadlineAt);
    if (!c.ok) return c;
    core.stats.connections++;
    const t = c.transport;
    const set = core.transports;
    if (core.stopping) t.close();
    else set.add(t);
    const wrapped: Transport = {
      get isTls() { return t.isTls; },
      get localAddress() { return t.localAddress; },
      readReply: (d) => t.readReply(d),
      write: (b) => t.write(b),
      pendingFailure: () => t.pendingFailure?.(),
      upgradeTls: (o, d) => t.upgradeTls(o, d),
      close: () => {
        set.delete(t);
        t.close();
      },
    };
    return { ...c, transport: wrapped };
  };

  /**
   * The first mail host (preference order) that greets us and takes EHLO; next on failure.
   * `slot` is the server slot already taken for the first candidate; the returned session holds
   * the slot of the address it is connected to (undefined when none is held).
   */
  async connect(h: HostState, slot: string | undefined): Promise<Connected | undefined> {
    const core = this.core;
    const o = core.o;
    const servers = this.queue.servers;
    const now = core.now;
    const candidates = candidatesOf(h, o.family, core.now);
    let held = slot;
    let last: { outcome: Outcome; mx: string } | undefined;
    let tried = 0;
    let busy: { address: string } | undefined;
    const skipHosts = new Set<string>();
    const releaseHeld = (): void => {
      if (held !== undefined) servers.release(held);
      held = undefined;
    };
    for (const c of candidates) {
      if (core.stopping) break;
      if (skipHosts.has(c.mx.name)) continue;
      if (c.address !== held) {
        releaseHeld();
        // A fallback address at its own limit is not overloaded further.
        if (!servers.acquire(c.address, now)) {
          h.failures.set(c.mx.name, `${c.mx.name} [${c.address}] was at its connection limit`);
          continue;
        }
        held = c.address;
      }
      tried++;
      const s = await openSession(
        {
          host: c.mx.name, address: c.address, port: o.port ?? DEFAULTS.port, implicitTls: false,
          tlsMode: o.tlsMode ?? 'auto', tlsVerify: o.tlsVerify === true, tls: { ...(o.ca ? { ca: o.ca } : {}), ...(o.tlsName ? { servername: o.tlsName } : {}) },
          helo: o.helo, timeoutScale: o.timeoutScale ?? 1, runDeadline: Date.now() + 24 * 3_600_000,
          ...(o.pipelining === false ? { pipelining: false } : {}),
          recordTransactions: false,
        },
        { connect: this.trackedConnect, now: o.now ?? Date.now },
      );
      if (s.usable) {
        h.failedConnects = 0;
        h.busyStrikes = 0;
        h.badAddresses.delete(c.address);
        h.failures.delete(c.mx.name);
        servers.worked(c.address);
        o.onEvent?.({ type: 'session', host: c.mx.name, address: c.address, open: true });
        return { session: s, slot: held, skipped: betterHostsSkipped(h, c.mx), answered: 0, rcptsSent: 0, rcptsAnswered: 0, held: [] };
      }
      await s.close();
      const out = s.result.outcome;
      last = { outcome: out, mx: c.mx.name };
      h.failures.set(c.mx.name, out.message);
      if (out.stage === 'connect') {
        h.badAddresses.set(c.address, now + DEFAULTS.downForMs);
        continue;
      }
      // Refused or deferred after connecting: the next MX host (Postfix skips 4xx/5xx banners too).
      skipHosts.add(c.mx.name);
      if (out.reply && out.reply.code >= 400 && out.reply.code < 500) {
        const c2 = classifyReply({ code: out.reply.code, ...(out.reply.enhanced ? { enhanced: out.reply.enhanced } : {}), text: out.reply.text, stage: out.stage });
        if (out.reply.code === 421 || c2.reason === 'toomanyconn' || c2.reason === 'speeding' || c2.reason === 'exceedlimit') busy ??= { address: c.address };
      }
    }
    releaseHeld();
    if (core.stopping) return undefined;
    if (!last) {
      // Every address was at its limit (or none is usable): wait for a slot rather than fail.
      if (candidates.length > 0) {
        h.notBefore = core.now + Math.max(10, o.lingerMs ?? DEFAULTS.lingerMs);
        this.queue.schedule(h);
        return undefined;
      }
      this.queue.failQueue(h, decideSession({ kind: 'network', stage: 'connect', message: 'no usable mail host address' }, null, 0));
      return undefined;
    }
    const decision = decideSession(last.outcome, last.outcome.stage === 'connect' ? null : last.mx, tried);
    const attempts = o.maxAttempts ?? DEFAULTS.maxAttempts;
    if (busy) {
      // "Too many connections" (421 at the greeting): fewer connections, later. While other
      // sessions with that server work, this is never a failure of the queue; alone, it is
      // retried with a growing back-off and only then answered with the server's own words.
      const open = servers.openTo(busy.address);
      if (open === 0) h.busyStrikes++;
      if (open > 0 || h.busyStrikes < attempts * 2) {
        this.queue.backOff(h, say('outcome.banner-deferred', { peer: last.mx, code: last.outcome.reply?.code ?? last.outcome.kind }), busy.address, open);
        return undefined;
      }
    } else {
      h.failedConnects++;
      if (decision.temporary && last.outcome.stage !== 'connect' && h.failedConnects < attempts) {
        this.queue.backOff(h, say('outcome.banner-deferred', { peer: last.mx, code: last.outcome.reply?.code ?? last.outcome.kind }));
        return undefined;
      }
    }
    // Unreachable, refused for good, or still deferring after the retries: fail what waits,
    // and for a while answer this host's next addresses the same way without connecting.
    h.down = { until: core.now + (decision.temporary ? DEFAULTS.downForMs : DEFAULTS.downForMs * 4), decision };
    h.failedConnects = 0;
    h.busyStrikes = 0;
    this.queue.failQueue(h, decision);
    return undefined;
  }
}
