// Turning one verify transaction's replies into results: each RCPT reply to its own address
// (replies.ts), a refused real address or the catch-all probe's answer settling the domain's
// catch-all state, accepts parked until that state is known (the probe gates every accept of
// its domain), what got no answer put back (host-queue.ts's requeue), greylisted addresses
// asked again later. Sessions and scheduling are elsewhere; this decides verdicts.
import type { Reply } from '../smtp/reply-parser.js';
import type { TransactionResult } from '../smtp/session.js';
import type { HostQueue } from './host-queue.js';
import type { MxRouting } from './mx-routing.js';
import { sortReplies, whyUnanswered } from './replies.js';
import type { RunCore } from './run-core.js';
import { MAX_PROBES, type Connected, type DomainState, type HostState, type Item } from './state.js';
import { decideMail, decideRcpt, refusesUnknownUsers, viaBackup, type SkippedMx, type VerifyResult } from './verdict.js';
import { say } from '../catalog/messages.js';

export class ResultSettler {
  constructor(private readonly core: RunCore, private readonly queue: HostQueue, private readonly routing: MxRouting) {}

  /** The probes' replies (RCPT `offset`…): a 2xx means catch-all; "no such user" means not. */
  probeAnswers(probes: DomainState[], tx: TransactionResult, offset: number): void {
    for (const [i, d] of probes.entries()) {
      const rc = tx.rcpts[offset + i];
      const r = rc !== undefined && rc.address === d.probeAddress ? rc.reply : undefined;
      if (r && d.catchAll === null) {
        if (r.code >= 200 && r.code < 300) d.catchAll = true;
        // Only "no such user" proves it; a policy refusal or a deferral of the probe proves nothing.
        else if (r.code >= 500 && refusesUnknownUsers(r, true)) d.catchAll = false;
      }
      d.probing--;
    }
  }

  /** A probe sent whose answer cannot be trusted (voided): it counts as a try that told nothing. */
  probeVoided(d: DomainState): void {
    d.probing--;
    this.releaseParked(d);
  }

  /** A probe taken but not sent. */
  probeDone(d: DomainState): void {
    d.probing--;
    d.probeTries = Math.max(0, d.probeTries - 1);
    this.releaseParked(d);
  }

