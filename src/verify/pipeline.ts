// One verify() run wired together along the data's way: intake (intake.ts) → MX routing
// (mx-routing.ts) → host queues and scheduling (host-queue.ts) → host workers on reused
// sessions (host-connect.ts, host-worker.ts) → results settled (settle-results.ts) → the
// consumer, in batches, with at most readAhead addresses in the air. Ctrl-C (the signal)
// lets transactions finish briefly, QUITs, and ends with what is known.
import { heloWarnings } from '../probe/helo.js';
import { HostConnector } from './host-connect.js';
import { HostQueue } from './host-queue.js';
import { HostWorker } from './host-worker.js';
import { Intake } from './intake.js';
import { MxRouting } from './mx-routing.js';
import { DEFAULTS, type InputEntry, type VerifyInput, type VerifyOptions, type VerifyStats } from './options.js';
import { RunCore } from './run-core.js';
import { DEFAULT_MAX_ENTRIES, SeenSet } from './seen-set.js';
import { ServerSlots } from './servers.js';
import { ResultSettler } from './settle-results.js';
import type { VerifyResult } from './verdict.js';

export class Verifier {
  private readonly core: RunCore;
  private readonly intake: Intake;
  private readonly routing: MxRouting;
  private readonly queue: HostQueue;
  private roomWaiter: (() => void) | undefined;

  constructor(o: VerifyOptions) {
    const core = (this.core = new RunCore(o));
    core.onStop = () => this.stop();
    this.intake = new Intake(core.stats, o.dedupe === false ? undefined : new SeenSet(o.dedupeLimit ?? DEFAULT_MAX_ENTRIES));
    this.queue = new HostQueue(core, o.servers ?? new ServerSlots(o.perHost ?? DEFAULTS.perHost, DEFAULTS.maxDomains));
    this.routing = new MxRouting(core, (item, d) => this.queue.dispatch(item, d));
    const settler = new ResultSettler(core, this.queue, this.routing);
    const worker = new HostWorker(core, this.queue, this.routing, new HostConnector(core, this.queue), settler);
    this.queue.startWorker = (h, slot) => worker.run(h, slot);
  }

  get stats(): VerifyStats {
    return this.core.stats;
  }

  /**
   * The memory bound. By default it grows with what the sessions may hold unconfirmed (one or
   * two transactions each, host-worker.ts): below that, queues would starve while answers wait.
   */
  private get readAhead(): number {
    const o = this.core.o;
    return o.readAhead ?? Math.max(DEFAULTS.readAhead, 3 * (o.concurrency ?? DEFAULTS.concurrency) * this.core.batchMax);
  }

  async *run(addresses: VerifyInput): AsyncGenerator<VerifyResult[]> {
    const core = this.core;
    const signal = core.o.signal;
    const onAbort = (): void => this.stop();
    if (signal?.aborted) return;
    signal?.addEventListener('abort', onAbort, { once: true });
    for (const w of heloWarnings(core.o.helo)) core.o.onEvent?.({ type: 'warning', message: w });
    try {
      if (core.o.skip) await this.intake.loadSkip(core.o.skip);
      const pump = this.pump(addresses);
      for (;;) {
        if (core.out.length > 0) {
          const batch = core.out;
          core.out = [];
          yield batch;
          this.wakeRoom();
          continue;
        }
        if (core.inputError !== undefined) throw core.inputError;
        const idle = core.activeWorkers === 0 && core.pendingDns === 0;
        // Done when every address is answered and every session has said QUIT.
        if (core.stopping ? idle : core.inputDone && core.inFlight === 0 && idle) break;
        await core.waitForNews();
      }
      if (!core.stopping) await pump;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      core.stats.pending = Math.max(0, core.inFlight);
      this.shutdown();
    }
  }

  private wakeRoom(): void {
    if (this.core.inFlight + this.core.out.length < this.readAhead) {
      const w = this.roomWaiter;
      this.roomWaiter = undefined;
      w?.();
    }
  }

  private async pump(addresses: VerifyInput): Promise<void> {
    const core = this.core;
    try {
      for await (const raw of addresses as AsyncIterable<InputEntry | readonly InputEntry[]>) {
        if (core.stopping) break;
        if (Array.isArray(raw)) for (const a of raw as readonly InputEntry[]) this.take(a);
        else this.take(raw as InputEntry);
        // The memory bound: no more than readAhead addresses in the air (answered ones included until consumed).
        while (!core.stopping && core.inFlight + core.out.length >= this.readAhead) {
          await new Promise<void>((r) => { this.roomWaiter = r; });
        }
      }
    } catch (e) {
      // After Ctrl-C the input is torn down on purpose: that is not an error of the run.
      if (!core.stopping) core.inputError = e ?? new Error('the input failed');
    } finally {
      core.inputDone = true;
      core.wakeMain();
    }
  }

  private take(raw: InputEntry): void {
    const core = this.core;
    const t = this.intake.take(raw);
    if (t.kind === 'skip') return;
    core.inFlight++;
    core.stats.pending = core.inFlight;
    if (t.kind === 'bad') core.emit(t.result);
    else this.routing.route(t.item);
  }

  private stop(): void {
    const core = this.core;
    if (core.stopping) return;
    core.stopping = true;
    for (const w of core.stopWaiters) w();
    core.stopWaiters.clear();
    // Greylisted addresses waiting for their second try: the first answer is what we know.
    for (const item of core.delayedItems) if (item.greylisted) core.emit(item.greylisted);
    core.delayedItems.clear();
    for (const t of core.timers) clearTimeout(t);
    core.timers.clear();
    this.queue.stop();
    this.roomWaiter?.();
    // Transactions under way get a moment to finish; then the connections are cut.
    const grace = setTimeout(() => { for (const t of [...core.transports]) t.close(); }, core.o.abortGraceMs ?? DEFAULTS.abortGraceMs);
    grace.unref?.();
    core.wakeMain();
  }

  private shutdown(): void {
    const core = this.core;
    const early = !core.stopping && (core.inFlight > 0 || core.activeWorkers > 0);
    if (!core.stopping) this.stop();
    // The consumer stopped early (break): no grace, connections are cut now.
    if (early) for (const t of [...core.transports]) t.close();
  }
}
