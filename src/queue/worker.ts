// `smtp-probe worker`: takes verify jobs from BullMQ and answers them with the in-process
// verifier, which keeps batching RCPTs per domain over reused sessions: each run's jobs feed
// one long-lived verify() run. Connections go through the shared politeness in Redis (leases
// per server IP, back-off, rate), optionally from a --source-ip. A result is stored (and the
// producer woken) before the job completes, so a worker killed at any point loses nothing: its
// job comes back (stalled-job recovery) and a doubled answer is dropped by the producer.
// Ctrl-C: no new jobs; those under way finish within a grace period, the rest are handed back.
import { hostname } from 'node:os';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Resolve } from '../dns/resolver.js';
import { say } from '../catalog/messages.js';
import { verify } from '../verify/run-verify.js';
import type { InputItem, VerifyEvent, VerifyOptions, VerifyRun } from '../verify/options.js';
import type { VerdictKind, VerifyResult } from '../verify/verdict.js';
import { bullConnection, openRedis, type RedisExtra } from './connection.js';
import { addressId, jobAddresses, jobSize, PREFIX, queueKeys, RESULT_TTL_S, type JobData, type RunOptions } from './jobs.js';
import { politeConnect, sourceBoundConnect, type PoliteStats } from './polite-connect.js';
import { RedisPoliteness, type PolitenessOptions } from './politeness.js';
import { SharedServers } from './shared-servers.js';
import { redact, type RedisTarget } from './redis-url.js';

export interface QueueWorkerOptions {
  target: RedisTarget;
  redis?: RedisExtra;
  queueName: string;
  /** EHLO name: this machine's FQDN. */
  helo: string;
  /** SMTP connections open at once from this worker. */
  concurrency: number;
  /** Jobs (each one batch of addresses) held at once (default: every connection's batch twice over). */
  jobs?: number;
  sourceIp?: string;
  resolve?: Resolve;
  signal: AbortSignal;
  /** After Ctrl-C, jobs under way get this long to finish before they are handed back. */
  graceMs?: number;
  /** A dead worker's jobs (and its connection slots) come back after about this long. */
  stalledIntervalMs?: number;
  politeness?: PolitenessOptions;
  /** Name shown by --status (default host:pid). */
  name?: string;
  onEvent?: (e: WorkerEvent) => void;
  /** Called once the worker takes jobs. */
  onReady?: () => void;
}

export type WorkerEvent =
  | { type: 'result'; result: VerifyResult }
  | { type: 'note'; message: string }
  | { type: 'warning'; message: string };

export interface WorkerStats {
  done: number;
  verdicts: Record<VerdictKind, number>;
  /** Jobs given back to the queue unanswered (Ctrl-C). */
  handedBack: number;
  failed: number;
  connections: number;
  polite: PoliteStats;
}

