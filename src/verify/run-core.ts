// What every part of one verify() run shares: the options and flag lists, the statistics, the
// results waiting for the consumer, the addresses in flight, the stop flag (Ctrl-C), pauses and
// timers that a stop ends at once, and emit(): how an answered address leaves the run. The MX
// routing, the host queue, the host worker and the settling of replies all hold one RunCore.
// No I/O of its own; the clock comes from the options.
import type { MailAddress } from './address.js';
import { addressFlags, domainFlags, flagLists, type FlagLists } from './flags.js';
import { DEFAULTS, type VerifyOptions, type VerifyStats } from './options.js';
import { resultOf } from './result.js';
import type { DomainState, Item } from './state.js';
import type { Decision, VerifyResult } from './verdict.js';
import type { Transport } from '../smtp/transport.js';

export class RunCore {
  readonly stats: VerifyStats = {
    read: 0, verdicts: { deliverable: 0, undeliverable: 0, risky: 0, unknown: 0 },
    duplicates: 0, resumed: 0, connections: 0, transactions: 0, rcpts: 0, catchAllProbes: 0, pending: 0, dedupeFull: false,
  };
  readonly lists: FlagLists;
  readonly from: string;
  readonly batchMax: number;
  /** Results not yet handed to the consumer. */
  out: VerifyResult[] = [];
  /** Addresses read and not yet answered (results not yet emitted). */
  inFlight = 0;
  activeWorkers = 0;
  pendingDns = 0;
  inputDone = false;
  stopping = false;
  inputError: unknown;
  /** Open connections: Ctrl-C cuts them after the grace period. */
  readonly transports = new Set<Transport>();
  readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** Greylisted addresses waiting for their second try. */
  readonly delayedItems = new Set<Item>();
  /** Pauses under way: Ctrl-C ends them at once; each is removed when it ends. */
  readonly stopWaiters = new Set<() => void>();
  private notify: (() => void) | undefined;
  /** Set by the pipeline: a stop (Ctrl-C or a bug) reaches every part. */
  onStop: () => void = () => {};
  /** Set by the MX routing: the state of a domain, when known. */
  domainOf: (domain: string) => DomainState | undefined = () => undefined;

  constructor(readonly o: VerifyOptions) {
    this.lists = flagLists(o);
    this.from = o.from ?? '';
    this.batchMax = o.batchSize ?? DEFAULTS.batchSize;
  }

  get now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** The main loop waits here for results or the end. */
  waitForNews(): Promise<void> {
    return new Promise<void>((r) => { this.notify = r; });
  }

  wakeMain(): void {
    const n = this.notify;
    this.notify = undefined;
    n?.();
  }

  /** Work that runs on its own (a DNS lookup, a worker): its failure ends the run, never unhandled. */
  spawn(p: Promise<void>): void {
    p.catch((e: unknown) => this.fail(e));
  }

  /** A bug inside a callback that has no caller to throw to: the run ends with it, it never goes unhandled. */
  fail(e: unknown): void {
    this.inputError ??= e ?? new Error('internal error');
    this.onStop();
  }

  /** Every result stands for one address counted in flight when it was read. */
  emit(r: VerifyResult): void {
    this.inFlight--;
    this.stats.pending = this.inFlight;
    this.out.push(r);
    this.stats.verdicts[r.verdict]++;
    this.wakeMain();
  }

  result(item: Pick<Item, 'addr' | 'input' | 'line'>, d: Decision): VerifyResult {
    const input = item.input.trim();
    const dom = this.domainOf(item.addr.domain);
    const df = dom ? (dom.flags ??= domainFlags(item.addr, this.lists)) : domainFlags(item.addr as MailAddress, this.lists);
    const r = resultOf(item.addr.address, input !== item.addr.address ? input : undefined, d, addressFlags(item.addr, this.lists, df));
    if (item.line !== undefined) r.line = item.line;
    return r;
  }

  finish(item: Item, d: Decision): void {
    this.emit(this.result(item, d));
  }

  /** A pause that Ctrl-C ends at once (its timer is cleared, so the process can exit). */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.stopWaiters.delete(resolve);
        resolve();
      }, ms);
      this.timers.add(t);
      // One waiter per pause, dropped when it ends (no closure kept until Ctrl-C).
      this.stopWaiters.add(resolve);
    });
  }

  delay(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      try {
        fn();
      } catch (e) {
        this.fail(e);
      }
    }, ms);
    this.timers.add(t);
  }
}
