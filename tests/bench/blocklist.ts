// Blocklist check concurrency: the loopback zone server delays every answer by D, and a check
// of all catalog zones should then take about one D (all zones asked at once), plus one more
// D for the TXT of listed zones, not zones × D. Prints the median wall time / D of a few runs.
import { performance } from 'node:perf_hooks';
import { checkBlocklists, checkZoneHealth, ZONES } from '../../src/checks/dnsbl.js';
import { createDns2Resolver } from '../../src/dns/dns2-resolver.js';
import { startZoneServer } from '../../src/demo/zone-dns-server.js';

const D = 50;
const RUNS = 7;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeRuns(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up: module loading and socket set-up are not what is measured
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

export async function run(): Promise<void> {
  const server = await startZoneServer({
    '99.2.0.192.zen.spamhaus.org': { A: ['127.0.0.2'], TXT: ['listed'] },
    '99.2.0.192.bl.spamcop.net': { A: ['127.0.0.2'] },
    'spammy.example.dbl.spamhaus.org': { A: ['127.0.1.2'] },
  }, { delayMs: D });
  try {
    const resolve = createDns2Resolver({ servers: [{ address: server.address, port: server.port }], timeoutMs: 5_000 });
    const ipZones = (await checkBlocklists('192.0.2.99', { resolve })).counts.checked;
    const ip = await timeRuns(() => checkBlocklists('192.0.2.99', { resolve }));
    const cleanIp = await timeRuns(() => checkBlocklists('192.0.2.98', { resolve }));
    const domZones = (await checkBlocklists('spammy.example', { resolve })).counts.checked;
    const dom = await timeRuns(() => checkBlocklists('spammy.example', { resolve }));
    const health = await timeRuns(() => checkZoneHealth({ resolve }));
    const line = (what: string, ms: number, n: number): string =>
      `${what.padEnd(44)} ${ms.toFixed(0).padStart(5)} ms = ${(ms / D).toFixed(2)} D  (${n} zones; serial would be ${n}+ D)`;
    console.log(`blocklist check, DNS answers delayed by D = ${D} ms, medians of ${RUNS} runs (catalog: ${ZONES.length} zones)`);
    console.log(line('IPv4, listed on 2 (A then TXT)', ip, ipZones));
    console.log(line('IPv4, clean (A only)', cleanIp, ipZones));
    console.log(line('domain, listed on 1', dom, domZones));
    console.log(line('--health (2 test points per zone)', health, ZONES.length - ZONES.filter((z) => z.keyZone).length));
  } finally {
    await server.close();
  }
}
