// verifyBatch(), the unit an outside worker (BullMQ) calls: one domain's addresses verified to
// the end against a scripted server on loopback, with the politeness decisions injected (every
// connection asks the given ServerPoliteness for a slot to the server's IP and gives it back),
// the catch-all status handed back, and a known status passed in that saves the probe.
import { afterEach, describe, expect, it } from 'vitest';
import { verifyBatch, ServerSlots, type ServerPoliteness } from '../../../src/verify/run-verify.js';
import { byAddress, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** The in-process slots, with every call recorded. */
function recording(perServer: number): { p: ServerPoliteness; calls: string[]; open: () => number } {
  const inner = new ServerSlots(perServer);
  const calls: string[] = [];
  let open = 0;
  const p: ServerPoliteness = {
    acquire: (a, now) => {
      const ok = inner.acquire(a, now);
      calls.push(`acquire ${a} ${ok}`);
      if (ok) open++;
      return ok;
    },
    release: (a) => { calls.push(`release ${a}`); open--; inner.release(a); },
    openTo: (a) => inner.openTo(a),
    notBefore: (a) => inner.notBefore(a),
    backOff: (a, until) => { calls.push(`backOff ${a}`); inner.backOff(a, until); },
    lower: (a, n) => inner.lower(a, n),
    worked: (a) => { calls.push(`worked ${a}`); inner.worked(a); },
  };
  return { p, calls, open: () => open };
}

describe('verifyBatch', () => {
  it('verifies one domain\'s batch through the injected politeness and returns every result and the catch-all status', async () => {
    world = await startWorld({ 'users.test': { script: { users: ['bob', 'carol'] } } });
    const r = recording(1);
    const out = await verifyBatch(['bob@users.test', 'nobody@users.test', 'carol@users.test'], world.options({ servers: r.p }));
    const by = byAddress(out.results);
    expect(out.results).toHaveLength(3);
    expect(by['bob@users.test']).toMatchObject({ verdict: 'deliverable', catchAll: false });
    expect(by['nobody@users.test']).toMatchObject({ verdict: 'undeliverable', reason: 'userunknown' });
    expect(out.catchAll).toEqual({ 'users.test': false });
    const ip = '127.0.0.10';
    expect(r.calls).toContain(`acquire ${ip} true`);
    expect(r.calls).toContain(`worked ${ip}`);
    expect(r.open()).toBe(0); // every slot given back
    expect(out.stats.connections).toBe(1);
  });

  it('a catch-all status passed in is used: no probe, the accept is risky at once', async () => {
    world = await startWorld({ 'all.test': { script: { catchAll: true } } });
    const out = await verifyBatch(['bob@all.test'], world.options({ knownCatchAll: { 'all.test': true } }));
    expect(out.results[0]).toMatchObject({ verdict: 'risky', reason: 'catchall', catchAll: true });
    expect(world.servers['all.test']!.received.filter((l) => /^RCPT/.test(l))).toEqual(['RCPT TO:<bob@all.test>']);
    expect(out.stats.catchAllProbes).toBe(0);
  });

  it('a server slot refused by the politeness: no connection until it is free', async () => {
    world = await startWorld({ 'users.test': { script: { users: ['bob'] } } });
    const slots = new ServerSlots(1);
    expect(slots.acquire('127.0.0.10', Date.now())).toBe(true); // another worker holds the only slot
    setTimeout(() => slots.release('127.0.0.10'), 150);
    const t0 = Date.now();
    const out = await verifyBatch(['bob@users.test'], world.options({ servers: slots }));
    expect(out.results[0]).toMatchObject({ verdict: 'deliverable' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    expect(world.servers['users.test']!.maxOpen).toBe(1);
  });
});
