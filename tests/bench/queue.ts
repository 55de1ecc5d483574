// Scale-out benchmark (issue 17): N addresses (QUEUE_BENCH_N, default 100,000) through
// `verify --queue` with 1, 2 and 4 worker processes (each on its own loopback source IP,
// --concurrency 50, --per-host 10 shared by all), next to the in-process verifier on the same
// servers in the same run. Prints addresses/s, connections per 1,000 addresses, the most
// connections one server IP had at once, Redis round trips per address (the server's count of
// read events: one per request or pipelined batch received; all clients, the producer's too) and
// commands per address (those run inside BullMQ's Lua scripts included), and wrong/duplicate/
// missing answers (all must be 0), and the CPU all processes used per address (this one, the
// workers, Redis). Needs the Redis of .ci/setup-peers.sh (or SMTP_PROBE_REDIS_URL).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { startScriptServer, type ScriptServer, type SmtpScript } from '../../src/demo/smtp-script-server.js';
import { startZoneServer, type Zone } from '../../src/demo/zone-dns-server.js';
import { createDns2Resolver } from '../../src/dns/dns2-resolver.js';
import { queueVerify } from '../../src/queue/producer.js';
import { parseRedisUrl } from '../../src/queue/redis-url.js';
import { verify } from '../../src/verify/run-verify.js';
import type { VerifyOptions, VerifyRun } from '../../src/verify/options.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { dropKeys, findRedis, redisUrl } from '../queue/redis-peer.js';

const N = Number(process.env.QUEUE_BENCH_N ?? 100_000);
const D = Number(process.env.QUEUE_BENCH_D ?? 1); // ms per reply
const WORKERS = (process.env.QUEUE_BENCH_WORKERS ?? '1,2,4').split(',').map(Number);

interface Kind { domains: string[]; script: SmtpScript; expect: (local: string) => string }
const exists = (local: string): boolean => Number(local.slice(1)) % 2 === 0;
const KINDS: Kind[] = [
  { domains: ['ca0.test', 'ca1.test'], script: { catchAll: true }, expect: () => 'risky' },
  { domains: Array.from({ length: 10 }, (_, i) => `sh${i}.test`), script: { userPattern: '^u[0-9]*[02468]$' }, expect: (l) => (exists(l) ? 'deliverable' : 'undeliverable') },
  { domains: ['big.test'], script: { userPattern: '^u[0-9]*[02468]$' }, expect: (l) => (exists(l) ? 'deliverable' : 'undeliverable') },
];

