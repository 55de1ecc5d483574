// What producer and workers agree on: job ids are stable for the same run options and address
// (a restarted producer finds its jobs), differ otherwise, never contain ':' and are never a
// bare number (BullMQ); the run's fingerprint ignores what belongs to a worker (HELO,
// concurrency) and the order of keys; the producer puts input and line back in their places.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressId, checkQueueName, chunkId, jobAddresses, jobSize, runFingerprint, runOptionsOf, withInput, type StoredResult } from '../../../src/queue/jobs.js';

describe('queue jobs', () => {
  it('address ids are stable per (run, address), distinct otherwise, and safe for BullMQ', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), fc.stringMatching(/^[0-9a-f]{16}$/), (a, b, fp) => {
      expect(addressId(fp, a)).toBe(addressId(fp, a));
      if (a !== b) expect(addressId(fp, a)).not.toBe(addressId(fp, b));
      expect(addressId(fp, a)).toMatch(/^v[0-9a-f]{16}-[0-9a-f]{32}$/);
    }));
  });

  it('a job id follows its set of addresses: the same set, the same id; another set, another id', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 8 }), fc.string({ maxLength: 20 }), fc.stringMatching(/^[0-9a-f]{16}$/), (as, extra, fp) => {
      const ids = as.map((a) => addressId(fp, a));
      expect(chunkId(fp, ids)).toBe(chunkId(fp, [...ids]));
      expect(chunkId(fp, ids)).toMatch(/^[vj][0-9a-f]{16}-[0-9a-f]{32}$/);
      if (!as.includes(extra)) expect(chunkId(fp, [...ids, addressId(fp, extra)])).not.toBe(chunkId(fp, ids));
    }));
    // One address: the job id is the address id (jobs of earlier versions keep their ids).
    expect(chunkId('0123456789abcdef', [addressId('0123456789abcdef', 'a@b.test')])).toBe(addressId('0123456789abcdef', 'a@b.test'));
    expect(jobAddresses({ a: 'a@b.test', f: 'x' })).toEqual(['a@b.test']);
    expect(jobAddresses({ a: ['a@b.test', 'c@b.test'], f: 'x' })).toEqual(['a@b.test', 'c@b.test']);
    expect([jobSize({}), jobSize({ batchSize: 5 }), jobSize({ batchSize: 500 })]).toEqual([50, 5, 100]);
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
