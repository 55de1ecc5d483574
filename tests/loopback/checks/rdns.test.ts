// checkRdns against the loopback zone server: FCrDNS, missing PTR, PTR without the forward
// record, generic names, HELO fit, IPv6 nibble names, DNS failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { startZoneServer, type Zone, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { checkRdns, reverseName } from '../../../src/checks/rdns.js';

const zone: Zone = {
  [reverseName('203.0.113.5')]: { PTR: ['mail.example.test.'] },
  'mail.example.test': { A: ['203.0.113.5'] },
  'other.example.test': { A: ['203.0.113.99'] },
  [reverseName('203.0.113.6')]: { PTR: ['lonely.example.test.'] },
  'lonely.example.test': { A: ['203.0.113.77'] },
  [reverseName('198.51.100.23')]: { PTR: ['198-51-100-23.dsl.isp.test.'] },
  '198-51-100-23.dsl.isp.test': { A: ['198.51.100.23'] },
  [reverseName('2001:db8::25')]: { PTR: ['mx6.example.test.'] },
  'mx6.example.test': { AAAA: ['2001:db8:0:0::25'] },
  [reverseName('192.0.2.66')]: { fault: 'servfail' },
};

let server: ZoneServer;
beforeAll(async () => { server = await startZoneServer(zone); });
afterAll(async () => { await server.close(); });
const resolve = () => createDns2Resolver({ servers: [{ address: server.address, port: server.port }], timeoutMs: 2_000 });

describe('checkRdns over loopback DNS', () => {
  it('passes a forward-confirmed PTR, and a HELO equal to it', async () => {
    const r = await checkRdns('203.0.113.5', { resolve: resolve(), helo: 'mail.example.test' });
    expect(r).toMatchObject({ check: 'rdns', status: 'pass', result: 'pass' });
    expect(r.details).toMatchObject({ ptr: ['mail.example.test'], fcrdns: true, helo: { matchesPtr: true, resolvesToIp: true } });
  });

  it('warns when the HELO name does not resolve to the IP', async () => {
    const r = await checkRdns('203.0.113.5', { resolve: resolve(), helo: 'other.example.test' });
    expect(r.status).toBe('warn');
    expect(r.findings.map((f) => f.code)).toContain('rdns.helo-mismatch');
    const bare = await checkRdns('203.0.113.5', { resolve: resolve(), helo: 'localhost' });
    expect(bare.findings.map((f) => f.code)).toContain('rdns.helo-not-fqdn');
  });

  it('fails without a PTR record, naming what Gmail says', async () => {
    const r = await checkRdns('192.0.2.200', { resolve: resolve() });
    expect(r).toMatchObject({ status: 'fail', result: 'fail' });
    expect(r.findings[0]).toMatchObject({ code: 'rdns.no-ptr' });
    expect(r.findings[0]?.message).toMatch(/5\.7\.25/);
  });

  it('fails when the PTR name does not resolve back (no FCrDNS)', async () => {
    const r = await checkRdns('203.0.113.6', { resolve: resolve() });
    expect(r.status).toBe('fail');
    expect(r.details.fcrdns).toBe(false);
    expect(r.findings[0]?.code).toBe('rdns.not-fcrdns');
  });

  it('warns about generic PTR names even when forward-confirmed', async () => {
    const r = await checkRdns('198.51.100.23', { resolve: resolve() });
    expect(r.status).toBe('warn');
    expect(r.details.generic).toHaveLength(1);
  });

  it('handles IPv6 through ip6.arpa nibbles and compares addresses, not spellings', async () => {
    const r = await checkRdns('2001:db8::25', { resolve: resolve() });
    expect(r.status).toBe('pass');
    expect(r.details.reverseName).toMatch(/\.8\.b\.d\.0\.1\.0\.0\.2\.ip6\.arpa$/);
  });

  it('reports SERVFAIL as an error, not as a missing PTR', async () => {
    const r = await checkRdns('192.0.2.66', { resolve: resolve() });
    expect(r).toMatchObject({ status: 'error', result: 'temperror' });
  });
});
