// Probe round trips: the scripted SMTP server and the zone DNS server add a fixed delay D
// to every reply, so a probe's wall time / D is the number of round trips it costs.
// Printed beside the floor the protocol requires (DNS MX + address, then the exchanges).
import { startScriptServer, type ScriptServer } from '../../src/demo/smtp-script-server.js';
import { startZoneServer } from '../../src/demo/zone-dns-server.js';
import { createDns2Resolver } from '../../src/dns/dns2-resolver.js';
import { runProbe, type PortSpec } from '../../src/probe/run-probe.js';
import { connectTransport } from '../../src/smtp/transport.js';
import { TLS } from '../helpers/smtp.js';

const D = 50;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<void> {
  const servers: ScriptServer[] = [];
  const start = async (address: string, port: number | undefined, implicitTls: boolean, pipelining = true): Promise<ScriptServer> => {
    const ext = [...(pipelining ? ['PIPELINING'] : []), 'SIZE 1000000', '8BITMIME'];
    const s = await startScriptServer({ users: ['bob'], extensions: ext, implicitTls }, { address, tls: TLS, replyDelayMs: D, ...(port ? { port } : {}) });
    servers.push(s);
    return s;
  };
  // Two MX hosts on 127.0.0.1 and 127.0.0.2, each with a plain, a submission and an implicit-TLS port.
  const a25 = await start('127.0.0.1', undefined, false);
  const a587 = await start('127.0.0.1', undefined, false);
  const a465 = await start('127.0.0.1', undefined, true);
  await start('127.0.0.2', a25.port, false);
  await start('127.0.0.2', a587.port, false);
  await start('127.0.0.2', a465.port, true);
  const noPipe = await start('127.0.0.1', undefined, false, false);
  const dns = await startZoneServer({
    'one.test': { MX: [{ exchange: 'mx1.one.test', priority: 10 }] },
    'two.test': { MX: [{ exchange: 'mx1.one.test', priority: 10 }, { exchange: 'mx2.one.test', priority: 20 }] },
    'mx1.one.test': { A: ['127.0.0.1'] },
    'mx2.one.test': { A: ['127.0.0.2'] },
  }, { delayMs: D });
  const resolve = createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 5_000 });
  const probe = async (target: string, ports: PortSpec[], pipelining = true): Promise<number> => {
    const t0 = performance.now();
    const r = await runProbe(target, { ports, tlsMode: 'auto', tlsVerify: false, ca: TLS.ca, helo: 'probe.example.net', from: '', rcpts: ['bob@one.test'], timeoutScale: 1, lang: 'en', pipelining }, { resolve, connect: connectTransport, now: () => Date.now() });
    const ms = performance.now() - t0;
    if (r.verdict.kind !== 'accepted') throw new Error(`bench probe failed: ${r.verdict.line}`);
    return ms;
  };
  const cases: { name: string; floor: number; run: () => Promise<number> }[] = [
    // DNS 2 (MX, then A/AAAA at once) + banner, EHLO, STARTTLS, EHLO, MAIL+RCPT in one flight = 7.
    { name: 'port 25, STARTTLS, 1 RCPT, PIPELINING', floor: 7, run: () => probe('one.test', [{ port: a25.port, implicitTls: false }]) },
    // Without PIPELINING MAIL and RCPT cost one round trip each: 8.
    { name: 'port 25, STARTTLS, 1 RCPT, no PIPELINING', floor: 8, run: () => probe('one.test', [{ port: noPipe.port, implicitTls: false }], false) },
    // All six sessions at once: the slowest (STARTTLS) sets the time, as for one: 7.
    { name: '3 ports x 2 MX hosts at once', floor: 7, run: () => probe('two.test', [{ port: a25.port, implicitTls: false }, { port: a587.port, implicitTls: false }, { port: a465.port, implicitTls: true }]) },
  ];
  console.log(`D = ${D} ms added to every DNS answer and every SMTP reply; figures are medians of 5 runs`);
  for (const c of cases) {
    await c.run(); // warm-up
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push(await c.run());
    const m = median(times);
    console.log(`${c.name.padEnd(44)} ${m.toFixed(0).padStart(5)} ms = ${(m / D).toFixed(2)} D (floor ${c.floor} D; we add RSET+QUIT, ${c.name.includes('no PIPELINING') ? '2' : '1'} D)`);
  }
  await Promise.all([dns.close(), ...servers.map((s) => s.close())]);
}
