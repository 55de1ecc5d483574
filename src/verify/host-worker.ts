// A verify host worker: one connection at a time to a host group (host-connect.ts), reused for
// transaction after transaction while its queue has work. Each transaction is a batch of RCPTs
// (the domain's catch-all probe first when its status is unknown) sent under --rate. Its answers
// are held until the session proves in step (the next flight written with nothing unsolicited
// pending, or the farewell), then settled (settle-results.ts), or voided and asked again.
import { decideNoUtf8, decideSession, isTooManyRecipients, viaBackup } from './verdict.js';
import type { TransactionResult } from '../smtp/session.js';
import type { HostConnector } from './host-connect.js';
import type { HostQueue } from './host-queue.js';
import type { MxRouting } from './mx-routing.js';
import { DEFAULTS, randomLocalPart } from './options.js';
import { firstUnanswered, syncEvidence, whyUnanswered } from './replies.js';
import type { RunCore } from './run-core.js';
import type { ResultSettler } from './settle-results.js';
import { MAX_PROBES, queued, shiftItem, type Connected, type DomainState, type HostState, type Item, type Sent } from './state.js';
import type { Outcome } from '../smtp/session.js';
import { say } from '../catalog/messages.js';

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
        let ended: 'idle' | 'broken' = 'broken';
        try {
          ended = await this.useSession(h, c);
        } finally {
          core.o.onEvent?.({ type: 'session', host: c.session.result.host, address: c.session.result.address, open: false });
          await c.session.close();
          this.sessionEnded(h, c);
        }
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
  private async takeBatch(h: HostState, room: number): Promise<{ items: Item[]; probes: DomainState[] }> {
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
    const max = Math.max(1, Math.min(h.batchSize, core.batchMax, room));
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
    c.afterLast = s.result.outcome;
    while (!core.stopping && s.usable) {
      // A server that closes after N recipients per connection: QUIT before it (the 221 proves the answers).
      const room = (h.perConnection ?? Infinity) - c.rcptsSent;
      if (room <= 0) return 'broken';
      // Another process waits for this server's slots and this run holds more than its share: the slot goes back.
      if (c.rcptsSent > 0 && c.slot !== undefined && this.queue.servers.overShare?.(c.slot)) return 'idle';
      const { items, probes } = await this.takeBatch(h, room);
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
        const max = Math.max(1, Math.min(h.batchSize, core.batchMax, room));
        c.rcptsSent += probeRcpts.length + asked.length;
        if (probeRcpts.length + asked.length > max) {
          // --batch 1: the probe in its own transaction, then the address.
          const ptx = await s.transaction(core.from, probeRcpts);
          core.stats.transactions++;
          core.stats.rcpts += probeRcpts.length;
          core.stats.catchAllProbes += probeRcpts.length;
          lead = [];
          this.sent(h, c, { tx: ptx, items: [], lead: probeRcpts.length, probes });
          if (!s.usable) {
            this.queue.requeue(h, asked, whyUnanswered(ptx, mx, ptx.outcome.reply?.code === 421 ? ptx.outcome.reply : undefined), mx, false, c.answered);
            return 'broken';
          }
        }
        tx = await s.transaction(core.from, [...lead, ...asked.map((i) => i.addr.address)]);
        core.stats.transactions++;
        core.stats.rcpts += lead.length + asked.length;
        core.stats.catchAllProbes += lead.length;
      } catch (e) {
        for (const d of probes) if (d.probing > 0 && lead.length > 0) settler.probeDone(d);
        // Input was checked when read, so this is a bug: answer these addresses, do not hang.
        for (const item of asked) core.finish(item, decideSession({ kind: 'protocol', stage: 'rcpt', message: `internal error: ${e instanceof Error ? e.message : String(e)}` }, mx, 1));
        return 'broken';
      }
      this.sent(h, c, { tx, items: asked, lead: lead.length, probes: lead.length > 0 ? probes : [] });
      // After a 421 the server is gone, whatever the session still believes: a new connection.
      if (tx.mail?.code === 421 || tx.outcome.reply?.code === 421 || tx.rcpts.some((r) => r.reply?.code === 421)) return 'broken';
    }
    return core.stopping ? 'idle' : 'broken';
  }

  /**
   * A transaction came back. The answers held from the one before on this connection are settled
   * when this one shows the replies in step (written with nothing unsolicited pending, no code
   * out of place, no 421 before its first answer), voided otherwise. Its own answers are held in
   * turn, until the next transaction or the farewell. Answers read before a transaction broke (a
   * 421, a hang-up, a timeout) can never be confirmed: voided and asked again.
   */
  private sent(h: HostState, c: Connected, u: Sent): void {
    const ev = syncEvidence(u.tx);
    const held = c.held;
    c.held = [];
    c.rcptsAnswered += u.tx.steps.filter((x) => x.stage === 'rcpt' && x.reply !== undefined && x.unsolicited !== true && x.reply.code !== 421).length;
    // The server closed (421, asked or not) after so many answers on this connection: its limit.
    const closed = u.tx.outcome.reply?.code === 421 || u.tx.mail?.code === 421 || u.tx.rcpts.some((r) => r.reply?.code === 421);
    if (closed) this.learnLimit(h, c);
    for (const p of held) {
      if (ev === 'in-step') this.release(h, c, p);
      else this.voidSent(h, c, p, u.tx.outcome);
    }
    c.afterLast = c.session.result.outcome;
    if (ev === 'lost') return this.voidSent(h, c, u, u.tx.outcome);
    const mail = u.tx.mail;
    // Nothing answered (no MAIL reply, or a 421 to it): settled now, which puts them back.
    if (!mail || mail.code === 421) return this.release(h, c, u);
    // A refused sender answers every address of the transaction: held like any answer.
    if (mail.code >= 400) return void c.held.push(u);
    const gap = firstUnanswered(u.tx, u.lead + u.items.length);
    if (gap === -1) return void c.held.push(this.takeTooMany(h, c, u));
    if (gap === 0) return this.release(h, c, u); // nothing answered: put back (settle knows how)
    this.brokenAfterAnswers(h, c, u, gap);
  }

  /**
   * The transaction broke at RCPT `gap` after answers (a 421, a hang-up, a timeout): those
   * answers are voided; the unanswered go first again, then the voided ones, uncharged (the
   * server answered: it is its limit or its trouble, not the address's).
   */
  private brokenAfterAnswers(h: HostState, c: Connected, u: Sent, gap: number): void {
    const mx = c.session.result.host;
    const closing = u.tx.rcpts[gap]?.reply?.code === 421 ? u.tx.rcpts[gap]?.reply : undefined;
    for (const d of u.probes) this.settler.probeVoided(d);
    const answeredItems = u.items.slice(0, Math.max(0, gap - u.lead));
    const unanswered = u.items.slice(Math.max(0, gap - u.lead));
    const why = whyUnanswered(u.tx, mx, closing);
    this.queue.requeueUncharged(h, [...unanswered, ...answeredItems], why, mx);
    if (answeredItems.length > 0) this.core.o.onEvent?.({ type: 'note', host: mx, message: say('verify.note.ended-transaction', { mx, gap, whyMsg: why.message, n: answeredItems.length }) });
  }

  /**
   * "452 too many recipients" after the first says nothing about an address: those go into the
   * next transaction at once (the batch shrinks to what the server takes), not held with the
   * answers; the held transaction keeps the others, each with its own reply.
   */
  private takeTooMany(h: HostState, c: Connected, u: Sent): Sent {
    const own = u.tx.rcpts.slice(u.lead);
    const keep: Item[] = [];
    const keepReplies = u.tx.rcpts.slice(0, u.lead);
    const tooMany: Item[] = [];
    let limitAt = -1;
    u.items.forEach((item, i) => {
      const r = own[i];
      if (i > 0 && r?.reply && isTooManyRecipients(r.reply)) {
        if (limitAt < 0) limitAt = i;
        tooMany.push(item);
      } else {
        keep.push(item);
        if (r) keepReplies.push(r);
      }
    });
    if (tooMany.length === 0) return u;
    const mx = c.session.result.host;
    // Put back before the batch shrinks: this session takes them next, no new connection for them.
    for (const item of [...tooMany].reverse()) this.queue.enqueue(h, item, true);
    if (limitAt + u.lead < h.batchSize) {
      h.batchSize = limitAt + u.lead;
      this.core.o.onEvent?.({ type: 'note', host: mx, message: say('verify.note.batch-limit', { mx, n: h.batchSize }) });
    }
    return { ...u, items: keep, tx: { ...u.tx, rcpts: keepReplies } };
  }

  /**
   * The server closed the connection (a 421, asked or not) after `c.rcptsAnswered` answers: its
   * limit per connection (Postfix: 20 errors, then an unasked 421). Later sessions to this host
   * QUIT one recipient before it, so their last answers are proved by the 221, not lost to it.
   */
  private learnLimit(h: HostState, c: Connected): void {
    const n = c.rcptsAnswered;
    if (n < 2 || (h.perConnection !== undefined && h.perConnection <= n - 1)) return;
    h.perConnection = n - 1;
    const mx = c.session.result.host;
    this.core.o.onEvent?.({ type: 'note', host: mx, message: say('verify.note.per-connection', { mx, n, after: h.perConnection }) });
  }

  /** Settle a transaction whose replies are in step (or are no answers at all). */
  private release(h: HostState, c: Connected, u: Sent): void {
    if (u.lead > 0) this.settler.probeAnswers(u.probes, u.tx, 0);
    if (u.items.length === 0) {
      c.answered += u.tx.rcpts.filter((r) => r.reply !== undefined).length;
      for (const d of u.probes) this.settler.releaseParked(d);
      return;
    }
    this.settler.settle(h, c, u.tx, u.items, u.lead, u.probes);
  }

  /** The replies went out of step: no answer of this transaction counts; asked again, uncharged. */
  private voidSent(h: HostState, c: Connected, u: Sent, why: Outcome): void {
    const mx = c.session.result.host;
    for (const d of u.probes) this.settler.probeVoided(d);
    this.queue.requeueUncharged(h, u.items, why, mx);
    this.core.o.onEvent?.({ type: 'note', host: mx, message: say('verify.note.voided', { whyMsg: why.message, n: u.items.length + u.probes.length }) });
  }

  /**
   * The session is closed: the answers still held are settled when the farewell proved nothing
   * wrong (QUIT got its 221, or no reply came at all), voided when something came out of step
   * or a 421 came after the last transaction (which also backs the server off).
   */
  private sessionEnded(h: HostState, c: Connected): void {
    const r = c.session.result;
    const changed = c.afterLast !== undefined && r.outcome !== c.afterLast;
    const closing = changed && r.outcome.reply?.code === 421;
    const evidence = r.sync === 'lost' || r.sync === 'closing' || closing || (changed && (r.outcome.kind === 'protocol' || r.outcome.kind === 'limit'));
    const held = c.held;
    c.held = [];
    if (closing || r.sync === 'closing') this.learnLimit(h, c);
    for (const u of held) {
      if (evidence) this.voidSent(h, c, u, r.outcome);
      else this.release(h, c, u);
    }
    // An unasked 421 (while idle, or at the farewell) is the server closing like any other.
    if ((closing || r.sync === 'closing') && !this.core.stopping) this.queue.closedBy421(h, r.address, r.host, say('verify.note.closed-session', { mx: r.host, code: 421 }), c.answered);
  }
}
