// Politeness and stopping across worker PROCESSES over real SMTP: three `smtp-probe worker`s on
// their own loopback source addresses, a real redis-server, scripted servers that record when
// each connection opened, each line arrived and each "421 too many connections" was sent.
// One worker's 421 makes every worker back off that server; --rate holds for all workers
// together; SIGTERM on a worker finishes the jobs under way within --grace, or hands them back
// when the grace period is too short, and nothing is lost or doubled (exit 130). Why these take
// 5-10 s: five worker processes start (0.5-1 s each on a loaded machine), the 421 back-off is 2 s,
// and the rate test needs more than a second of traffic at 20 RCPT/s.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startScriptServer, type ScriptServer } from '../../src/demo/smtp-script-server.js';
import { startZoneServer, type Zone, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { expectNoMessageSent } from '../helpers/smtp.js';
import { answered, ended, lines, startBin, until, type Proc } from './processes.js';
import { dropKeys, REDIS_ADDR, redisSkipped, redisUrl, requirePassword } from './redis-peer.js';

const peer = inject('redisPeer');

describe.skipIf(redisSkipped(peer))(`workers in separate processes share politeness through Redis on ${REDIS_ADDR}`, () => {
  let busy: ScriptServer;
  let rated: ScriptServer;
  let slow: ScriptServer;
  let grey: ScriptServer;
  let dns: ZoneServer;
  let redis: Redis;
  let url = '';
  const procs: Proc[] = [];
  const queueName = `p${randomBytes(5).toString('hex')}`;

  beforeAll(async () => {
    const password = requirePassword(peer);
    url = redisUrl(password, 3);
    redis = new Redis({ host: REDIS_ADDR, port: 6379, password, db: 3, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    // Facts and back-offs of an earlier run (this database is this file's alone) must not help.
    await dropKeys(redis, 'smtp-probe:polite:*');
    // One connection at a time: the second gets "421 too many connections".
    busy = await startScriptServer({ userPattern: '^user', extensions: ['PIPELINING'], maxConnections: { count: 1, banner: { lines: ['421 4.7.0 mx.swamped.test Too many connections, try again later'], close: 'end' } } }, { address: '127.0.0.30', replyDelayMs: 25 });
    rated = await startScriptServer({ userPattern: '^user', extensions: ['PIPELINING'] }, { address: '127.0.0.31', port: busy.port });
    slow = await startScriptServer({ userPattern: '^user', extensions: ['PIPELINING'] }, { address: '127.0.0.32', port: busy.port, replyDelayMs: 120 });
    // Postgrey's way: each (client address, recipient) is refused with 450 at first, let through 0.6 s later.
    grey = await startScriptServer({ userPattern: '^user', extensions: ['PIPELINING'], greylist: { delayMs: 600 } }, { address: '127.0.0.38', port: busy.port });
    const zone: Zone = {
      'swamped.test': { MX: [{ exchange: 'mx.swamped.test', priority: 10 }] }, 'mx.swamped.test': { A: ['127.0.0.30'] },
      'paced.test': { MX: [{ exchange: 'mx.paced.test', priority: 10 }] }, 'mx.paced.test': { A: ['127.0.0.31'] },
      'slow.test': { MX: [{ exchange: 'mx.slow.test', priority: 10 }] }, 'mx.slow.test': { A: ['127.0.0.32'] },
      'grey.test': { MX: [{ exchange: 'mx.grey.test', priority: 10 }] }, 'mx.grey.test': { A: ['127.0.0.38'] },
      'plain.test': { MX: [{ exchange: 'mx.paced.test', priority: 10 }] },
    };
    dns = await startZoneServer(zone);
  });

  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    if (redis) {
      await dropKeys(redis, `smtp-probe:${queueName}:*`);
      await dropKeys(redis, 'smtp-probe:polite:*');
      redis.disconnect();
    }
    for (const s of [busy, rated, slow, grey]) if (s) expectNoMessageSent(s);
    await Promise.all([dns?.close(), busy?.close(), rated?.close(), slow?.close(), grey?.close()]);
  });

  const worker = (ip: string, grace = '5s', extra: string[] = []): Proc => {
    const p = startBin(['worker', '--queue', url, '--queue-name', queueName, '--resolver', `${dns.address}:${dns.port}`, '--source-ip', ip,
      '--helo', 'worker.example.net', '--concurrency', '3', '--stalled-interval', '2s', '--grace', grace, '--verbose', ...extra]);
    procs.push(p);
    return p;
  };
  const producer = (extra: string[], input: string): Proc => {
    const p = startBin(['verify', '--file', '-', '--json', '--queue', url, '--queue-name', queueName, '--resolver', `${dns.address}:${dns.port}`,
      '--port', String(busy.port), '--helo', 'producer.example.net', '--timeout', '10s', ...extra], input);
    procs.push(p);
    return p;
  };
  const expectEachOnce = (out: Record<string, unknown>[], input: string[]): void => {
    expect(out.map((r) => r.address).sort()).toEqual([...input].sort());
    for (const r of out) expect(r.verdict).toBe(/^user/.test(r.address as string) ? 'deliverable' : 'undeliverable');
  };

  let workers: Proc[] = [];

  it("one worker's 421 holds every worker off that server; --rate holds for all workers together", async () => {
    // Two jobs each at a time: every worker gets a share, and the first one of the SIGTERM test
    // below holds little.
    workers = ['127.0.0.33', '127.0.0.34', '127.0.0.35'].map((ip) => worker(ip, '5s', ['--jobs', '2']));
    await until('three workers ready', () => workers.every((w) => w.stderr.includes('Ctrl-C stops it')));
    // paced.test's jobs come first (jobs are grouped by domain, in name order), so every worker has some.
    const input: string[] = [];
    for (let i = 0; i < 45; i++) input.push(`${i % 3 === 2 ? 'nobody' : 'user'}${i}@swamped.test`);
    for (let i = 0; i < 45; i++) input.push(`${i % 3 === 2 ? 'nobody' : 'user'}${i}@paced.test`);
    // --per-host 3 with 3 workers: without a shared back-off each worker would keep opening its own.
    const rate = 20;
    const prod = producer(['--per-host', '3', '--batch', '5', '--rate', String(rate)], `${input.join('\n')}\n`);
    expect(await ended(prod)).toBe(0);
    expectEachOnce(lines(prod.stdout), input);

    // The 421: after the first one, no worker opens a connection to that server for the back-off
    // (2 s; 0.8 s of margin for connections whose slot was granted just before, on a loaded
    // machine, and 0.2 s before its end).
    expect(busy.refusedAt.length).toBeGreaterThan(0);
    const t0 = busy.refusedAt[0]!;
    const during = busy.connectedAt.filter((t) => t > t0 + 800 && t < t0 + 1_800);
    expect(during).toEqual([]);
    // The limit is lowered for all to what was open (1), where each worker would keep meeting
    // the 421 after every back-off on its own. It rises back by one after 4 sessions work, so
    // one more 421 may come (and lowers it again).
    expect(busy.refusedAt.filter((t) => t > t0 + 1_000 && t < t0 + 4_000).length).toBeLessThanOrEqual(1);
    expect(busy.refusedAt.length).toBeLessThanOrEqual(4);
    const notes = workers.map((w) => w.stderr).join('\n');
    expect(notes).toMatch(/mx\.swamped\.test.*waiting \d+ s/);

    // The rate: 20 RCPT a second to paced.test's server from all workers together, where three
    // workers alone would send 60. A pipelined batch of 5 goes at once, and a worker stalled by
    // a loaded machine sends its overdue batches together: at most twice the rate in any second.
    const at = rated.receivedAt.filter((_, i) => /^RCPT TO:/i.test(rated.received[i]!));
    expect(at.length).toBeGreaterThanOrEqual(45);
    let most = 0;
    for (let i = 0; i < at.length; i++) {
      let n = 0;
      for (let j = i; j < at.length && at[j]! - at[i]! < 1_000; j++) n++;
      most = Math.max(most, n);
    }
    expect(most).toBeLessThanOrEqual(2 * rate);
    expect(at[at.length - 1]! - at[0]!).toBeGreaterThanOrEqual(((at.length - 10) / rate) * 1_000 * 0.9);
    // The workers really shared the work (each had its own bucket otherwise).
    expect(new Set(rated.clientAddresses).size).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('SIGTERM: jobs under way finish within --grace, or go back to the queue when it is too short; nothing lost, exit 130', async () => {
    // Two idle workers stop at once, having nothing to finish.
    for (const w of workers.slice(1)) w.child.kill('SIGTERM');
    for (const w of workers.slice(1)) expect(await ended(w, 20_000)).toBe(130);
    for (const w of workers.slice(1)) expect(w.stderr).toMatch(/worker stopped: \d+ answered .*, 0 handed back, 0 failed/);
    const input: string[] = [];
    for (let i = 0; i < 60; i++) input.push(`${i % 3 === 2 ? 'nobody' : 'user'}${i}@slow.test`);
    const prod = producer(['--per-host', '2', '--batch', '4'], `${input.join('\n')}\n`);
    // A long enough grace: what the worker holds is answered before it exits.
    const first = workers[0]!;
    await until('first answers', () => answered(first) >= 2);
    first.child.kill('SIGTERM');
    expect(await ended(first, 20_000)).toBe(130);
    expect(first.stderr).toMatch(/worker stopped: \d+ answered .*, 0 handed back, 0 failed/);
    // Too short a grace: the jobs under way go back (only their unanswered addresses). This
    // worker speaks French: its own sentences come from the catalog.
    const short = worker('127.0.0.36', '200ms', ['--lang', 'fr']);
    await until('more answers', () => answered(short) >= 2 || lines(prod.stdout).length === input.length);
    short.child.kill('SIGTERM');
    expect(await ended(short, 20_000)).toBe(130);
    expect(short.stderr).toContain(`file ${queueName}, envoi depuis 127.0.0.36 (Ctrl-C pour l'arrêter)`);
    expect(short.stderr).toContain('arrêt : plus aucune nouvelle tâche ; celles en cours vont à leur terme');
    expect(short.stderr).toContain("délai de grâce écoulé : les tâches sans réponse retournent dans la file");
    expect(short.stderr).not.toMatch(/Ctrl-C stops it|handed back|grace period|stopping:/);
    const back = /worker arrêté : \d+ adresses traitées \(\d+ délivrable, \d+ non délivrable, \d+ risqué, \d+ inconnu\), (\d+) rendues à la file/.exec(short.stderr);
    expect(back).not.toBeNull();
    // Whatever is left, another worker answers: each address exactly once in the end.
    const last = worker('127.0.0.37');
    expect(await ended(prod)).toBe(0);
    expectEachOnce(lines(prod.stdout), input);
    expect(Number(back![1])).toBeGreaterThan(0);
    last.child.kill('SIGINT');
    expect(await ended(last, 20_000)).toBe(130);
    // Read once it has exited: its stderr may trail the producer's end.
    expect(answered(last)).toBeGreaterThan(0);
  }, 60_000);

  it("a domain one worker found greylisting: another worker's jobs of it wait out the greylisting without holding its job slots", async () => {
    // Worker A meets the greylisting first (--wait-greylist: it asks again 2 s later) and says so in Redis at once.
    const a = worker('127.0.0.39', '5s', ['--jobs', '1']);
    await until('worker A ready', () => a.stderr.includes('Ctrl-C stops it'));
    // 2 s: room for plain.test's answers on a loaded machine before grey.test's come.
    const flags = ['--per-host', '2', '--batch', '2', '--wait-greylist', '2s', '--no-catch-all-check'];
    const first = producer(flags, 'user0@grey.test\n');
    expect(await ended(first)).toBe(0);
    expect(lines(first.stdout)).toMatchObject([{ address: 'user0@grey.test', verdict: 'deliverable', greylistRetried: true }]);
    // The worker tells the fleet without waiting for Redis (the answer does not wait on it): on a
    // loaded machine the write may land just after the producer has its answer, so it is awaited.
    await until('the greylisting in Redis', async () => Number(await redis.hget('smtp-probe:polite:dom:grey.test', 'greylistedAt')) > 0, 10_000);
    a.child.kill('SIGINT');
    expect(await ended(a, 20_000)).toBe(130);

    // Worker B holds one job at a time (--jobs 1), and grey.test's jobs come first. Knowing the
    // domain greylists, B lets them wait without holding its slot: plain.test is answered meanwhile.
    const b = worker('127.0.0.40', '5s', ['--jobs', '1']);
    await until('worker B ready', () => b.stderr.includes('Ctrl-C stops it'));
    const input = [...[1, 2, 3, 4].map((i) => `user${i}@grey.test`), ...[1, 2, 3, 4, 5, 6].map((i) => `user${i}@plain.test`)];
    const second = producer(flags, `${input.join('\n')}\n`);
    expect(await ended(second)).toBe(0);
    const out = lines(second.stdout);
    expect(out.map((r) => r.address).sort()).toEqual([...input].sort());
    for (const r of out) expect(r.verdict).toBe('deliverable');
    const order = out.map((r) => String(r.address).split('@')[1]);
    // Every plain.test answer came before the first grey.test one (which waited 2 s).
    expect(order.lastIndexOf('plain.test')).toBeLessThan(order.indexOf('grey.test'));
    expect(out.filter((r) => r.greylistRetried === true).length).toBe(4);
    b.child.kill('SIGINT');
    expect(await ended(b, 20_000)).toBe(130);
  }, 60_000);
});