export async function run(): Promise<void> {
  let url = process.env.SMTP_PROBE_REDIS_URL;
  if (!url) {
    const peer = await findRedis();
    if (!peer.ok) {
      console.log(`queue bench skipped: no Redis (${peer.why}); run sudo bash .ci/setup-peers.sh or set SMTP_PROBE_REDIS_URL`);
      return;
    }
    url = redisUrl(peer.password, 4);
  }
  const target = parseRedisUrl(url);
  const admin = new Redis({ host: target.host, port: target.port, db: target.db, ...(target.password ? { password: target.password } : {}) });
  const domains = KINDS.flatMap((k) => k.domains.map((d) => ({ d, kind: k })));
  const expected = new Map<string, string>();
  const list: string[] = [];
  for (let i = 0; i < N; i++) {
    const { d, kind } = domains[i % domains.length]!;
    const local = `u${Math.floor(i / domains.length)}`;
    list.push(`${local}@${d}`);
    expected.set(`${local}@${d}`, kind.expect(local));
  }

  /** Fresh servers (their counters start at 0) and DNS for one measurement. */
  const world = async (): Promise<{ servers: ScriptServer[]; dns: string; options: VerifyOptions; close: () => Promise<void> }> => {
    const servers: ScriptServer[] = [];
    const zone: Zone = {};
    let port = 0;
    for (const [k, kind] of KINDS.entries()) {
      const s = await startScriptServer({ ...kind.script, extensions: ['PIPELINING'] }, { address: `127.0.0.${60 + k}`, replyDelayMs: D, ...(port ? { port } : {}) });
      port = s.port;
      servers.push(s);
      for (const d of kind.domains) {
        zone[d] = { MX: [{ exchange: `mx.${d}`, priority: 10 }] };
        zone[`mx.${d}`] = { A: [`127.0.0.${60 + k}`] };
      }
    }
    const dns = await startZoneServer(zone);
    const options: VerifyOptions = {
      helo: 'bench.example.net', port, resolve: createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 5_000 }),
      concurrency: 50, perHost: 10, backoffMs: 200, maxBackoffMs: 2_000,
    };
    return { servers, dns: `${dns.address}:${dns.port}`, options, close: async () => { await Promise.all([dns.close(), ...servers.map((x) => x.close())]); } };
  };

  let inProcessRate = 0;
  /** CPU seconds a process has used (Linux /proc; 0 elsewhere). */
  const procCpu = (pid: number | undefined): number => {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      return 0;
    }
  };
  const measure = async (label: string, servers: ScriptServer[], make: () => VerifyRun, workers: ChildProcess[] = []): Promise<void> => {
    const stat = async (): Promise<{ cmds: number; reads: number; redisCpu: number }> => {
      const info = await admin.info();
      const num = (re: RegExp): number => Number(re.exec(info)?.[1] ?? 0);
      return { cmds: num(/total_commands_processed:(\d+)/), reads: num(/total_reads_processed:(\d+)/), redisCpu: num(/used_cpu_sys:([\d.]+)/) + num(/used_cpu_user:([\d.]+)/) };
    };
    const before = await stat();
    const cpu0 = process.cpuUsage();
    const workersCpu0 = workers.reduce((n, w) => n + procCpu(w.pid), 0);
    const t0 = performance.now();
    const seen = new Map<string, number>();
    let wrong = 0;
    for await (const batch of make().batches()) {
      for (const r of batch) {
        seen.set(r.address, (seen.get(r.address) ?? 0) + 1);
        if (expected.get(r.address) !== r.verdict) wrong++;
      }
    }
    const s = (performance.now() - t0) / 1000;
    const after = await stat();
    const cpu = process.cpuUsage(cpu0);
    // All the CPU the run used: this process (the in-process verifier, or the producer; the
    // scripted servers and DNS in both cases), the worker processes, and Redis.
    const cpuS = (cpu.user + cpu.system) / 1e6 + (workers.reduce((n, w) => n + procCpu(w.pid), 0) - workersCpu0) + (after.redisCpu - before.redisCpu);
    const cmds = after.cmds - before.cmds;
    const reads = after.reads - before.reads;
    const conns = servers.reduce((n, x) => n + x.connections, 0);
    const dup = [...seen.values()].filter((n) => n > 1).length;
    const missing = list.filter((a) => !seen.has(a)).length;
    const rate = N / s;
    if (label.startsWith('in-process')) inProcessRate = rate;
    const ratio = inProcessRate > 0 && !label.startsWith('in-process') ? ` = ${(rate / inProcessRate).toFixed(2)} × in-process` : '';
    console.log(`${label.padEnd(18)} ${Math.round(rate).toLocaleString('en-US').padStart(7)} addresses/s (${s.toFixed(1)} s${ratio})  `
      + `${((conns * 1000) / N).toFixed(1)} connections/1,000  max ${Math.max(...servers.map((x) => x.maxOpen))} open to one IP  `
      + (label.startsWith('in-process') ? '' : `Redis: ${(reads / N).toFixed(1)} round trips/address (${(cmds / N).toFixed(0)} commands, Lua's inside included)  `)
      + `CPU ${((cpuS * 1000) / N).toFixed(2)} ms/address (all processes)  `
      + `wrong ${wrong}, duplicates ${dup}, missing ${missing}`);
  };

  console.log(`${N.toLocaleString('en-US')} addresses, ${domains.length} domains on ${KINDS.length} server IPs, ${D} ms per reply, --concurrency 50 (per worker) --per-host 10 (global)`);
  try {
    {
      const w = await world();
      await measure('in-process', w.servers, () => verify(list, w.options));
      await w.close();
    }
    for (const n of WORKERS) {
      const w = await world();
      const queueName = `bench${n}-${process.pid}`;
      const procs: ChildProcess[] = [];
      for (let i = 0; i < n; i++) {
        const child = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--queue-name', queueName, '--source-ip', `127.0.0.${70 + i}`, '--helo', 'bench.example.net',
          '--concurrency', '50', '--resolver', w.dns, ...(process.env.QUEUE_BENCH_JOBS ? ['--jobs', process.env.QUEUE_BENCH_JOBS] : [])], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
        procs.push(child);
        await new Promise<void>((resolve) => {
          let err = '';
          child.stderr?.on('data', (d: Buffer) => {
            err += d.toString();
            if (err.includes('Ctrl-C stops it')) resolve();
          });
          child.on('exit', () => resolve());
        });
      }
      try {
        await measure(`queue, ${n} worker${n > 1 ? 's' : ''}`, w.servers, () => queueVerify(list, w.options, { target, queueName }), procs);
      } finally {
        await Promise.all(procs.map((p) => new Promise<void>((resolve) => {
          p.on('exit', () => resolve());
          p.kill('SIGINT');
        })));
        await dropKeys(admin, `smtp-probe:${queueName}:*`);
        await w.close();
      }
    }
  } finally {
    admin.disconnect();
  }
}
