// Bulk verification: 10,000 addresses over 5 domains against loopback SMTP servers answering
// each command D after it arrived; verify() (reused sessions, 50 RCPT per pipelined transaction)
// against one connection per address in the same run: addresses/s, connections, the ratio. Then
// the CLI's peak RSS on a 1,000,000-line file, in a child process (the bench's memory not counted).
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startScriptServer, type ScriptServer } from '../../src/demo/smtp-script-server.js';
import { startZoneServer, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { createDns2Resolver } from '../../src/dns/dns2-resolver.js';
import { runSession } from '../../src/smtp/session.js';
import { connectTransport } from '../../src/smtp/transport.js';
import { verify } from '../../src/verify/run-verify.js';

const D = 5;
const ADDRESSES = 10_000;
const DOMAINS = 5;
const CONCURRENCY = 10;
const BIG = Number(process.env.VERIFY_BENCH_LINES ?? 1_000_000);
const BIN = fileURLToPath(new URL('../../bin/smtp-probe.js', import.meta.url));

interface World { servers: ScriptServer[]; dns: ZoneServer; port: number; close(): Promise<void> }

/** DOMAINS domains d0.test … on 127.0.0.20+i, one port; half the users exist (u0, u2, …). */
async function startWorld(delayMs: number, catchAll: boolean): Promise<World> {
  const users = Array.from({ length: ADDRESSES / DOMAINS }, (_, i) => `u${i * 2}`);
  for (let attempt = 0; ; attempt++) {
    const servers: ScriptServer[] = [];
    try {
      let port = 0;
      for (let i = 0; i < DOMAINS; i++) {
        const s = await startScriptServer(catchAll ? { catchAll: true } : { users }, { address: `127.0.0.${20 + i}`, replyDelayMs: delayMs, ...(port ? { port } : {}) });
        port = s.port;
        servers.push(s);
      }
      const zone: Record<string, { MX?: { exchange: string; priority: number }[]; A?: string[] }> = {};
      for (let i = 0; i < DOMAINS; i++) {
        zone[`d${i}.test`] = { MX: [{ exchange: `mx.d${i}.test`, priority: 10 }] };
        zone[`mx.d${i}.test`] = { A: [`127.0.0.${20 + i}`] };
      }
      const dns = await startZoneServer(zone);
      return { servers, dns, port, close: async () => { await Promise.all([dns.close(), ...servers.map((s) => s.close())]); } };
    } catch (e) {
      await Promise.all(servers.map((s) => s.close()));
      if (attempt > 5 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
  }
}

const addressList = (n: number): string[] => Array.from({ length: n }, (_, i) => `u${Math.floor(i / DOMAINS)}@d${i % DOMAINS}.test`);

function checkNoData(servers: ScriptServer[]): void {
  for (const s of servers) if (s.received.some((l) => /^(DATA|BDAT)\b/i.test(l))) throw new Error('a message command reached the server');
}

async function reused(w: World): Promise<{ ms: number; connections: number; results: number }> {
  const resolve = createDns2Resolver({ servers: [{ address: w.dns.address, port: w.dns.port }], timeoutMs: 5_000 });
  const t0 = performance.now();
  const run = verify(addressList(ADDRESSES), { helo: 'bench.example.net', port: w.port, resolve, concurrency: CONCURRENCY, perHost: 2 });
  let results = 0;
  for await (const _ of run) results++;
  return { ms: performance.now() - t0, connections: run.stats.connections, results };
}

/** The naive verifier: a whole session (connect … RCPT, RSET, QUIT) per address, same concurrency. */
async function perAddress(w: World): Promise<{ ms: number; connections: number; results: number }> {
  const list = addressList(ADDRESSES);
  let next = 0;
  let results = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < list.length) {
      const rcpt = list[next++]!;
      const i = Number(/@d([0-9]+)\./.exec(rcpt)![1]);
      await runSession(
        { host: `mx.d${i}.test`, address: `127.0.0.${20 + i}`, port: w.port, implicitTls: false, tlsMode: 'auto', tlsVerify: false, tls: {}, helo: 'bench.example.net', from: '', rcpts: [rcpt], timeoutScale: 1, runDeadline: Date.now() + 60_000 },
        { connect: connectTransport, now: () => Date.now() },
      );
      results++;
    }
  }));
  return { ms: performance.now() - t0, connections: list.length, results };
}

/** Peak RSS (kB) of `smtp-probe verify --file <BIG lines> --json > /dev/null` in a child process. */
async function peakRss(w: World, file: string): Promise<{ kb: number; ms: number; lines: number }> {
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', ['-f', 'MAXRSS_KB %M', process.execPath, BIN, 'verify', '--file', file, '--json', '--resolver', `${w.dns.address}:${w.dns.port}`, '--port', String(w.port), '--helo', 'bench.example.net', '--concurrency', String(CONCURRENCY)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let lines = 0;
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines++; });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const m = /MAXRSS_KB ([0-9]+)/.exec(stderr);
  if (code !== 0 || !m) throw new Error(`the child failed (exit ${code}): ${stderr.slice(-500)}`);
  return { kb: Number(m[1]), ms: performance.now() - t0, lines };
}

export async function run(): Promise<void> {
  console.log(`${ADDRESSES.toLocaleString('en-US')} addresses over ${DOMAINS} domains, each SMTP reply D = ${D} ms after its command (a round trip), ${CONCURRENCY} connections at most, half the mailboxes exist`);
  let w = await startWorld(D, false);
  try {
    const a = await reused(w);
    checkNoData(w.servers);
    const b = await perAddress(w);
    checkNoData(w.servers);
    const rate = (x: { ms: number; results: number }): number => x.results / (x.ms / 1000);
    const row = (name: string, x: { ms: number; connections: number; results: number }): string =>
      `${name.padEnd(46)} ${rate(x).toFixed(0).padStart(6)} addresses/s  ${x.connections.toLocaleString('en-US').padStart(6)} connections = 1 per ${(x.results / x.connections).toFixed(1)} addresses  (${(x.ms / 1000).toFixed(1)} s)`;
    console.log(row('verify(): sessions reused, 50 RCPT/transaction', a));
    console.log(row('one connection per address (runSession each)', b));
    console.log(`ratio: ${(rate(a) / rate(b)).toFixed(1)}x the addresses per second, ${(b.connections / a.connections).toFixed(0)}x fewer connections (goal: ≤ 1 connection per 50 addresses: ${a.results / a.connections >= 50 ? 'met' : 'NOT met'})`);
  } finally {
    await w.close();
  }

  // Memory: the CLI on a 1,000,000-line file (unique addresses, so dedupe holds them all).
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-bench-'));
  const file = join(dir, 'big.txt');
  try {
    const out = createWriteStream(file);
    for (let i = 0; i < BIG; i += 10_000) {
      let chunk = '';
      for (let j = i; j < i + 10_000; j++) chunk += `user${j}@d${j % DOMAINS}.test\n`;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((r) => out.end(() => r()));
    w = await startWorld(0, true);
    try {
      const m = await peakRss(w, file);
      console.log(`1,000,000-line input through the CLI (D = 0, catch-all servers): peak RSS ${(m.kb / 1024).toFixed(0)} MB (goal < 150 MB), ${m.lines.toLocaleString('en-US')} result lines in ${(m.ms / 1000).toFixed(0)} s = ${(m.lines / (m.ms / 1000)).toFixed(0)} addresses/s`);
      checkNoData(w.servers);
    } finally {
      await w.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
