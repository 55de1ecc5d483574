// A verify host worker: one connection at a time to a host group (host-connect.ts), reused for
// transaction after transaction while its queue has work. Each transaction is a batch of RCPTs
// (the domain's catch-all probe first when its status is unknown) sent under --rate; its
// replies go to settle-results.ts. The session ends when the queue stays empty (QUIT) or the
// connection breaks (the unanswered are put back for a fresh connection).
import { decideNoUtf8, decideSession, viaBackup } from './verdict.js';
import type { TransactionResult } from '../smtp/session.js';
import type { HostConnector } from './host-connect.js';
import type { HostQueue } from './host-queue.js';
import type { MxRouting } from './mx-routing.js';
import { DEFAULTS, randomLocalPart } from './options.js';
import { whyUnanswered } from './replies.js';
import type { RunCore } from './run-core.js';
import type { ResultSettler } from './settle-results.js';
import { MAX_PROBES, queued, shiftItem, type Connected, type DomainState, type HostState, type Item } from './state.js';

export class HostWorker {
  constructor(
    private readonly core: RunCore,
    private readonly queue: HostQueue,
    private readonly routing: MxRouting,
    private readonly connector: HostConnector,
    private readonly settler: ResultSettler,
  ) {}

  /** Work a host's queue on sessions until it is empty, backing off, or the run stops. */
  async run(h: HostState, slot: string | undefined): Promise<void> {
    const core = this.core;
    h.active++;
    core.activeWorkers++;
    let held = slot;
    try {
      while (!core.stopping && queued(h) > 0) {
        if (h.notBefore > core.now) break; // the scheduler starts a worker again after the back-off
        const c = await this.connector.connect(h, held);
        held = c?.slot;
        if (!c) break;
        const ended = await this.useSession(h, c);
        core.o.onEvent?.({ type: 'session', host: c.session.result.host, address: c.session.result.address, open: false });
        await c.session.close();
        if (ended === 'idle') break;
      }
    } catch (e) {
      // A bug, not a peer: fail what this host holds rather than hang the run.
      this.queue.failQueue(h, decideSession({ kind: 'protocol', stage: 'connect', message: `internal error: ${e instanceof Error ? e.message : String(e)}` }, null, 0));
    } finally {
      if (held !== undefined) this.queue.servers.release(held);
      h.active--;
      core.activeWorkers--;
      if (queued(h) > 0) this.queue.markReady(h);
      // A freed server slot may let another host group start.
      this.queue.schedule();
      core.wakeMain();
    }
  }

  /**
   * Take up to `max` items, waiting briefly for more. A domain whose catch-all status is not known
   * and that no session is probing gets its probe here (the first RCPT of the transaction, so a
   * server that hangs up after N recipients still answers it).
   */
  private async takeBatch(h: HostState): Promise<{ items: Item[]; probes: DomainState[] }> {
    const core = this.core;
    if (queued(h) === 0 && !core.inputDone && !core.stopping) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          const i = h.wake.indexOf(done);
          if (i >= 0) h.wake.splice(i, 1);
          resolve();
        }, core.o.lingerMs ?? DEFAULTS.lingerMs);
        const done = (): void => {
          clearTimeout(t);
          resolve();
        };
        h.wake.push(done);
      });
    }
    const max = Math.max(1, Math.min(h.batchSize, core.batchMax));
    const items: Item[] = [];
    const probes: DomainState[] = [];
    while (items.length + probes.length < max && !core.stopping) {
      const next = h.queue[h.head];
      if (!next) break;
      const d = this.routing.get(next.addr.domain);
      const probe = d !== undefined && this.routing.gated(d) && d.probing === 0 && d.probeTries < MAX_PROBES;
      // With room for the item only (--batch 1), the probe goes in a transaction of its own.
      if (probe && items.length + probes.length + 2 > max && items.length > 0) break;
      shiftItem(h);
      items.push(next);
      if (probe) {
        d.probing++; // one probe per domain at a time, whichever session sends it
        probes.push(d);
      }
    }
    return { items, probes };
  }

  /** Transactions on one session until the queue is empty (→ idle) or the session breaks. */
  private async useSession(h: HostState, c: Connected): Promise<'idle' | 'broken'> {
    const core = this.core;
    const settler = this.settler;
    const s = c.session;
    const mx = s.result.host;
    while (!core.stopping && s.usable) {
      const { items, probes } = await this.takeBatch(h);
      if (items.length === 0) return 'idle';
      const utf8 = s.result.extensions?.smtputf8 === true;
      const asked = items.filter((i) => {
        if (!i.addr.utf8 || utf8) return true;
        core.finish(i, viaBackup(decideNoUtf8(mx), c.skipped));
        return false;
      });
      if (asked.length === 0) {
        for (const d of probes) settler.probeDone(d);
        continue;
      }
      const probeRcpts = probes.map((d) => (d.probeAddress ??= `${randomLocalPart(core.o.randomBytes)}@${d.domain}`));
      for (const d of probes) d.probeTries++;
      await this.queue.rateLimit(h, asked.length + probes.length);
      if (core.stopping) {
        for (const d of probes) settler.probeDone(d);
        return 'idle'; // these stay unanswered (pending), like any not yet asked
      }
      let tx: TransactionResult;
      let lead = probeRcpts;
      try {
        const max = Math.max(1, Math.min(h.batchSize, core.batchMax));
        if (probeRcpts.length + asked.length > max) {
          // --batch 1: the probe in its own transaction, then the address.
          const ptx = await s.transaction(core.from, probeRcpts);
          core.stats.transactions++;
          core.stats.rcpts += probeRcpts.length;
          core.stats.catchAllProbes += probeRcpts.length;
          settler.probeAnswers(probes, ptx, 0);
          c.answered += ptx.rcpts.filter((r) => r.reply !== undefined).length;
          lead = [];
          for (const d of probes) settler.releaseParked(d);
          if (!s.usable) {
            this.queue.requeue(h, asked, whyUnanswered(ptx, mx, ptx.outcome.reply?.code === 421 ? ptx.outcome.reply : undefined), mx, false, c.answered);
            return 'broken';
          }
        }
        tx = await s.transaction(core.from, [...lead, ...asked.map((i) => i.addr.address)]);
        core.stats.transactions++;
        core.stats.rcpts += lead.length + asked.length;
        core.stats.catchAllProbes += lead.length;
        if (lead.length > 0) settler.probeAnswers(probes, tx, 0);
      } catch (e) {
        for (const d of probes) if (d.probing > 0) settler.probeDone(d);
        // Input was checked when read, so this is a bug: answer these addresses, do not hang.
        for (const item of asked) core.finish(item, decideSession({ kind: 'protocol', stage: 'rcpt', message: `internal error: ${e instanceof Error ? e.message : String(e)}` }, mx, 1));
        return 'broken';
      }
      // After a 421 the server is gone, whatever the session still believes: a new connection.
      if (settler.settle(h, c, tx, asked, lead.length, probes) === 'closing') return 'broken';
    }
    return core.stopping ? 'idle' : 'broken';
  }
}
