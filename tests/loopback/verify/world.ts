// Loopback worlds for the verify tests: a zone DNS server mapping test domains to scripted
// SMTP servers (one per 127.0.0.x address, all on one port, since verify talks to port N of
// every MX), and verify() options pointed at them. Every server asserts no DATA/BDAT at close.
import { startScriptServer, type ScriptServer, type ScriptServerOptions, type SmtpScript } from '../../../src/demo/smtp-script-server.js';
import { startZoneServer, type Zone, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { verify, type VerifyOptions, type VerifyRun } from '../../../src/verify/run-verify.js';
import type { VerifyResult } from '../../../src/verify/verdict.js';
import { expectNoMessageSent } from '../../helpers/smtp.js';

export interface World {
  dns: ZoneServer;
  /** The server of each domain (by domain name). */
  servers: Record<string, ScriptServer>;
  port: number;
  options(over?: Partial<VerifyOptions>): VerifyOptions;
  run(addresses: Iterable<string> | AsyncIterable<string>, over?: Partial<VerifyOptions>): Promise<{ results: VerifyResult[]; run: VerifyRun }>;
  close(): Promise<void>;
}

export interface DomainSpec { script: SmtpScript; opts?: ScriptServerOptions; zone?: Zone }

/** Each domain gets its own server on 127.0.0.(i+1), all on one port, and an MX to it. */
export async function startWorld(domains: Record<string, DomainSpec>, extraZone: Zone = {}): Promise<World> {
  const names = Object.keys(domains);
  for (let attempt = 0; ; attempt++) {
    const servers: Record<string, ScriptServer> = {};
    let port = 0;
    try {
      for (const [i, name] of names.entries()) {
        const spec = domains[name]!;
        const s = await startScriptServer(spec.script, { ...spec.opts, address: `127.0.0.${i + 10}`, ...(port ? { port } : {}) });
        port = s.port;
        servers[name] = s;
      }
    } catch (e) {
      await Promise.all(Object.values(servers).map((s) => s.close()));
      if (attempt < 5 && (e as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw e;
    }
    const zone: Zone = { ...extraZone };
    for (const [i, name] of names.entries()) {
      zone[name] ??= { MX: [{ exchange: `mx.${name}`, priority: 10 }] };
      zone[`mx.${name}`] ??= { A: [`127.0.0.${i + 10}`] };
      Object.assign(zone, domains[name]!.zone ?? {});
    }
    const dns = await startZoneServer(zone);
    const resolve = createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 2_000 });
    const options = (over: Partial<VerifyOptions> = {}): VerifyOptions => ({
      helo: 'verify.example.net', port, resolve, timeoutScale: 0.2, lingerMs: 50, backoffMs: 50, abortGraceMs: 300, ...over,
    });
    return {
      dns, servers, port, options,
      async run(addresses, over = {}) {
        const run = verify(addresses, options(over));
        const results: VerifyResult[] = [];
        for await (const r of run) results.push(r);
        return { results, run };
      },
      async close() {
        for (const s of Object.values(servers)) expectNoMessageSent(s);
        await Promise.all([dns.close(), ...Object.values(servers).map((s) => s.close())]);
      },
    };
  }
}

export const byAddress = (rs: VerifyResult[]): Record<string, VerifyResult> => Object.fromEntries(rs.map((r) => [r.address, r]));
