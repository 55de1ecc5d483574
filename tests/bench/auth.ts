// Cost of a full `auth` report in DNS round trips: the loopback zone server delays every
// answer by D, and the wall time of checkAuth (SPF with an include chain, 40+ DKIM selectors,
// the DMARC tree walk and report authorization, reverse DNS with FCrDNS and HELO) divided by
// D is the number of sequential round trips it costs. Printed for two values of D.
import { performance } from 'node:perf_hooks';
import { createDns2Resolver } from '../../src/dns/dns2-resolver.js';
import { startZoneServer, type Zone } from '../../src/demo/zone-dns-server.js';
import { checkAuth } from '../../src/checks/auth.js';
import { reverseName } from '../../src/checks/rdns.js';

const zone: Zone = {
  'example.test': { A: ['203.0.113.5'], MX: [{ exchange: 'mail.example.test', priority: 10 }], TXT: ['v=spf1 mx include:_spf.esp.test -all'] },
  '_spf.esp.test': { TXT: ['v=spf1 ip4:198.51.100.0/24 include:_spf2.esp.test ~all'] },
  '_spf2.esp.test': { TXT: ['v=spf1 ip4:192.0.2.0/24 ~all'] },
  'mail.example.test': { A: ['203.0.113.5'] },
  '_dmarc.example.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@example.test,mailto:agg@reports.test'] },
  'example.test._report._dmarc.reports.test': { TXT: ['v=DMARC1'] },
  'google._domainkey.example.test': { TXT: ['v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu'] },
  's1._domainkey.example.test': { CNAME: 's1.domainkey.esp.test' },
  's1.domainkey.esp.test': { TXT: ['v=DKIM1; p='] },
  [reverseName('203.0.113.5')]: { PTR: ['mail.example.test.'] },
};

async function measure(delayMs: number): Promise<{ wall: number; queries: number }> {
  const server = await startZoneServer(zone, { delayMs });
  try {
    const resolve = createDns2Resolver({ servers: [{ address: server.address, port: server.port }], timeoutMs: 20 * delayMs + 2_000 });
    const t0 = performance.now();
    await checkAuth('example.test', { resolve, ip: '203.0.113.5', helo: 'mail.example.test', from: 'bounce@example.test' });
    return { wall: performance.now() - t0, queries: server.queries.length };
  } finally {
    await server.close();
  }
}

export async function run(): Promise<void> {
  await measure(1); // warm-up: module loading, key parsing
  for (const d of [100, 250]) {
    const { wall, queries } = await measure(d);
    console.log(`auth report: D=${d} ms, ${queries} DNS queries, wall ${wall.toFixed(0)} ms = ${(wall / d).toFixed(2)} D (sequential round trips)`);
  }
}
