// What producer and workers agree on: the Redis key names of a queue, the stable job id of an
// address (the same input gives the same id on every run, so a restarted producer finds its
// jobs and their results again), the run options a producer publishes once for its workers,
// and the job payload. Pure.
import { createHash } from 'node:crypto';
import type { VerifyOptions } from '../verify/options.js';
import type { VerifyResult } from '../verify/verdict.js';

/** BullMQ's key prefix for every queue of smtp-probe. */
export const PREFIX = 'smtp-probe';
export const DEFAULT_QUEUE = 'verify';

/** The keys of one queue besides BullMQ's own. */
export function queueKeys(queue: string): { runs: string; done: string; result: (id: string) => string; workers: string } {
  const base = `${PREFIX}:${queue}`;
  return {
    /** Hash: run fingerprint → the run options (JSON). */
    runs: `${base}:runs`,
    /** List: ids of jobs whose result is ready (the producer's wake-up call; results live under result()). */
    done: `${base}:done`,
    /** String: a job's result (JSON), kept until the producer has written it (7 days at most). */
    result: (id: string) => `${base}:r:${id}`,
    /** Sorted set: worker name → last heartbeat (ms), for --status. */
    workers: `${base}:workers`,
  };
}

/** How long an uncollected result (and a failed job) is kept for a producer to come back. */
export const RESULT_TTL_S = 7 * 24 * 3600;

/** A queue name is part of Redis keys: letters, digits, - and _ only. */
export function checkQueueName(name: string): string | undefined {
  return /^[A-Za-z0-9_-]{1,64}$/.test(name) ? undefined : `--queue-name "${name.slice(0, 80)}": use 1 to 64 letters, digits, - or _`;
}

/**
 * The options of a verification that decide its answers, as the workers receive them: the
 * producer's flags minus what belongs to each worker's machine (HELO name, concurrency,
 * resolver, source address) and minus functions.
 */
export interface RunOptions {
  from: string;
  port?: number;
  tlsMode?: VerifyOptions['tlsMode'];
  tlsVerify?: boolean;
  ca?: string;
  tlsName?: string;
  family?: VerifyOptions['family'];
  timeoutScale?: number;
  pipelining?: boolean;
  catchAllCheck?: boolean;
  batchSize?: number;
  perHost?: number;
  ratePerHost?: number;
  waitGreylistMs?: number;
  maxAttempts?: number;
  roleAccounts?: string[];
  disposableDomains?: string[];
  freeDomains?: string[];
  nonCatchAllDomains?: string[];
  /** Tuning (tests): ms. */
  lingerMs?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
}

const KEEP = ['from', 'port', 'tlsMode', 'tlsVerify', 'ca', 'tlsName', 'family', 'timeoutScale', 'pipelining', 'catchAllCheck', 'batchSize', 'perHost', 'ratePerHost', 'waitGreylistMs', 'maxAttempts', 'lingerMs', 'backoffMs', 'maxBackoffMs'] as const;
const LISTS = ['roleAccounts', 'disposableDomains', 'freeDomains', 'nonCatchAllDomains'] as const;

export function runOptionsOf(o: VerifyOptions): RunOptions {
  const out: Record<string, unknown> = { from: o.from ?? '' };
  for (const k of KEEP) if (o[k] !== undefined && k !== 'from') out[k] = o[k];
  for (const k of LISTS) if (o[k] !== undefined) out[k] = [...o[k]];
  return out as unknown as RunOptions;
}

/** The run's fingerprint: same options, same fingerprint (keys sorted), so ids are stable. */
export function runFingerprint(r: RunOptions): string {
  const sorted = JSON.stringify(r, Object.keys(r).sort());
  return createHash('sha256').update(sorted).digest('hex').slice(0, 16);
}

/** The job id of an address in a run: stable, no ':' (BullMQ), never a bare number. */
export function jobId(fingerprint: string, address: string): string {
  return `v${fingerprint}-${createHash('sha256').update(address).digest('hex').slice(0, 32)}`;
}

/** The payload of a job: the address (already parsed by the producer) and its run. */
export interface JobData { a: string; f: string }

/** A worker's answer as stored: the result without the producer's input text and line. */
export type StoredResult = Omit<VerifyResult, 'input' | 'line'>;

/** The result as the producer writes it: its own input text and line put back in their places. */
export function withInput(r: StoredResult, input: string | undefined, line: number | undefined): VerifyResult {
  const { schemaVersion, address, ...rest } = r;
  const out: VerifyResult = { schemaVersion, address, ...(input !== undefined && input !== address ? { input } : {}), ...rest } as VerifyResult;
  if (line !== undefined) out.line = line;
  return out;
}
