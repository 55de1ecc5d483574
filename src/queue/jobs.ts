// What producer and workers agree on: the Redis key names of a queue, the stable id of an
// address (the same input gives the same id on every run, so a restarted producer finds its
// results again; answers are stored per address) and of a job (several addresses of one
// domain, its id derived from their ids), the run options a producer publishes once for its
// workers, and the job payload. Pure.
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

/** The id of an address in a run (its answer is stored under it): stable, no ':', never a bare number. */
export function addressId(fingerprint: string, address: string): string {
  return `v${fingerprint}-${createHash('sha256').update(address).digest('hex').slice(0, 32)}`;
}

/** The BullMQ job id of a set of addresses (their ids, in the job's order): the same set, the same id. */
export function chunkId(fingerprint: string, ids: readonly string[]): string {
  return ids.length === 1 ? ids[0] as string : `j${fingerprint}-${createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 32)}`;
}

/**
 * Addresses per job: one transaction's worth (--batch, 50 by default), so a BullMQ job's
 * fetch, lock and completion are paid once per batch instead of once per address.
 */
export function jobSize(r: Pick<RunOptions, 'batchSize'>): number {
  return Math.max(1, Math.min(r.batchSize ?? 50, 100));
}

/** The payload of a job: the addresses (already parsed by the producer) and their run. */
export interface JobData { a: string[] | string; f: string }

/** The addresses of a job (a bare string: a job of an earlier version, one address). */
export function jobAddresses(d: JobData): string[] {
  return typeof d.a === 'string' ? [d.a] : Array.isArray(d.a) ? d.a.filter((x): x is string => typeof x === 'string') : [];
}

/** A worker's answer as stored: the result without the producer's input text and line. */
export type StoredResult = Omit<VerifyResult, 'input' | 'line'>;

/** The result as the producer writes it: its own input text and line put back in their places. */
export function withInput(r: StoredResult, input: string | undefined, line: number | undefined): VerifyResult {
  const { schemaVersion, address, ...rest } = r;
  const out: VerifyResult = { schemaVersion, address, ...(input !== undefined && input !== address ? { input } : {}), ...rest } as VerifyResult;
  if (line !== undefined) out.line = line;
  return out;
}
