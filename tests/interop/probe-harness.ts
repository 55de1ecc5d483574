// The whole probe against the project's real Postfix, as the interop suites run it: a zone DNS
// server on loopback whose interop.test MX is the Postfix peer, the peer checked once, and every
// session asserted never to send DATA or BDAT. Shared by postfix-probe and postfix-posture.
import { expect } from 'vitest';
import { startZoneServer, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { createDns2Resolver } from '../../src/dns/dns2-resolver.js';
import { portSpec, runProbe, type ProbeOptions, type ProbeResult } from '../../src/probe/run-probe.js';
import { connectTransport } from '../../src/smtp/transport.js';
import { TLS } from '../helpers/smtp.js';
import { POSTFIX_ADDR, POSTFIX_HOST, requirePostfix } from './peer.js';

export interface InteropProbe {
  /** For beforeAll: starts the zone server and looks for the peer (a missing peer fails each probe). */
  start(): Promise<void>;
  /** For afterAll. */
  stop(): Promise<void>;
  probe(target: string, over?: Partial<ProbeOptions>): Promise<ProbeResult>;
}

export function interopProbe(): InteropProbe {
  let dns: ZoneServer | undefined;
  let peerError: Error | undefined;
  return {
    async start() {
      dns = await startZoneServer({
        'interop.test': { MX: [{ exchange: POSTFIX_HOST, priority: 10 }] },
        [POSTFIX_HOST]: { A: [POSTFIX_ADDR] },
      });
      await requirePostfix().catch((e: unknown) => {
        peerError = e instanceof Error ? e : new Error(String(e));
      });
    },
    async stop() {
      await dns?.close();
    },
    async probe(target, over = {}) {
      if (peerError) throw peerError;
      if (!dns) throw new Error('the zone DNS server did not start');
      const r = await runProbe(
        target,
        { ports: [portSpec(25)], tlsMode: 'auto', tlsVerify: false, ca: TLS.ca, helo: 'probe.example.net', from: '', timeoutScale: 0.5, lang: 'en', ...over },
        { resolve: createDns2Resolver({ servers: [{ address: dns.address, port: dns.port }], timeoutMs: 2_000 }), connect: connectTransport, now: () => Date.now() },
      );
      for (const s of r.sessions) for (const step of s.steps) expect(step.sent ?? '').not.toMatch(/^(DATA|BDAT)\b/i);
      return r;
    },
  };
}
