// What producer and workers agree on: job ids are stable for the same run options and address
// (a restarted producer finds its jobs), differ otherwise, never contain ':' and are never a
// bare number (BullMQ); the run's fingerprint ignores what belongs to a worker (HELO,
// concurrency) and the order of keys; the producer puts input and line back in their places.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkQueueName, jobId, runFingerprint, runOptionsOf, withInput, type StoredResult } from '../../../src/queue/jobs.js';

describe('queue jobs', () => {
  it('job ids are stable per (run, address), distinct otherwise, and safe for BullMQ', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), fc.stringMatching(/^[0-9a-f]{16}$/), (a, b, fp) => {
      expect(jobId(fp, a)).toBe(jobId(fp, a));
      if (a !== b) expect(jobId(fp, a)).not.toBe(jobId(fp, b));
      expect(jobId(fp, a)).toMatch(/^v[0-9a-f]{16}-[0-9a-f]{32}$/);
    }));
  });

  it('the fingerprint follows the verification options, not the worker\'s or the key order', () => {
    const base = { helo: 'a.example.net', from: '', port: 25, batchSize: 50, perHost: 2 };
    const fp = runFingerprint(runOptionsOf(base));
    expect(runFingerprint(runOptionsOf({ ...base, helo: 'b.example.net', concurrency: 99 }))).toBe(fp);
    expect(runFingerprint(runOptionsOf({ perHost: 2, batchSize: 50, port: 25, from: '', helo: 'x.example.net' }))).toBe(fp);
    expect(runFingerprint(runOptionsOf({ ...base, port: 2525 }))).not.toBe(fp);
    expect(runFingerprint(runOptionsOf({ ...base, from: 'bounce@my.example' }))).not.toBe(fp);
    expect(runOptionsOf({ ...base, resolve: (() => {}) as never })).not.toHaveProperty('resolve');
  });

  it('withInput puts the input after the address and the line last, as in-process results have them', () => {
    const stored = { schemaVersion: 1, address: 'bob@x.test', verdict: 'deliverable', reason: 'accepted', catchAll: false, mx: 'mx.x.test', reply: null, flags: { role: false, disposable: false, free: false }, message: 'm', temporary: false, stage: 'rcpt' } as unknown as StoredResult;
    expect(Object.keys(withInput(stored, 'Bob <bob@x.test>', 7))).toEqual(['schemaVersion', 'address', 'input', 'verdict', 'reason', 'catchAll', 'mx', 'reply', 'flags', 'message', 'temporary', 'stage', 'line']);
    expect(withInput(stored, 'bob@x.test', undefined)).not.toHaveProperty('input');
    expect(withInput(stored, 'bob@x.test', undefined)).not.toHaveProperty('line');
  });

  it('queue names are key-safe', () => {
    expect(checkQueueName('verify')).toBeUndefined();
    expect(checkQueueName('run_2026-12')).toBeUndefined();
    for (const bad of ['', 'a:b', 'a b', 'x'.repeat(65), 'a*']) expect(checkQueueName(bad)).toMatch(/--queue-name/);
  });
});
