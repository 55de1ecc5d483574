// Scale check of verify (issue 11): N addresses (default 100,000; SCALE_VERIFY_N) at
// --concurrency 50 --per-host 10 over four kinds of scripted servers on loopback: catch-all
// domains, a greylisting server (some addresses always 451), a server that says 421 and hangs
// up after 20 RCPT per connection, and ten domains whose differently named MX hosts share one
// IP. Every address must come back exactly once with the verdict its server implies. Prints
// addresses/s, peak RSS (this process: verifier and servers together), connections per 1,000
// addresses, counts per verdict, and the wrong/duplicate/missing counts (all must be 0).
import { performance } from 'node:perf_hooks';
import { startScriptServer, type ScriptServer, type SmtpScript } from '../../src/demo/smtp-script-server.js';
import { startZoneServer, type Zone } from '../../src/demo/zone-dns-server.js';
import { createDns2Resolver } from '../../src/dns/dns2-resolver.js';
import { verify } from '../../src/verify/run-verify.js';
import type { VerifyResult } from '../../src/verify/verdict.js';

const N = Number(process.env.SCALE_VERIFY_N ?? 100_000);
const D = Number(process.env.SCALE_VERIFY_D ?? 1); // ms per reply: a loopback "round trip"

interface Kind { name: string; domains: string[]; script: SmtpScript; expect: (local: string) => string }

// Local parts u0, u1, …: even ones exist where a server knows users; greylisted ones end in 7.
const exists = (local: string): boolean => Number(local.slice(1)) % 2 === 0;
const KINDS: Kind[] = [
  { name: 'catch-all', domains: ['ca0.test', 'ca1.test', 'ca2.test', 'ca3.test', 'ca4.test'], script: { catchAll: true }, expect: () => 'risky/catchall' },
  {
    name: 'greylisting', domains: ['grey.test'],
    script: { userPattern: '^u[0-9]*[02468]$', rules: [{ match: '^RCPT TO:<u[0-9]*7@', reply: { lines: ['451 4.7.1 Greylisted, please try again in 300 seconds'] } }] },
    expect: (l) => (l.endsWith('7') ? 'unknown/greylisted' : exists(l) ? 'deliverable/accepted' : 'undeliverable/userunknown'),
  },
  {
    name: '421 after 20 RCPT', domains: ['limit.test'],
    script: { userPattern: '^u[0-9]*[02468]$', rules: [{ match: '^RCPT', afterPerConnection: 20, reply: { lines: ['421 4.7.0 limit.test Error: too many errors'], close: 'end' } }] },
    expect: (l) => (exists(l) ? 'deliverable/accepted' : 'undeliverable/userunknown'),
  },
  {
    name: 'shared MX IP', domains: Array.from({ length: 10 }, (_, i) => `sh${i}.test`),
    script: { userPattern: '^u[0-9]*[02468]$' },
    expect: (l) => (exists(l) ? 'deliverable/accepted' : 'undeliverable/userunknown'),
  },
];

export async function run(): Promise<void> {
  const servers: ScriptServer[] = [];
  const zone: Zone = {};
  let port = 0;
  for (const [k, kind] of KINDS.entries()) {
    const s = await startScriptServer(kind.script, { address: `127.0.0.${40 + k}`, replyDelayMs: D, ...(port ? { port } : {}) });
    port = s.port;
    servers.push(s);
    for (const d of kind.domains) {
      zone[d] = { MX: [{ exchange: `mx.${d}`, priority: 10 }] };
      zone[`mx.${d}`] = { A: [`127.0.0.${40 + k}`] };
    }
  }
  const dns = await startZoneServer(zone);
  const domains = KINDS.flatMap((k) => k.domains.map((d) => ({ d, kind: k })));
  const expected = new Map<string, string>();
  const list = function* (): Generator<string> {
    for (let i = 0; i < N; i++) {
      const { d, kind } = domains[i % domains.length]!;
      const local = `u${Math.floor(i / domains.length)}`;
      const a = `${local}@${d}`;
      expected.set(a, kind.expect(local));
      yield a;
    }
  };
  let peakRss = 0;
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 100);
  const t0 = performance.now();
  const seen = new Map<string, number>();
  const verdicts: Record<string, number> = {};
  const wrong: string[] = [];
  try {
    const r = verify(list(), {
      helo: 'bench.example.net', port, resolve: createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 5_000 }),
      concurrency: 50, perHost: 10, backoffMs: 200, maxBackoffMs: 2_000,
    });
    for await (const batch of r.batches()) {
      for (const x of batch as VerifyResult[]) {
        seen.set(x.address, (seen.get(x.address) ?? 0) + 1);
        const got = `${x.verdict}/${x.reason}`;
        verdicts[got] = (verdicts[got] ?? 0) + 1;
        if (expected.get(x.address) !== got && wrong.length < 1_000_000) wrong.push(`${x.address}: ${got} (want ${expected.get(x.address)}) ${x.message}`);
      }
    }
    const ms = performance.now() - t0;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const dup = [...seen.values()].filter((n) => n > 1).length;
    const missing = [...expected.keys()].filter((a) => !seen.has(a)).length;
    const shared = servers[3]!;
    console.log(`${N.toLocaleString('en-US')} addresses, --concurrency 50 --per-host 10, reply delay ${D} ms, ${domains.length} domains on ${servers.length} servers`);
    console.log(`throughput: ${(N / (ms / 1000)).toFixed(0)} addresses/s (${(ms / 1000).toFixed(1)} s); peak RSS ${(peakRss / 1048576).toFixed(0)} MB (verifier + servers, one process)`);
    console.log(`connections: ${r.stats.connections.toLocaleString('en-US')} = ${((r.stats.connections / N) * 1000).toFixed(1)} per 1,000 addresses; transactions ${r.stats.transactions.toLocaleString('en-US')}; catch-all probes ${r.stats.catchAllProbes}`);
    console.log(`per server: ${servers.map((s, i) => `${KINDS[i]!.name} ${s.connections} conn (max ${s.maxOpen} at once)`).join('; ')}`);
    console.log(`verdicts: ${Object.entries(verdicts).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`wrong verdicts ${wrong.length}, duplicates ${dup}, missing ${missing}; shared-IP server max ${shared.maxOpen} connections at once (limit 10)`);
    for (const w of wrong.slice(0, 10)) console.log(`  wrong: ${w}`);
    for (const s of servers) if (s.received.some((l) => /^(DATA|BDAT)\b/i.test(l))) throw new Error('a message command reached a server');
    if (wrong.length > 0 || dup > 0 || missing > 0 || shared.maxOpen > 10) process.exitCode = 1;
  } finally {
    clearInterval(sampler);
    await Promise.all([dns.close(), ...servers.map((s) => s.close())]);
  }
}
