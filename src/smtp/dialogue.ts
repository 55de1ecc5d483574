// The state one SMTP connection shares across its phases (greeting, transactions, farewell)
// and the one way commands go out: talk() plans steps, writes them (one flight with
// PIPELINING, or one at a time) and reads the replies strictly in order, each against the
// command it answers. Greeting, transaction and farewell are all built on it.
import { encodeCommand, shownLine, type Command } from './command.js';
import { fitReply, type Expecting } from './expected-replies.js';
import { failureOutcome, peerName, type Read } from './judge.js';
import type { Outcome, QuitAfter, SessionDeps, SessionResult, SessionSetup, Step } from './session-types.js';
import { STAGE_TIMEOUT_MS, type Stage } from './stages.js';
import type { Failure, Transport } from './transport.js';

/** Thrown to leave a phase once result.outcome says how it ended; never escapes the session. */
export class Ended extends Error {}

export interface Planned {
  stage: Stage;
  expecting: Expecting;
  cmd: Command;
  address?: string;
}

export interface Talk {
  reads: Read[];
  /** Known right after the last reply: one more reply nobody asked for, the flood cap… */
  after?: Failure;
}

export class Dialogue {
  readonly peer: string;
  transport: Transport | undefined;
  transactionOpen = false;
  closed = false;
  /** The optional part (VRFY/EXPN, relay test) the next steps belong to. */
  part: Step['part'];
  /** The connection broke during an optional phase (relay test, VRFY): no farewell, the outcome stays. */
  gone = false;
  /** Why the connection was given up in an optional phase. */
  goneWhy: string | undefined;
  /** The last stage that got its reply: where stray bytes are said to come "after". */
  lastAnswered: Stage | undefined;
  /** Where steps of the current phase go: result.steps, or only the transaction's own list. */
  sink: Step[];
  /** Stray replies already put in the transcript (one failure is seen at several places). */
  private readonly shown = new WeakSet<object>();

  constructor(readonly o: SessionSetup, readonly deps: SessionDeps, readonly result: SessionResult) {
    this.peer = peerName(o.host, o.address, o.port);
    this.sink = result.steps;
  }

  deadline(stage: Stage): number {
    return Math.min(Date.now() + STAGE_TIMEOUT_MS[stage] * this.o.timeoutScale, this.o.runDeadline);
  }

  event(stage: Stage): void {
    this.deps.onEvent?.({ type: 'stage', host: this.o.host, address: this.o.address, port: this.o.port, stage });
  }

  newStep(stage: Stage, cmd?: Command): Step {
    const step: Step = { stage, tls: this.transport?.isTls ?? false, startedAt: this.deps.now(), ms: 0 };
    if (cmd) step.sent = shownLine(cmd); // AUTH lines: the redacted form, never the secret
    if (this.part) step.part = this.part;
    this.sink.push(step);
    return step;
  }

  /** Record how the session ended and leave the current phase. */
  end(outcome: Outcome): never {
    this.result.outcome = outcome;
    throw new Ended();
  }

  /**
   * --quit-after: the dialogue stops here on purpose. The session is 'ok' at `stage` and the
   * farewell sends QUIT (without RSET: QUIT ends an open transaction too, RFC 5321 §4.1.1.10).
   */
  stopAfter(q: QuitAfter, stage: Stage, message: string): never {
    this.result.stoppedAfter = q;
    return this.end({ kind: 'ok', stage, message });
  }

  /** The dialogue should stop after `q` (--quit-after). */
  quitsAfter(...q: QuitAfter[]): boolean {
    return this.o.quitAfter !== undefined && q.includes(this.o.quitAfter);
  }

  fail(f: Failure, stage: Stage): never {
    this.showStray(f);
    return this.end(failureOutcome(this.peer, this.o.port, f, stage, this.lastAnswered));
  }

  /** A reply nobody asked for is shown in the transcript where it came, flagged. */
  showStray(f: Failure | undefined): void {
    if (!f?.unsolicited || this.shown.has(f.unsolicited)) return;
    this.shown.add(f.unsolicited);
    const step = this.newStep(this.lastAnswered ?? 'banner');
    step.reply = f.unsolicited;
    step.unsolicited = true;
  }