  /** Turn a transaction's replies into results; put back what got no answer. */
  settle(h: HostState, c: Connected, tx: TransactionResult, items: Item[], lead: number, probes: DomainState[]): 'closing' | 'open' {
    const core = this.core;
    const mx = c.session.result.host;
    let closing = false;
    const mail = tx.mail;
    const touched = new Set<DomainState>(probes);
    try {
      if (!mail || mail.code === 421) {
        // The connection failed before the sender was answered (or the server is closing).
        const why = whyUnanswered(tx, mx, mail);
        if (why.reply?.code === 421) {
          // "Closing, try later" (to MAIL, RSET, or unasked): nobody's fault, nobody charged.
          this.queue.requeueUncharged(h, items, why, mx);
          this.queue.closedBy421(h, c.session.result.address, mx, say('verify.note.closed-session', { mx, code: 421 }), c.answered);
        } else this.queue.requeue(h, items, why, mx, false, c.answered);
        return 'closing';
      }
      if (mail.code >= 400) {
        for (const item of items) core.finish(item, viaBackup(decideMail(mail, mx, core.from), c.skipped));
        return 'open';
      }
      // The probes went first: the addresses' replies follow them.
      const own: TransactionResult = lead > 0 ? { ...tx, rcpts: tx.rcpts.slice(lead) } : tx;
      const leadClosing = tx.rcpts.slice(0, lead).find((r) => r.reply?.code === 421)?.reply;
      const sorted = sortReplies(items, (i) => i.addr.address, own, mx, leadClosing);
      closing = sorted.closing !== undefined;
      for (const item of [...sorted.tooMany].reverse()) this.queue.enqueue(h, item, true);
      if (sorted.limitAt > 0 && sorted.limitAt + lead < h.batchSize) {
        h.batchSize = sorted.limitAt + lead;
        core.o.onEvent?.({ type: 'note', host: mx, message: say('verify.note.batch-limit', { mx, n: h.batchSize }) });
      }
      const answered = sorted.answered;
      if (answered.length > 0) h.backoffMs = 0;
      const answeredBefore = c.answered;
      c.answered += answered.length + tx.rcpts.slice(0, lead).filter((r) => r.reply !== undefined).length;

      // Catch-all: a refused real address proves the domain does not accept everything.
      for (const { item, reply } of answered) {
        const d = this.routing.get(item.addr.domain);
        if (d && d.catchAll === null && reply.code >= 500 && refusesUnknownUsers(reply)) {
          d.catchAll = false;
          touched.add(d);
        }
      }
      for (const { item, reply } of answered) {
        const d = this.routing.get(item.addr.domain);
        if (d && reply.code >= 200 && reply.code < 300 && this.routing.gated(d)) {
          // An accept means nothing until the domain is known not to accept everyone.
          d.parked.push({ item, reply, mx, skipped: c.skipped, host: h });
          touched.add(d);
          continue;
        }
        this.decideAnswered(h, item, reply, d, mx, c.skipped);
      }
      if (sorted.unanswered.length > 0) {
        if (sorted.closing) {
          this.queue.requeueUncharged(h, sorted.unanswered, sorted.why, mx);
          if (answered.length === 0) this.queue.closedBy421(h, c.session.result.address, mx, say('verify.note.closed-session', { mx, code: sorted.closing.code }), answeredBefore);
        } else this.queue.requeue(h, sorted.unanswered, sorted.why, mx, answered.length > 0, answeredBefore + answered.length);
      }
    } finally {
      for (const d of touched) this.releaseParked(d);
    }
    return closing ? 'closing' : 'open';
  }

  private decideAnswered(h: HostState, item: Item, reply: Reply, d: DomainState | undefined, mx: string, skipped: SkippedMx[]): void {
    const core = this.core;
    const decision = viaBackup(decideRcpt(reply, d?.catchAll ?? null, mx), skipped);
    if (decision.reason === 'greylisted' && (core.o.waitGreylistMs ?? 0) > 0 && !item.greylisted) {
      this.waitGreylist(h, item, core.result(item, decision));
      return;
    }
    const r = core.result(item, decision);
    if (item.greylisted) r.greylistRetried = true;
    core.emit(r);
  }

  /**
   * Accepts parked for a domain get their verdict once its catch-all status is known. When the
   * probe could not tell (no answer, a hang-up, a deferral), they are asked again with a new
   * probe, up to MAX_PROBES times; then they are answered with the status unknown, saying so.
   */
  releaseParked(d: DomainState): void {
    if (d.parked.length === 0 || d.probing > 0) return;
    if (this.routing.gated(d) && d.probeTries < MAX_PROBES) {
      if (this.core.stopping) return; // unanswered: pending, asked again on --resume
      const parked = d.parked;
      d.parked = [];
      for (const p of [...parked].reverse()) this.queue.enqueue(p.host, p.item, true);
      return;
    }
    const parked = d.parked;
    d.parked = [];
    for (const p of parked) this.decideAnswered(p.host, p.item, p.reply, d, p.mx, p.skipped);
  }

  private waitGreylist(h: HostState, item: Item, first: VerifyResult): void {
    const core = this.core;
    item.greylisted = first;
    h.delayed++;
    core.delayedItems.add(item);
    const wait = Math.max(core.o.waitGreylistMs ?? 0, 0);
    core.o.onEvent?.({ type: 'note', host: first.mx ?? undefined, message: say('verify.note.greylisted', { address: item.addr.address, s: Math.round(wait / 1000) }) });
    core.o.onEvent?.({ type: 'greylisted', address: item.addr.address, retryInMs: wait });
    core.delay(wait, () => {
      h.delayed--;
      core.delayedItems.delete(item);
      if (core.stopping) return;
      this.queue.enqueue(h, item, true);
    });
  }
}