/** A run's jobs feed one verify() run; results come back to the job that asked, by sequence number. */
class RunFeed {
  private pending: InputItem[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private seq = 0;
  private readonly waiters = new Map<number, { resolve: (r: VerifyResult | undefined) => void; reject: (e: unknown) => void }>();
  readonly run: VerifyRun;
  readonly done: Promise<void>;

  constructor(options: VerifyOptions) {
    const feed = this;
    const input = (async function* () {
      for (;;) {
        if (feed.pending.length > 0) {
          const batch = feed.pending;
          feed.pending = [];
          yield batch;
          continue;
        }
        if (feed.ended) return;
        await new Promise<void>((r) => { feed.wake = r; });
      }
    })();
    const run = verify(input, options);
    this.run = run;
    this.done = (async () => {
      try {
        for await (const batch of run.batches()) {
          for (const r of batch) {
            const w = r.line !== undefined ? this.waiters.get(r.line) : undefined;
            if (!w) continue;
            this.waiters.delete(r.line as number);
            w.resolve(r);
          }
        }
      } catch (e) {
        for (const w of this.waiters.values()) w.reject(e);
        this.waiters.clear();
      } finally {
        this.ended = true;
        // Unanswered (stopped): undefined, and the job goes back to the queue.
        for (const w of this.waiters.values()) w.resolve(undefined);
        this.waiters.clear();
      }
    })();
  }

  get closed(): boolean {
    return this.ended;
  }

  ask(address: string): Promise<VerifyResult | undefined> {
    if (this.ended) return Promise.resolve(undefined);
    const line = ++this.seq;
    const p = new Promise<VerifyResult | undefined>((resolve, reject) => this.waiters.set(line, { resolve, reject }));
    this.pending.push({ text: address, line });
    const w = this.wake;
    this.wake = undefined;
    w?.();
    return p;
  }

  /** No more jobs: what was asked is answered, then the run ends. */
  end(): void {
    this.ended = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}

/** Run a worker until `signal` aborts (then finish or hand back what it holds). */
export async function runWorker(o: QueueWorkerOptions): Promise<WorkerStats> {
  const stats: WorkerStats = { done: 0, verdicts: { deliverable: 0, undeliverable: 0, risky: 0, unknown: 0 }, handedBack: 0, failed: 0, connections: 0, polite: { leases: 0, waitedMs: 0, backOffs: 0 } };
  const keys = queueKeys(o.queueName);
  const redis: Redis = openRedis(o.target, o.redis);
  const stalled = Math.max(1_000, o.stalledIntervalMs ?? 30_000);
  const politeness = new RedisPoliteness(redis, { leaseMs: stalled, ...o.politeness });
  const stop = new AbortController(); // ends the verify runs (after the grace period)
  const runs = new Map<string, Promise<RunFeed>>();
  const runOptions = new Map<string, RunOptions>();
  const sharedServers: SharedServers[] = [];
  /** Catch-all answers from Redis (or learned here), by domain; looked up once per domain. */
  const catchAllKnown = new Map<string, boolean>();
  /** Domains seen greylisting (by any worker: from Redis, or learned here), with when. */
  const greylisting = new Map<string, number>();
  const factsAsked = new Map<string, Promise<void>>();
  const factsKnown = new Set<string>();
  const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  const askFacts = (address: string): Promise<void> | undefined => {
    const domain = domainOf(address);
    if (domain.startsWith('[') || factsKnown.has(domain)) return undefined;
    let p = factsAsked.get(domain);
    if (!p) {
      if (factsAsked.size > 50_000) {
        factsAsked.clear();
        factsKnown.clear();
      }
      p = politeness.domainFacts(domain).then((f) => {
        if (f.catchAll !== null && !catchAllKnown.has(domain)) catchAllKnown.set(domain, f.catchAll);
        if (f.greylistedAt !== undefined) greylisting.set(domain, Math.max(greylisting.get(domain) ?? 0, f.greylistedAt));
      }, () => {}).finally(() => factsKnown.add(domain));
      factsAsked.set(domain, p);
    }
    return p;
  };
  const name = o.name ?? `${hostname()}:${process.pid}${o.sourceIp ? ` ${o.sourceIp}` : ''}`;
  const note = (message: string): void => o.onEvent?.({ type: 'note', message });
  let closing = false;

  const feedFor = (fp: string): Promise<RunFeed> => {
    let f = runs.get(fp);
    if (f) return f;
    f = (async () => {
      let ro = runOptions.get(fp);
      if (!ro) {
        const text = await redis.hget(keys.runs, fp);
        if (!text) throw new UnrecoverableError(`the options of run ${fp} are not in Redis (the producer's data was deleted)`);
        ro = JSON.parse(text) as RunOptions;
        runOptions.set(fp, ro);
      }
      const perServer = ro.perHost ?? 2;
      const base = o.sourceIp ? sourceBoundConnect(o.sourceIp) : undefined;
      // Connection slots per server IP and the 421 back-off: the host queue asks SharedServers
      // (leases in Redis); the shared RCPT rate is applied where the commands are written.
      const servers = new SharedServers(politeness, perServer, (e) => o.onEvent?.({ type: 'warning', message: say('worker.redis-error', { error: redact(e instanceof Error ? e.message : String(e), o.target) }) }), () => liveWorkers);
      sharedServers.push(servers);
      const connect = politeConnect({
        politeness, perServer, ratePerServer: ro.ratePerHost ?? 0, signal: stop.signal, leases: false,
        ...(base ? { base } : {}),
        onNote: (server, message) => note(`${server}: ${message}`),
      }, stats.polite);
      const jobs = o.jobs ?? defaultJobs(o.concurrency);
      const options: VerifyOptions = {
        ...ro,
        // Every worker paces itself against the shared bucket, not a private one.
        ratePerHost: 0,
        helo: o.helo,
        // A job is a batch of one domain, so a session rarely waits for more; an idle one QUITs
        // soon (the in-process default), giving its slot to a worker that has work for it.
        ...(ro.lingerMs !== undefined ? { lingerMs: ro.lingerMs } : {}),
        concurrency: o.concurrency,
        dedupe: false,
        // Room for the jobs parked on a greylisting too (up to 3 × the slots besides).
        readAhead: jobs * 4 * jobSize(ro) + 100,
        connect,
        servers,
        // What any worker learned about a domain's catch-all: no second probe (filled before each address is asked).
        knownCatchAll: catchAllKnown,
        ...(o.resolve ? { resolve: o.resolve } : {}),
        signal: stop.signal,
        onEvent: (e: VerifyEvent) => {
          if (e.type === 'warning') o.onEvent?.({ type: 'warning', message: e.message });
          else if (e.type === 'note') note(`${e.host ? `${e.host}: ` : ''}${e.message}`);
          else if (e.type === 'greylisted') onGreylisted(e.address);
        },
      };
      const feed = new RunFeed(options);
      void feed.done.then(() => {
        stats.connections += feed.run.stats.connections;
        if (runs.get(fp) === f) runs.delete(fp);
      });
      return feed;
    })();
    runs.set(fp, f);
    f.catch(() => runs.delete(fp));
    return f;
  };

  // What this worker already told Redis about a domain: a catch-all answer once, a greylisting
  // at most once a minute, not per address.
  const told = new Map<string, string>();
  const toldGrey = new Map<string, number>();
  const tellGreylisting = (domain: string): void => {
    const now = Date.now();
    if (greylisting.size > 50_000) greylisting.clear();
    greylisting.set(domain, now);
    if (now - (toldGrey.get(domain) ?? 0) < 60_000) return;
    if (toldGrey.size > 50_000) toldGrey.clear();
    toldGrey.set(domain, now);
    politeness.learn(domain, { greylistedAt: now }).catch(() => {});
  };
  const learn = (r: VerifyResult): void => {
    if (r.address.lastIndexOf('@') < 0) return;
    const domain = domainOf(r.address);
    if (r.reason === 'greylisted') tellGreylisting(domain);
    if (r.catchAll === null || told.get(domain) === String(r.catchAll)) return;
    if (told.size > 50_000) told.clear();
    told.set(domain, String(r.catchAll));
    if (catchAllKnown.size > 50_000) catchAllKnown.clear();
    catchAllKnown.set(domain, r.catchAll);
    politeness.learn(domain, { catchAll: r.catchAll }).catch(() => {});
  };

  // A job whose addresses wait out a greylisting (--wait-greylist) does not hold one of this
  // worker's job slots meanwhile: the slot count rises by one while it waits (at most by 3 ×
  // the slots). A job is parked at its start when any worker has seen its domain greylist, or
  // as soon as one of its addresses is greylisted here.
  const baseSlots = o.jobs ?? defaultJobs(o.concurrency);
  let parkedJobs = 0;
  interface Held { parked: boolean }
  const heldBy = new Map<string, Held>();
  let bull: Worker<JobData, number> | undefined;
  const park = (h: Held | undefined): void => {
    if (!h || h.parked || parkedJobs >= baseSlots * 3 || closing) return;
    h.parked = true;
    parkedJobs++;
    if (bull) bull.concurrency = baseSlots + parkedJobs;
  };
  const unpark = (h: Held): void => {
    if (!h.parked) return;
    h.parked = false;
    parkedJobs--;
    if (bull) bull.concurrency = baseSlots + parkedJobs;
  };
  const onGreylisted = (address: string): void => {
    tellGreylisting(domainOf(address));
    park(heldBy.get(address));
  };
  // The fleet's greylisting domains: loaded once, then kept current by the workers' news.
  const unsubscribe = politeness.onNews((n) => {
    if (n.kind !== 'greylisting') return;
    if (greylisting.size > 50_000) greylisting.clear();
    greylisting.set(n.domain, Date.now());
  });
  for (const d of await politeness.greylistingDomains().catch(() => [] as string[])) greylisting.set(d, Date.now());

  // Results stored together: the answers of one transaction are one pipeline (the results,
  // then one RPUSH of their ids), not one round trip each. A failed write fails those jobs.
  let batch: { id: string; json: string; done: () => void; fail: (e: unknown) => void }[] = [];
  const flush = async (): Promise<void> => {
    const b = batch;
    batch = [];
    const pipe = redis.pipeline();
    for (const x of b) pipe.set(keys.result(x.id), x.json, 'EX', RESULT_TTL_S);
    pipe.rpush(keys.done, ...b.map((x) => x.id));
    try {
      const replies = (await pipe.exec()) ?? [];
      const err = replies.find(([e]) => e)?.[0];
      if (err || replies.length !== b.length + 1) throw err ?? new Error('Redis did not answer every write');
      for (const x of b) x.done();
    } catch (e) {
      for (const x of b) x.fail(e);
    }
  };
  const store = (id: string, json: string): Promise<void> => new Promise((done, fail) => {
    if (batch.length === 0) setImmediate(() => { void flush(); });
    batch.push({ id, json, done, fail });
  });

  const processor = async (job: Job<JobData>, token?: string): Promise<number> => {
    const addresses = jobAddresses(job.data);
    const fp = job.data.f;
    const held: Held = { parked: false };
    for (const a of addresses) heldBy.set(a, held);
    // Decided before the first await: BullMQ looks at the slot count again right after this
    // job starts, so a parked job lets the next one in at once.
    if (addresses.some((a) => greylisting.has(domainOf(a)))) park(held);
    try {
      const feed = await feedFor(fp);
      // Without --wait-greylist nothing waits: the job holds its slot like any other.
      if ((runOptions.get(fp)?.waitGreylistMs ?? 0) <= 0) unpark(held);
      const facts = addresses.map(askFacts).filter((p): p is Promise<void> => p !== undefined);
      if (facts.length > 0) await Promise.all(facts);
      // Each answer is stored as it comes (the results of one transaction are one pipeline);
      // the job completes when all are stored: a crash in between repeats the job, never loses it.
      const answers = await Promise.all(addresses.map(async (a) => {
        const r = await feed.ask(a);
        if (!r) return false;
        const { line: _line, input: _input, ...stored } = r;
        await store(addressId(fp, a), JSON.stringify(stored));
        stats.done++;
        stats.verdicts[r.verdict]++;
        learn(r);
        o.onEvent?.({ type: 'result', result: r });
        return true;
      }));
      const left = addresses.filter((_, i) => !answers[i]);
      if (left.length > 0) {
        // Stopped before every answer: the rest goes back to the queue for another worker, not a failure.
        stats.handedBack += left.length;
        if (left.length < addresses.length) await job.updateData({ ...job.data, a: left });
        await job.moveToWait(token);
        throw new WaitingError();
      }
      return addresses.length;
    } finally {
      for (const a of addresses) if (heldBy.get(a) === held) heldBy.delete(a);
      unpark(held);
    }
  };

  const worker = new Worker<JobData, number>(o.queueName, processor, {
    connection: bullConnection(o.target, o.redis),
    prefix: PREFIX,
    concurrency: baseSlots,
    lockDuration: stalled,
    stalledInterval: stalled,
    maxStalledCount: 3,
    name,
    autorun: false,
  });
  bull = worker;
  worker.on('error', (e) => o.onEvent?.({ type: 'warning', message: say('worker.queue-error', { error: redact(e.message, o.target) }) }));
  worker.on('failed', (_job, e) => {
    if (e instanceof WaitingError || e?.name === 'WaitingError') return;
    stats.failed++;
    o.onEvent?.({ type: 'warning', message: say('worker.job-failed', { error: redact(e?.message ?? 'unknown error', o.target) }) });
  });

  // Heartbeats: --status lists the workers; each worker keeps to its share of a server's slots.
  let liveWorkers = 1;
  const beat = async (): Promise<void> => {
    const [, count] = await Promise.all([
      redis.zadd(keys.workers, Date.now(), name),
      redis.zcount(keys.workers, Date.now() - 6_000, '+inf'),
    ]).catch(() => [0, liveWorkers]);
    liveWorkers = Math.max(1, Number(count));
  };
  await beat();
  const heartbeat = setInterval(() => { void beat(); }, 2_000);
  heartbeat.unref?.();

  const finished = new Promise<void>((resolve) => {
    const onAbort = (): void => {
      if (closing) return;
      closing = true;
      note(say('worker.stopping'));
      const grace = setTimeout(() => {
        note(say('worker.grace-over'));
        stop.abort();
      }, o.graceMs ?? 15_000);
      grace.unref?.();
      // Stop fetching, then let the runs answer what they hold; close() waits for those jobs.
      const closed = worker.close();
      void Promise.all([...runs.values()].map((f) => f.then((x) => x.end(), () => {}))).then(() => closed).finally(() => {
        clearTimeout(grace);
        resolve();
      });
    };
    if (o.signal.aborted) onAbort();
    else o.signal.addEventListener('abort', onAbort, { once: true });
  });
  void worker.run().catch((e: unknown) => o.onEvent?.({ type: 'warning', message: say('worker.queue-error', { error: redact(e instanceof Error ? e.message : String(e), o.target) }) }));
  // Ready once BullMQ's connection and scripts are: the "worker on …" line means jobs are taken now.
  await worker.waitUntilReady().catch(() => {});
  o.onReady?.();
  await finished;
  stop.abort();
  await Promise.all([...runs.values()].map((f) => f.then((x) => x.done, () => {})));
  await Promise.all(sharedServers.map((x) => x.close()));
  clearInterval(heartbeat);
  await redis.zrem(keys.workers, name).catch(() => {});
  unsubscribe();
  politeness.close();
  redis.disconnect();
  return stats;
}

/** Jobs to hold (a job is one batch of addresses): every connection's batch twice over (at least 10). */
function defaultJobs(concurrency: number): number {
  return Math.max(10, concurrency * 2);
}