  /** The connection can still carry commands (the farewell, another transaction). */
  alive(): boolean {
    const out = this.result.outcome;
    if (!this.transport || this.closed || this.gone) return false;
    if (['network', 'timeout', 'protocol', 'limit'].includes(out.kind)) return false;
    if (out.kind === 'tls' && out.stage === 'tls-handshake' && !this.result.tls) return false;
    return out.reply?.code !== 421;
  }

  /**
   * Something the server did while we were not asking (a stray reply, a flood, a close)
   * becomes the outcome of a session that was ready; returns it when one was found.
   */
  noticeIdleFailure(): Failure | undefined {
    const f = this.transport?.pendingFailure?.();
    if (!f || !this.alive()) return undefined;
    if (f.kind === 'closed' || f.kind === 'reset') return f; // gone quietly: nothing to judge
    this.showStray(f);
    this.result.outcome = failureOutcome(this.peer, this.o.port, f, this.lastAnswered ?? 'banner', this.lastAnswered);
    return f;
  }

  /**
   * Send `planned` and read each reply in order. `flight`: all in one write (PIPELINING);
   * otherwise one at a time, asking `goOn` after each reply whether to send the next.
   * Reading stops at the first failure, at a 421 (nothing more will come), and at a reply
   * its command cannot get (the rest would be read out of step).
   */
  async talk(t: Transport, planned: Planned[], flight: boolean, goOn: (r: Read) => boolean = () => true): Promise<Talk> {
    const reads: Read[] = [];
    const steps: Step[] = [];
    const read = async (p: Planned, step: Step): Promise<boolean> => {
      const r = await t.readReply(this.deadline(p.stage));
      step.ms = this.deps.now() - step.startedAt;
      if (!r.ok) {
        step.failure = { kind: r.kind, message: r.message, ...(r.line !== undefined ? { line: r.line } : {}) };
        this.showStray(r);
        reads.push({ stage: p.stage, expecting: p.expecting, ...(p.address !== undefined ? { address: p.address } : {}), failure: r });
        return false;
      }
      step.reply = r.reply;
      reads.push({ stage: p.stage, expecting: p.expecting, ...(p.address !== undefined ? { address: p.address } : {}), reply: r.reply });
      const fit = fitReply(p.expecting, r.reply);
      if (fit === 'impossible' || fit === 'malformed' || fit === 'closing') return false;
      this.lastAnswered = p.stage;
      return true;
    };
    const refused = (p: Planned, f: Failure): Talk => {
      this.showStray(f);
      reads.push({ stage: p.stage, expecting: p.expecting, ...(p.address !== undefined ? { address: p.address } : {}), failure: f });
      return { reads };
    };

    if (flight) {
      const first = planned[0];
      if (!first) return { reads };
      this.event(first.stage);
      for (const p of planned) {
        const step = this.newStep(p.stage, p.cmd);
        if (planned.length > 1) step.pipelined = true;
        steps.push(step);
      }
      const f = t.write(Buffer.concat(planned.map((p) => encodeCommand(p.cmd))));
      if (f) {
        for (const s of steps) s.failure = { kind: f.kind, message: f.message };
        return refused(first, f);
      }
      let lastStage = first.stage;
      for (const [i, p] of planned.entries()) {
        if (p.stage !== lastStage) this.event((lastStage = p.stage));
        if (!(await read(p, steps[i] as Step))) return { reads };
      }
    } else {
      for (const p of planned) {
        const prev = reads.at(-1);
        if (prev && !goOn(prev)) return { reads };
        this.event(p.stage);
        const step = this.newStep(p.stage, p.cmd);
        const f = t.write(encodeCommand(p.cmd));
        if (f) {
          step.failure = { kind: f.kind, message: f.message };
          return refused(p, f);
        }
        if (!(await read(p, step))) return { reads };
      }
    }
    // All answered: anything already here beyond them is one reply too many. One turn of the
    // event loop first, so bytes already in the socket buffer are seen (no timer, no guess).
    await new Promise<void>((r) => setImmediate(r));
    const after = t.pendingFailure?.();
    if (after && after.kind !== 'closed' && after.kind !== 'reset') {
      this.showStray(after);
      return { reads, after };
    }
    return { reads };
  }
}
