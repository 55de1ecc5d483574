// `verify --queue`: the producer. Reads the input through the same intake as the in-process
// run (syntax, dedupe, --resume), publishes the run's options once, enqueues the addresses as
// BullMQ jobs of one transaction's worth each (grouped by domain, the job id derived from its
// addresses' stable ids), and streams the workers' results back as a VerifyRun, so the CLI
// writes them exactly as it writes in-process results. At most `window` addresses are in the
// air (memory and Redis stay flat). Results live in Redis per address until written; a
// restarted producer finds them again by address id. Each input address gets one line: a
// result delivered twice (a worker died after storing it) is dropped here.
import { Queue } from 'bullmq';
import { say } from '../catalog/messages.js';
import type { Redis } from 'ioredis';
import { addressFlags, flagLists } from '../verify/flags.js';
import { Intake } from '../verify/intake.js';
import type { InputEntry, VerifyEvent, VerifyInput, VerifyOptions, VerifyRun, VerifyStats } from '../verify/options.js';
import { resultOf } from '../verify/result.js';
import { DEFAULT_MAX_ENTRIES, SeenSet } from '../verify/seen-set.js';
import type { Item } from '../verify/state.js';
import type { VerifyResult } from '../verify/verdict.js';
import { bullConnection, openRedis, type RedisExtra } from './connection.js';
import { addressId, chunkId, jobAddresses, jobSize, PREFIX, queueKeys, RESULT_TTL_S, runFingerprint, runOptionsOf, withInput, type JobData, type StoredResult } from './jobs.js';
import { redact, type RedisTarget } from './redis-url.js';

export interface QueueRunOptions {
  target: RedisTarget;
  redis?: RedisExtra;
  queueName: string;
  /** Addresses enqueued and not yet answered, at most (default 10,000). */
  window?: number;
  /** How often everything outstanding is looked up directly (missed wake-ups, failed jobs). */
  reconcileMs?: number;
}

const ADD_CHUNK = 500;
/** Input that stalls this long has what was read so far enqueued (a slow pipe still streams). */
const IDLE_FLUSH_MS = 5;

export function queueVerify(addresses: VerifyInput, options: VerifyOptions, q: QueueRunOptions): VerifyRun {
  const p = new Producer(options, q);
  let started = false;
  const once = (): AsyncGenerator<VerifyResult[]> => {
    if (started) throw new Error('a verify run can be iterated once');
    started = true;
    return p.run(addresses);
  };
  return {
    stats: p.stats,
    batches: () => ({ [Symbol.asyncIterator]: once }),
    [Symbol.asyncIterator]: () => (async function* () {
      for await (const batch of { [Symbol.asyncIterator]: once }) yield* batch;
    })(),
  };
}

class Producer {
  readonly stats: VerifyStats = {
    read: 0, verdicts: { deliverable: 0, undeliverable: 0, risky: 0, unknown: 0 },
    duplicates: 0, resumed: 0, connections: 0, transactions: 0, rcpts: 0, catchAllProbes: 0, pending: 0, dedupeFull: false,
  };
  private readonly keys;
  private readonly fp: string;
  private readonly intake: Intake;
  /** Address id → the input items waiting for its result (several with --no-dedupe). */
  private readonly outstanding = new Map<string, Item[]>();
  /** Address id → its job's id, and job id → its addresses (for failed and vanished jobs). */
  private readonly jobOf = new Map<string, string>();
  private readonly jobs = new Map<string, { addresses: string[]; ids: string[]; left: number }>();
  private readonly size: number;
  private out: VerifyResult[] = [];
  private notify: (() => void) | undefined;
  private room: (() => void) | undefined;
  private inputDone = false;
  private stopping = false;
  private error: unknown;
  private redis!: Redis;
  private blocker!: Redis;
  private queue!: Queue;
  private readonly lists;
  private readonly window: number;

  constructor(private readonly o: VerifyOptions, private readonly q: QueueRunOptions) {
    this.keys = queueKeys(q.queueName);
    const ro = runOptionsOf(o);
    this.fp = runFingerprint(ro);
    this.intake = new Intake(this.stats, o.dedupe === false ? undefined : new SeenSet(o.dedupeLimit ?? DEFAULT_MAX_ENTRIES));
    this.lists = flagLists(o);
    this.window = q.window ?? Math.max(o.readAhead ?? 10_000, 100);
    this.size = jobSize(ro);
  }

  private event(e: VerifyEvent): void {
    this.o.onEvent?.(e);
  }

