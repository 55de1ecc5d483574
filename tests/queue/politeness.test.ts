// The shared politeness primitives against the real redis-server of .ci/setup-peers.sh: the
// per-server connection semaphore holds across clients (workers) racing for it, a dead
// worker's lease comes back when it expires, the 421 back-off is shared and doubles, a lowered
// limit rises back, the token bucket spaces RCPTs, and domain facts are shared.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisPoliteness } from '../../src/queue/politeness.js';
import { SharedServers } from '../../src/queue/shared-servers.js';
import { dropKeys, REDIS_ADDR, redisSkipped, requirePassword } from './redis-peer.js';

const peer = inject('redisPeer');

describe.skipIf(redisSkipped(peer))(`Redis politeness on ${REDIS_ADDR}`, () => {
  const ns = `smtp-probe-test:${randomBytes(5).toString('hex')}`;
  const clients: Redis[] = [];
  const client = (): Redis => {
    const r = new Redis({ host: REDIS_ADDR, port: 6379, password: requirePassword(peer), db: 1, maxRetriesPerRequest: 1 });
    r.on('error', () => {});
    clients.push(r);
    return r;
  };
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  beforeAll(() => {
    requirePassword(peer);
  });
  afterAll(async () => {
    if (clients[0]) await dropKeys(clients[0], `${ns}:*`);
    for (const c of clients) c.disconnect();
  });

  it('three workers racing for one server never hold more than the limit, and all get their turns', async () => {
    const limit = 2;
    let holding = 0;
    let most = 0;
    let done = 0;
    const worker = async (p: RedisPoliteness): Promise<void> => {
      for (let i = 0; i < 6; i++) {
        const lease = await p.acquire('192.0.2.1', limit);
        expect(lease).toBeDefined();
        holding++;
        most = Math.max(most, holding);
        await sleep(5 + (i % 3) * 5);
        holding--;
        await p.release(lease!);
        done++;
      }
    };
    const ps = [0, 1, 2].map(() => new RedisPoliteness(client(), { namespace: ns }));
    await Promise.all(ps.map(worker));
    expect(done).toBe(18);
    expect(most).toBe(limit);
    // Another server is counted apart.
    const p = ps[0]!;
    expect((await p.tryAcquire('192.0.2.2', 1)).ok).toBe(true);
    expect((await p.tryAcquire('192.0.2.2', 1)).ok).toBe(false);
  });

  it("a killed worker's lease comes back when it expires; a renewed one does not", async () => {
    const a = new RedisPoliteness(client(), { namespace: ns, leaseMs: 400 });
    const b = new RedisPoliteness(client(), { namespace: ns, leaseMs: 400 });
    const dead = await a.tryAcquire('192.0.2.3', 1); // never released: the worker "died"
    expect(dead.ok).toBe(true);
    const kept = await a.tryAcquire('192.0.2.4', 1);
    expect(kept.ok).toBe(true);
    expect((await b.tryAcquire('192.0.2.3', 1)).ok).toBe(false);
    expect(await b.held('192.0.2.3')).toBe(1);
    for (let i = 0; i < 3; i++) {
      await sleep(200);
      if (kept.ok) expect(await a.renew(kept.lease)).toBe(true);
    }
    // 600 ms later: the dead lease expired (400 ms), the renewed one still holds.
    expect((await b.tryAcquire('192.0.2.3', 1)).ok).toBe(true);
    expect((await b.tryAcquire('192.0.2.4', 1)).ok).toBe(false);
    if (dead.ok) expect(await a.renew(dead.lease)).toBe(false);
  });

  it('a 421 back-off holds every worker off that server, doubling while it repeats; a working session resets it', async () => {
    const a = new RedisPoliteness(client(), { namespace: ns, backoffMs: 300, maxBackoffMs: 1000 });
    const b = new RedisPoliteness(client(), { namespace: ns, backoffMs: 300, maxBackoffMs: 1000 });
    expect(await a.backOff('192.0.2.5')).toBe(300);
    const r = await b.tryAcquire('192.0.2.5', 5);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.waitMs).toBeGreaterThan(0);
    expect(await b.backOff('192.0.2.5')).toBe(600);
    expect(await a.backOff('192.0.2.5')).toBe(1000);
    const t0 = Date.now();
    const lease = await b.acquire('192.0.2.5', 5);
    expect(lease).toBeDefined();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    await b.worked('192.0.2.5', 5);
    expect(await a.backOff('192.0.2.5')).toBe(300);
  });

  it('"too many connections" lowers the shared limit; it rises back after sessions work', async () => {
    const a = new RedisPoliteness(client(), { namespace: ns });
    const s = '192.0.2.6';
    expect(await a.lower(s, 3, 1)).toBe(1);
    const first = await a.tryAcquire(s, 3);
    expect(first.ok).toBe(true);
    expect((await a.tryAcquire(s, 3)).ok).toBe(false);
    for (let i = 0; i < 3; i++) expect(await a.worked(s, 3)).toBe(1);
    expect(await a.worked(s, 3)).toBe(2); // 4 × 1 good sessions
    expect((await a.tryAcquire(s, 3)).ok).toBe(true);
    for (let i = 0; i < 8; i++) await a.worked(s, 3);
    expect(await a.worked(s, 3)).toBe(3); // back at --per-host: no lowered limit kept
  });

  it('the token bucket spaces RCPTs to one server across workers', async () => {
    const a = new RedisPoliteness(client(), { namespace: ns });
    const b = new RedisPoliteness(client(), { namespace: ns });
    const t0 = Date.now();
    // 20/s: 5 + 5 + 5 RCPTs from two workers take about 0.5 s before the third batch may go.
    await a.rate('192.0.2.7', 5, 20);
    await b.rate('192.0.2.7', 5, 20);
    await a.rate('192.0.2.7', 5, 20);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(3000);
  });

  it("SharedServers gives verify's host queue a synchronous view of the shared slots and back-off", async () => {
    const S = '192.0.2.8';
    const pa = new RedisPoliteness(client(), { namespace: ns, leaseMs: 1000 });
    const pb = new RedisPoliteness(client(), { namespace: ns, leaseMs: 1000 });
    const a = new SharedServers(pa, 2);
    const b = new SharedServers(pb, 2);
    // The host queue's way: acquire, and when refused, ask again at notBefore (or soon).
    const take = async (s: SharedServers, ms = 2000): Promise<boolean> => {
      for (const t0 = Date.now(); Date.now() - t0 < ms;) {
        if (s.acquire(S, Date.now())) return true;
        await sleep(Math.max(5, Math.min(50, s.notBefore(S) - Date.now())));
      }
      return false;
    };
    expect(await take(a)).toBe(true);
    expect(await take(a)).toBe(true);
    expect(a.openTo(S)).toBe(2);
    expect(await take(b, 300)).toBe(false); // both slots are a's
    a.release(S);
    expect(await take(b)).toBe(true);
    a.release(S);
    b.release(S);
    await sleep(50);
    // One worker's 421 back-off holds the other off too.
    a.backOff(S, Date.now() + 500);
    await sleep(50);
    const t0 = Date.now();
    expect(await take(b)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    await a.close();
    await b.close();
    pa.close();
    pb.close();
    expect(await new RedisPoliteness(client(), { namespace: ns }).held(S)).toBe(0);
  });

  it('domain facts (catch-all, greylisting) learned by one worker are seen by another', async () => {
    const a = new RedisPoliteness(client(), { namespace: ns });
    const b = new RedisPoliteness(client(), { namespace: ns });
    expect(await b.domainFacts('Catch.Test')).toEqual({ catchAll: null });
    await a.learn('catch.test', { catchAll: true });
    await a.learn('grey.test', { catchAll: false, greylistedAt: 1234 });
    expect(await b.domainFacts('CATCH.test')).toEqual({ catchAll: true });
    expect(await b.domainFacts('grey.test')).toEqual({ catchAll: false, greylistedAt: 1234 });
  });
});
