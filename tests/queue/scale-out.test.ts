// Scale-out end to end, every piece real: the built CLI as producer (`verify --queue`) and as
// three worker processes, each bound to its own loopback source address, a real redis-server,
// scripted SMTP servers that record how many connections were open at once and from where,
// and a zone DNS server. The global per-server limit holds across the workers; a worker
// SIGKILLed mid-run loses nothing (its jobs come back); a producer stopped with Ctrl-C and
// restarted with --resume writes each address exactly once; rediss:// works; --status counts;
// the Redis password never appears in any output. Why these take 5-15 s: eight real node
// processes start (about 0.5-1 s each on a loaded machine) and a SIGKILLed worker's jobs come
// back only after its 2 s lock and lease expire; address counts are kept small otherwise.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startScriptServer, type ScriptServer } from '../../src/demo/smtp-script-server.js';
import { startZoneServer, type Zone, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { ROOT } from '../helpers/cli.js';
import { answered, ended, lines, startBin as start, until, type Proc } from './processes.js';
import { parseRedisUrl } from '../../src/queue/redis-url.js';
import { queueStatus } from '../../src/queue/status.js';
import { expectNoMessageSent } from '../helpers/smtp.js';
import { dropKeys, REDIS_ADDR, redisSkipped, redisUrl, requirePassword } from './redis-peer.js';

const peer = inject('redisPeer');
const ajv = new Ajv2020.default({ allErrors: true, strict: false });
const validate = ajv.compile(JSON.parse(readFileSync(`${ROOT}/data/schema/verify-result.schema.json`, 'utf8')) as object);
const validateStatus = ajv.compile(JSON.parse(readFileSync(`${ROOT}/data/schema/queue-status.schema.json`, 'utf8')) as object);

describe.skipIf(redisSkipped(peer))(`verify --queue and worker over Redis on ${REDIS_ADDR}`, () => {
  const servers: ScriptServer[] = [];
  let dns: ZoneServer;
  let port = 0;
  let shared: ScriptServer;
  let catchAll: ScriptServer;
  let redis: Redis;
  let password = '';
  const procs: Proc[] = [];
  const queueName = `t${randomBytes(5).toString('hex')}`;
  const work = mkdtempSync(join(tmpdir(), 'smtp-probe-queue-'));
  // Three domains share one server (one IP); a catch-all domain has its own.
  const shareDomains = ['a1.test', 'a2.test', 'a3.test'];
  const addresses: string[] = [];
  const expected = new Map<string, string>();
  for (const d of shareDomains) {
    for (let i = 0; i < 40; i++) {
      const a = `${i % 2 === 0 ? 'user' : 'nobody'}${i}@${d}`;
      addresses.push(a);
      expected.set(a, i % 2 === 0 ? 'deliverable' : 'undeliverable');
    }
  }
  for (let i = 0; i < 30; i++) {
    addresses.push(`any${i}@c.test`);
    expected.set(`any${i}@c.test`, 'risky');
  }

  beforeAll(async () => {
    password = requirePassword(peer);
    redis = new Redis({ host: REDIS_ADDR, port: 6379, password, db: 2, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    // Slow enough replies that the run lasts a few seconds, so a worker can die in the middle.
    shared = await startScriptServer({ userPattern: '^user\\d+$', extensions: ['PIPELINING'] }, { address: '127.0.0.10', replyDelayMs: 15 });
    port = shared.port;
    catchAll = await startScriptServer({ catchAll: true, extensions: ['PIPELINING'] }, { address: '127.0.0.11', port, replyDelayMs: 15 });
    servers.push(shared, catchAll);
    const zone: Zone = { 'mx.shared.test': { A: ['127.0.0.10'] }, 'mx.c.test': { A: ['127.0.0.11'] }, 'c.test': { MX: [{ exchange: 'mx.c.test', priority: 10 }] } };
    for (const d of shareDomains) zone[d] = { MX: [{ exchange: 'mx.shared.test', priority: 10 }] };
    dns = await startZoneServer(zone);
  });

  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    if (redis) {
      await dropKeys(redis, `smtp-probe:${queueName}:*`);
      await dropKeys(redis, `smtp-probe:${queueName}b:*`);
      redis.disconnect();
    }
    for (const s of servers) expectNoMessageSent(s);
    await Promise.all([dns?.close(), ...servers.map((s) => s.close())]);
    rmSync(work, { recursive: true, force: true });
  });

  const common = (name = queueName): string[] => ['--queue-name', name, '--resolver', `${dns.address}:${dns.port}`];
  const worker = (sourceIp: string, url = redisUrl(password, 2), env: Record<string, string> = {}, name = queueName): Proc => {
    const p = start(['worker', '--queue', url, ...common(name), '--source-ip', sourceIp, '--helo', 'worker.example.net', '--concurrency', '3', '--stalled-interval', '2s', '--grace', '2s', '--verbose'], undefined, env);
    procs.push(p);
    return p;
  };
  const producer = (extra: string[], input: string, url = redisUrl(password, 2), env: Record<string, string> = {}, name = queueName): Proc => {
    const p = start(['verify', '--file', '-', '--json', '--queue', url, ...common(name), '--port', String(port), '--per-host', '2', '--batch', '5', '--helo', 'producer.example.net', '--timeout', '10s', ...extra], input, env);
    procs.push(p);
    return p;
  };
  const noPassword = (...ps: Proc[]): void => {
    for (const p of ps) {
      expect(p.stdout).not.toContain(password);
      expect(p.stderr).not.toContain(password);
    }
  };

  it('three workers on three source IPs: the per-server limit holds for all together; one SIGKILLed mid-run loses and doubles nothing', async () => {
    const workers = ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((ip) => worker(ip));
    await until('three workers ready', () => workers.every((w) => w.stderr.includes('Ctrl-C stops it')));
    const prod = producer([], `${addresses.join('\n')}\n`);
    // Killed once it has answered a few: it holds more jobs (and connection leases) then.
    await until('the first worker to answer', () => answered(workers[0]!) >= 3);
    workers[0]!.child.kill('SIGKILL');
    expect(await ended(prod)).toBe(0);
    const out = lines(prod.stdout);
    const seen = new Map<string, number>();
    for (const r of out) seen.set(r.address as string, (seen.get(r.address as string) ?? 0) + 1);
    expect(out.length).toBe(addresses.length);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    for (const r of out) expect({ a: r.address, v: r.verdict }).toEqual({ a: r.address, v: expected.get(r.address as string) });
    // The same documented objects as in-process, each with its input line.
    for (const r of out) expect(validate(r) ? [] : validate.errors).toEqual([]);
    expect(out.map((r) => r.line as number).sort((x, y) => x - y)).toEqual(addresses.map((_, i) => i + 1));
    // --per-host 2 is global: three workers could have opened 6 to the shared IP without Redis.
    expect(shared.maxOpen).toBeLessThanOrEqual(2);
    expect(catchAll.maxOpen).toBeLessThanOrEqual(2);
    // The connections came from the workers' own source addresses, the survivors' included.
    const from = new Set([...shared.clientAddresses, ...catchAll.clientAddresses]);
    expect([...from].every((a) => ['127.0.0.2', '127.0.0.3', '127.0.0.4'].includes(a))).toBe(true);
    expect(from.has('127.0.0.3') || from.has('127.0.0.4')).toBe(true);
    for (const w of workers.slice(1)) w.child.kill('SIGINT');
    for (const w of workers.slice(1)) expect(await ended(w, 20_000)).toBe(130);
    expect(workers[1]!.stderr + workers[2]!.stderr).toMatch(/worker stopped: \d+ answered/);
    noPassword(prod, ...workers);
  }, 90_000);

  it('a producer stopped with Ctrl-C and run again with --resume writes every address once; rediss:// and --status work', async () => {
    const tlsUrl = redisUrl(password, 2, true);
    const env = { SMTP_PROBE_REDIS_CA: join(ROOT, 'fixtures/tls/ca.pem') };
    const input = `${addresses.slice(0, 60).join('\n')}\n`;
    const q2 = `${queueName}b`;
    const receivedBefore = shared.received.length;
    const first = producer([], input, tlsUrl, env, q2);
    // No worker yet: everything waits in the queue, in jobs of one batch (--batch 5) of one domain.
    const target = parseRedisUrl(redisUrl(password, 2));
    for (let t0 = Date.now(); (await queueStatus(target, q2)).waiting < 60 / 5;) {
      if (Date.now() - t0 > 20_000) throw new Error(`the producer did not enqueue: ${first.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    let status = start(['verify', '--queue', tlsUrl, '--queue-name', q2, '--status', '--json'], undefined, env);
    procs.push(status);
    expect(await ended(status)).toBe(0);
    const s1 = JSON.parse(status.stdout) as { waiting: number; workers: string[] };
    expect(validateStatus(s1) ? [] : validateStatus.errors).toEqual([]);
    expect(s1.waiting).toBeGreaterThan(0);
    // The schema refuses a URL that shows a password.
    expect(validateStatus({ ...s1, redis: `rediss://:${password}@${REDIS_ADDR}:6380/2` })).toBe(false);
    const w = worker('127.0.0.5', tlsUrl, env, q2);
    await until('some answers', () => lines(first.stdout).length >= 10);
    first.child.kill('SIGINT');
    expect(await ended(first)).toBe(130);
    expect(first.stderr).toMatch(/still queued or being verified/);
    const file = join(work, 'out.jsonl');
    writeFileSync(file, first.stdout);
    const second = producer(['--resume', file], input, tlsUrl, env, q2);
    expect(await ended(second)).toBe(0);
    const all = [...lines(first.stdout), ...lines(second.stdout)];
    expect(all.map((r) => r.address).sort()).toEqual(addresses.slice(0, 60).sort());
    for (const r of all) expect(r.verdict).toBe(expected.get(r.address as string));
    // The first test's workers stored what they learned (a1.test is not catch-all) in Redis:
    // this new worker sends no catch-all probe (a random 24-character local part) there again.
    const rcpts = shared.received.slice(receivedBefore).filter((l) => /^RCPT TO:/i.test(l));
    expect(rcpts.length).toBeGreaterThan(0);
    expect(rcpts.filter((l) => /^RCPT TO:<[a-z0-9]{24}@/i.test(l))).toEqual([]);
    status = start(['verify', '--queue', tlsUrl, '--queue-name', q2, '--status'], undefined, env);
    procs.push(status);
    expect(await ended(status)).toBe(0);
    expect(status.stdout).toMatch(/waiting\s+0/);
    // In another language, the status speaks it (the values stay as they are).
    const hi = start(['verify', '--queue', tlsUrl, '--queue-name', q2, '--status', '--lang', 'hi'], undefined, env);
    procs.push(hi);
    expect(await ended(hi)).toBe(0);
    expect(hi.stdout).toMatch(new RegExp(`^\\S+ पर कतार ${q2}\\n  प्रतीक्षारत जॉब\\s+0\\n`));
    expect(hi.stdout).not.toMatch(/waiting|answered|workers/);
    expect(status.stdout).toContain(`rediss://:***@${REDIS_ADDR}:6380/2`);
    w.child.kill('SIGINT');
    expect(await ended(w, 20_000)).toBe(130);
    noPassword(first, second, status, w);
    expect(readFileSync(file, 'utf8')).not.toContain(password);
  }, 90_000);

  it('an unreachable or refusing Redis is one line and exit 3, without the password', async () => {
    const wrong = start(['verify', 'a@a1.test', '--queue', `redis://:not-${password}@${REDIS_ADDR}:6379/2`, '--queue-name', queueName]);
    procs.push(wrong);
    expect(await ended(wrong)).toBe(3);
    expect(wrong.stderr).toMatch(/^smtp-probe: cannot use Redis at redis:\/\/:\*\*\*@127\.77\.63\.79:6379\/2: .*(WRONGPASS|invalid)/im);
    expect(wrong.stderr).not.toContain(password);
    const none = start(['worker', '--queue', 'redis://:hunter2secret@127.0.0.1:1/0']);
    procs.push(none);
    expect(await ended(none)).toBe(3);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).not.toContain('hunter2secret');
  });
});