  private wakeMain(): void {
    const n = this.notify;
    this.notify = undefined;
    n?.();
  }

  private wakeRoom(): void {
    if (this.outstanding.size < this.window || this.stopping) {
      const r = this.room;
      this.room = undefined;
      r?.();
    }
  }

  private fail(e: unknown): void {
    this.error ??= e;
    this.stop();
  }

  private stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.wakeRoom();
    this.wakeMain();
    // Ends a blocking BLPOP at once.
    this.blocker?.disconnect();
  }

  async *run(addresses: VerifyInput): AsyncGenerator<VerifyResult[]> {
    const signal = this.o.signal;
    if (signal?.aborted) return;
    const onAbort = (): void => this.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.redis = openRedis(this.q.target, this.q.redis);
    this.blocker = openRedis(this.q.target, this.q.redis);
    // A lost connection is retried (and the run waits for it): said once, not silently.
    let lost = false;
    this.redis.on('reconnecting', () => {
      if (lost || this.stopping) return;
      lost = true;
      this.event({ type: 'warning', message: say('queue.redis-lost', { redis: this.q.target.display }) });
    });
    this.redis.on('ready', () => { lost = false; });
    this.queue = new Queue(this.q.queueName, { connection: bullConnection(this.q.target, this.q.redis), prefix: PREFIX });
    this.queue.on('error', () => {}); // surfaces through the calls that fail
    const timer = setInterval(() => { void this.reconcile().catch((e: unknown) => this.fail(e)); }, this.q.reconcileMs ?? 5_000);
    timer.unref?.();
    try {
      await this.redis.multi().hset(this.keys.runs, this.fp, JSON.stringify(runOptionsOf(this.o))).expire(this.keys.runs, RESULT_TTL_S).exec();
      if (this.o.skip) await this.intake.loadSkip(this.o.skip);
      const pump = this.pump(addresses);
      const collector = this.collect();
      for (;;) {
        if (this.out.length > 0) {
          const batch = this.out;
          this.out = [];
          yield batch;
          continue;
        }
        if (this.error !== undefined) throw this.error;
        if (this.stopping || (this.inputDone && this.outstanding.size === 0)) break;
        await new Promise<void>((r) => { this.notify = r; });
      }
      this.stopping = true;
      this.blocker.disconnect();
      // A command waiting for an unreachable Redis must not hold Ctrl-C: wait at most 2 s.
      await Promise.race([Promise.allSettled([pump, collector]), new Promise((r) => { setTimeout(r, 2_000).unref?.(); })]);
      if (this.out.length > 0) yield this.out;
      if (this.error !== undefined && !signal?.aborted) throw this.error;
    } finally {
      clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
      this.stats.pending = [...this.outstanding.values()].reduce((n, xs) => n + xs.length, 0);
      if (this.stats.pending > 0) {
        this.event({ type: 'warning', message: say('queue.still-pending', { n: this.stats.pending, redis: this.q.target.display }) });
      }
      this.blocker.disconnect();
      await this.queue.close().catch(() => {});
      this.redis.disconnect();
    }
  }

  private async pump(addresses: VerifyInput): Promise<void> {
    try {
      let batch: Item[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const b = batch;
        batch = [];
        await this.enqueue(b);
      };
      const take = async (raw: InputEntry): Promise<void> => {
        const t = this.intake.take(raw);
        if (t.kind === 'skip') return;
        if (t.kind === 'bad') {
          this.emit(t.result);
          return;
        }
        batch.push(t.item);
        if (batch.length >= ADD_CHUNK) await flush();
      };
      // Addresses are enqueued in chunks (one addBulk, jobs grouped by domain), not one by one:
      // a chunk goes when it is full, or IDLE_FLUSH_MS after its first address when the input
      // has nothing more ready (one timer per chunk; an array's items are always ready).
      const it = (addresses as AsyncIterable<InputEntry | readonly InputEntry[]>)[Symbol.asyncIterator]?.()
        ?? (addresses as Iterable<InputEntry | readonly InputEntry[]>)[Symbol.iterator]();
      const PENDING = Symbol('pending');
      let deadline: Promise<'idle'> | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      for (;;) {
        if (this.stopping) break;
        const next = Promise.resolve(it.next());
        let r: IteratorResult<InputEntry | readonly InputEntry[]>;
        if (batch.length === 0) r = await next;
        else {
          // Ready already (an array, a buffered stream): no timer at all.
          const now = await Promise.race([next, Promise.resolve(PENDING)]);
          if (now !== PENDING) r = now as IteratorResult<InputEntry | readonly InputEntry[]>;
          else {
            deadline ??= new Promise<'idle'>((res) => { timer = setTimeout(() => res('idle'), IDLE_FLUSH_MS); });
            const first = await Promise.race([next, deadline]);
            if (first === 'idle') {
              deadline = undefined;
              await flush();
              r = await next;
            } else r = first;
          }
        }
        if (r.done) break;
        const raw = r.value;
        const before = batch.length;
        if (Array.isArray(raw)) for (const a of raw as readonly InputEntry[]) await take(a);
        else await take(raw as InputEntry);
        // A chunk that went out (full) starts the next one's timer afresh.
        if (batch.length < before || batch.length === 0) {
          clearTimeout(timer);
          deadline = undefined;
        }
      }
      clearTimeout(timer);
      if (!this.stopping) await flush();
    } catch (e) {
      if (!this.stopping) this.fail(e ?? new Error('the input failed'));
    } finally {
      this.inputDone = true;
      this.wakeMain();
    }
  }

  private emit(r: VerifyResult): void {
    this.out.push(r);
    this.stats.verdicts[r.verdict]++;
    this.wakeMain();
  }

  /** Enqueue items (waiting for room first); results already in Redis (an earlier run's) are delivered at once. */
  private async enqueue(items: Item[]): Promise<void> {
    while (!this.stopping && this.outstanding.size >= this.window) await new Promise<void>((r) => { this.room = r; });
    if (this.stopping) return;
    const fresh: string[] = [];
    const data = new Map<string, Item>();
    for (const item of items) {
      const id = addressId(this.fp, item.addr.address);
      const waiting = this.outstanding.get(id);
      if (waiting) {
        waiting.push(item); // the same address again (--no-dedupe): one job, one answer each
        continue;
      }
      this.outstanding.set(id, [item]);
      fresh.push(id);
      data.set(id, item);
    }
    this.stats.pending = this.outstanding.size;
    if (fresh.length === 0) return;
    const found = await this.redis.mget(fresh.map((id) => this.keys.result(id)));
    const add: string[] = [];
    const del: string[] = [];
    fresh.forEach((id, i) => {
      const v = found[i];
      if (v) {
        this.deliver(id, JSON.parse(v) as StoredResult);
        del.push(this.keys.result(id));
      } else add.push(id);
    });
    if (add.length > 0) {
      // A domain's addresses together (stable sort: input order within a domain), so a job is
      // one transaction on one session of one worker.
      const byDomain = add.map((id) => ({ id, item: data.get(id) as Item })).sort((x, y) => (x.item.addr.domain < y.item.addr.domain ? -1 : x.item.addr.domain > y.item.addr.domain ? 1 : 0));
      const chunks: { id: string; a: string }[][] = [];
      for (const x of byDomain) {
        const last = chunks[chunks.length - 1];
        const prev = last?.[last.length - 1];
        if (last && last.length < this.size && prev && data.get(prev.id)?.addr.domain === x.item.addr.domain) last.push({ id: x.id, a: x.item.addr.address });
        else chunks.push([{ id: x.id, a: x.item.addr.address }]);
      }
      // Small leftovers of several domains share a job (a job per lone address would cost one BullMQ job each).
      const merged: { id: string; a: string }[][] = [];
      for (const c of chunks) {
        const last = merged[merged.length - 1];
        if (last && last.length + c.length <= this.size && (last.length < this.size / 2 || c.length < this.size / 2)) last.push(...c);
        else merged.push([...c]);
      }
      await this.add(merged);
    }
    if (del.length > 0) await this.redis.del(...del);
  }

  /** Enqueue jobs of addresses (an id already in the queue, e.g. a restarted producer's, is left as it is). */
  private async add(chunks: { id: string; a: string }[][]): Promise<void> {
    const jobs = chunks.filter((c) => c.length > 0).map((c) => {
      const ids = c.map((x) => x.id);
      const id = chunkId(this.fp, ids);
      const addresses = c.map((x) => x.a);
      this.jobs.set(id, { addresses, ids, left: ids.length });
      for (const a of ids) this.jobOf.set(a, id);
      return { id, addresses };
    });
    if (jobs.length === 0) return;
    await this.queue.addBulk(jobs.map(({ id, addresses }) => ({
      name: 'verify', data: { a: addresses, f: this.fp } satisfies JobData,
      opts: { jobId: id, removeOnComplete: true, removeOnFail: { age: RESULT_TTL_S }, attempts: 2, backoff: { type: 'fixed', delay: 1_000 } },
    })));
  }

  private deliver(id: string, stored: StoredResult): void {
    const items = this.outstanding.get(id);
    if (!items) return; // answered already (a worker died after storing) or not this run's
    this.outstanding.delete(id);
    const job = this.jobOf.get(id);
    if (job !== undefined) {
      this.jobOf.delete(id);
      const j = this.jobs.get(job);
      if (j && --j.left <= 0) this.jobs.delete(job);
    }
    for (const item of items) this.emit(withInput(stored, item.input.trim(), item.line));
    this.stats.pending = this.outstanding.size;
    this.wakeRoom();
  }

  /** Wake-ups from the workers: ids whose results are stored. */
  private async collect(): Promise<void> {
    try {
      while (!this.stopping) {
        let first: [string, string] | null;
        try {
          first = await this.blocker.blpop(this.keys.done, 1);
        } catch (e) {
          if (this.stopping) return;
          throw e;
        }
        if (!first) continue;
        const more = (await this.redis.lpop(this.keys.done, 999)) ?? [];
        const ids = [...new Set([first[1], ...more])];
        await this.fetch(ids.filter((id) => this.outstanding.has(id)));
        // A second answer to a job already written (its worker died after storing the first),
        // or one no producer waits for: dropped, so no later run mistakes it for fresh.
        const stray = ids.filter((id) => !this.outstanding.has(id)).map((id) => this.keys.result(id));
        if (stray.length > 0) await this.redis.del(...stray);
      }
    } catch (e) {
      if (!this.stopping) this.fail(new Error(`Redis at ${this.q.target.display}: ${redact(e instanceof Error ? e.message : String(e), this.q.target)}`));
    }
  }

  private async fetch(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const vals = await this.redis.mget(ids.map((id) => this.keys.result(id)));
    const del: string[] = [];
    const missing: string[] = [];
    ids.forEach((id, i) => {
      const v = vals[i];
      if (v) {
        this.deliver(id, JSON.parse(v) as StoredResult);
        del.push(this.keys.result(id));
      } else missing.push(id);
    });
    if (del.length > 0) await this.redis.del(...del);
    return missing;
  }

  /**
   * The slow path, every few seconds: results whose wake-up was missed, jobs that failed for
   * good (their unanswered addresses answered as unknown, saying so), and jobs that vanished
   * (their unanswered addresses enqueued again).
   */
  private async reconcile(): Promise<void> {
    if (this.stopping || this.outstanding.size === 0) return;
    const ids = [...this.outstanding.keys()];
    for (let i = 0; i < ids.length && !this.stopping; i += 1000) {
      const missing = await this.fetch(ids.slice(i, i + 1000).filter((id) => this.outstanding.has(id)));
      if (missing.length === 0) continue;
      const jobIds = [...new Set(missing.map((id) => this.jobOf.get(id)).filter((j): j is string => j !== undefined))];
      const pipe = this.redis.pipeline();
      for (const j of jobIds) pipe.exists(this.queue.toKey(j));
      const exists = (await pipe.exec()) ?? [];
      const gone = jobIds.filter((_, k) => exists[k]?.[1] === 0);
      // Gone without a result (the data was evicted or flushed): asked again.
      const again: { id: string; a: string }[][] = [];
      for (const j of gone) {
        const job = this.jobs.get(j);
        this.jobs.delete(j);
        if (!job) continue;
        const left = await this.fetch(job.ids.filter((id) => this.outstanding.has(id)));
        const chunk = left.map((id) => ({ id, a: job.addresses[job.ids.indexOf(id)] as string }));
        for (const id of left) this.jobOf.delete(id);
        if (chunk.length > 0) again.push(chunk);
      }
      if (again.length > 0) await this.add(again);
    }
    const failed = await this.queue.getFailed(0, 999);
    for (const job of failed) {
      if (!job.id || !this.jobs.has(job.id)) continue;
      for (const address of jobAddresses(job.data as JobData)) {
        const id = addressId(this.fp, address);
        const item = (this.outstanding.get(id) ?? [])[0];
        if (!item) continue;
        const r = resultOf(item.addr.address, undefined, {
          verdict: 'unknown', reason: 'mailererror', catchAll: null, mx: null, reply: null, stage: 'session', temporary: true,
          message: say('queue.job-failed', { error: redact(job.failedReason ?? 'the job failed', this.q.target) }),
        }, addressFlags(item.addr, this.lists));
        this.deliver(id, r);
      }
      this.jobs.delete(job.id);
      await job.remove().catch(() => {});
    }
  }
}
