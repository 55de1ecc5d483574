// Hostile DNS for SPF over the real dns2 resolver and the loopback zone server: include loops,
// 50 includes (and a fan-out tree), void-lookup abuse, a 10 KB TXT record, SERVFAIL/REFUSED,
// timeouts, the overall time limit, truncation → TCP (and a TCP fallback that hangs). Each ends
// in the RFC 7208 result, with the number of queries bounded and no hang (safety bounds, not speed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHost, spfReport } from '../../../src/checks/spf.js';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import type { Resolve } from '../../../src/dns/resolver.js';
import { startZoneServer, type Zone, type ZoneServer } from '../../../src/demo/zone-dns-server.js';

const H = 'hostile.test';
const range = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => i + from);
const bigRecord = `v=spf1 ${range(720).map((i) => `ip4:10.${i >> 8}.${i & 0xff}.1`).join(' ')} -all`;

const zone: Zone = {
  // include loops
  [`loop.${H}`]: { TXT: [`v=spf1 include:loop2.${H} -all`] },
  [`loop2.${H}`]: { TXT: [`v=spf1 include:loop3.${H} -all`] },
  [`loop3.${H}`]: { TXT: [`v=spf1 redirect=loop.${H}`] },
  [`self.${H}`]: { TXT: [`v=spf1 ip4:192.0.2.1 include:self.${H} -all`] },
  // 50 includes
  [`fifty.${H}`]: { TXT: [`v=spf1 ${range(50).map((i) => `include:i${i}.${H}`).join(' ')} -all`] },
  ...Object.fromEntries(range(50).map((i) => [`i${i}.${H}`, { TXT: [`v=spf1 ip4:10.50.${i}.0/24 -all`] }])),
  // fan-out: 50 includes of 50 includes each
  [`fan.${H}`]: { TXT: [`v=spf1 ${range(50).map((i) => `include:f${i}.fan2.${H}`).join(' ')} -all`] },
  [`*.fan2.${H}`]: { TXT: [`v=spf1 ${range(50).map((i) => `include:g${i}.fan3.${H}`).join(' ')} -all`] },
  [`*.fan3.${H}`]: { TXT: ['v=spf1 ip4:10.9.9.9 -all'] },
  // void-lookup abuse
  [`void.${H}`]: { TXT: [`v=spf1 ${range(20).map((i) => `a:gone${i}.${H}`).join(' ')} exists:%{i}.nx.${H} -all`] },
  // 10 KB TXT, only over TCP
  [`big.${H}`]: { TXT: [bigRecord], fault: 'truncate', faultTypes: ['TXT'] },
  [`inc-big.${H}`]: { TXT: [`v=spf1 include:big.${H} -all`] },
  // 10 KB of a: terms: the report's walk must not ask 1400 questions
  [`many-a.${H}`]: { TXT: [`v=spf1 ${range(700).map((i) => `a:x${i}.${H}`).join(' ')} -all`] },
  // SERVFAIL / REFUSED
  [`sf.${H}`]: { fault: 'servfail' },
  [`refused.${H}`]: { fault: 'refused' },
  [`inc-sf.${H}`]: { TXT: [`v=spf1 include:sf.${H} -all`] },
  [`a-sf.${H}`]: { TXT: [`v=spf1 a:sf.${H} -all`] },
  [`mx-refused.${H}`]: { TXT: [`v=spf1 mx:refused.${H} -all`] },
  [`ptr-sf.${H}`]: { TXT: ['v=spf1 ptr -all'] },
  '1.2.0.192.in-addr.arpa': { fault: 'servfail' },
  [`exp-sf.${H}`]: { TXT: [`v=spf1 -all exp=sf.${H}`] },
  // timeouts
  [`drop.${H}`]: { fault: 'drop' },
  [`exists-drop.${H}`]: { TXT: [`v=spf1 exists:drop.${H} -all`] },
  [`slow.${H}`]: { TXT: [`v=spf1 ${range(10).map((i) => `a:h${i}.${H}`).join(' ')} -all`] },
  ...Object.fromEntries(range(10).map((i) => [`h${i}.${H}`, { A: [`10.0.0.${i}`] }])),
};

let server: ZoneServer;
let resolve: Resolve;
/** A short deadline, only for the lookups that are never answered (the rest must not race it on a loaded machine). */
let quick: Resolve;
beforeAll(async () => {
  server = await startZoneServer(zone);
  resolve = createDns2Resolver({ servers: [{ address: server.address, port: server.port }], timeoutMs: 5_000 });
  quick = createDns2Resolver({ servers: [{ address: server.address, port: server.port }], timeoutMs: 400 });
});
afterAll(async () => { await server.close(); });

/** Run check_host() and collect the questions the server saw. An answer over 512 bytes comes
 *  back truncated over UDP and is asked again over TCP (dns2's server truncates like real ones),
 *  so `lookups` counts the UDP questions: one per lookup. */
async function run(ip: string, domain: string, r: Resolve = resolve) {
  const before = server.queries.length;
  const t0 = Date.now();
  const res = await checkHost(ip, domain, `postmaster@${domain}`, { resolve: r, helo: `mx.${H}` });
  const queries = server.queries.slice(before);
  return { res, ms: Date.now() - t0, queries, lookups: queries.filter((q) => q.transport === 'udp') };
}

describe('loops', () => {
  it('an include/redirect loop is a permerror after one pass round it', async () => {
    const { res, lookups } = await run('192.0.2.9', `loop.${H}`);
    expect(res.result).toBe('permerror');
    expect(res.comment).toMatch(/loops back/);
    expect(lookups).toHaveLength(3);
  });
  it('a self-include is a permerror, but a match before it still decides', async () => {
    expect((await run('192.0.2.9', `self.${H}`)).res.result).toBe('permerror');
    expect((await run('192.0.2.1', `self.${H}`)).res.result).toBe('pass');
  });
  it('the report finds the loop without an IP', async () => {
    const s = await spfReport(`loop.${H}`, { resolve });
    expect(s.result).toBe('permerror');
    expect(s.findings.map((f) => f.code)).toContain('spf.loop');
  });
});

describe('50 includes', () => {
  it('stops at DNS-querying term 11 with permerror (RFC 7208 §4.6.4)', async () => {
    const { res, lookups } = await run('192.0.2.9', `fifty.${H}`);
    expect(res.result).toBe('permerror');
    expect(res.lookups.count).toBe(11);
    expect(res.decidedBy).toMatchObject({ kind: 'error', term: `include:i11.${H}` });
    expect(lookups).toHaveLength(11); // the record and the first 10 includes; the 11th is never asked
  });
  it('passes an IP matched before the limit', async () => {
    const { res } = await run('10.50.3.7', `fifty.${H}`);
    expect(res.result).toBe('pass');
    expect(res.decidedBy.via.map((l) => l.term)).toEqual([`include:i3.${H}`]);
  });
  it('the report counts all 50 and says permerror', async () => {
    const s = await spfReport(`fifty.${H}`, { resolve });
    expect(s.result).toBe('permerror');
    expect(s.details.lookups.count).toBe(50);
    expect(s.findings.map((f) => f.code)).toContain('spf.too-many-lookups');
  });
  it('a fan-out of 50 × 50 includes: the walk fetches at most 40 records, evaluation at most 11', async () => {
    const before = server.queries.length;
    const s = await spfReport(`fan.${H}`, { resolve });
    const fetched = server.queries.slice(before).filter((q) => q.transport === 'udp').length;
    expect(s.result).toBe('permerror');
    expect(s.details.lookups.count).toBeGreaterThanOrEqual(50);
    expect(fetched).toBeLessThanOrEqual(40);
    expect(s.findings.map((f) => f.code)).toContain('spf.walk-truncated');
    const { res, lookups } = await run('192.0.2.9', `fan.${H}`);
    expect(res.result).toBe('permerror');
    expect(lookups.length).toBeLessThanOrEqual(11);
  });
});

describe('void-lookup abuse', () => {
  it('stops at the third void lookup with permerror', async () => {
    const { res, lookups } = await run('192.0.2.9', `void.${H}`);
    expect(res.result).toBe('permerror');
    expect(res.lookups.void).toBe(3);
    expect(lookups.map((q) => q.type)).toEqual(['TXT', 'A', 'A', 'A']);
  });
  it('the report counts the void terms', async () => {
    const s = await spfReport(`void.${H}`, { resolve });
    expect(s.result).toBe('permerror');
    expect(s.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['spf.void-lookups', 'spf.too-many-lookups']));
  });
});

describe('a 10 KB TXT record, served only over TCP', () => {
  it('is fetched over TCP and evaluated', async () => {
    expect(bigRecord.length).toBeGreaterThan(10_000);
    const { res, queries } = await run('10.2.88.1', `big.${H}`);
    expect(res.result).toBe('pass');
    expect(res.decidedBy.term).toBe('ip4:10.2.88.1');
    expect(queries.map((q) => q.transport)).toEqual(['udp', 'tcp']);
    expect((await run('192.0.2.9', `inc-big.${H}`)).res.result).toBe('fail');
  });
  it('the report warns that it is over 512 bytes', async () => {
    const s = await spfReport(`big.${H}`, { resolve });
    expect(s.result).toBeNull();
    expect(s.details.recordStatus).toBe('valid');
    expect(s.findings.map((f) => f.code)).toContain('spf.record-size');
  });
});

describe('a 10 KB record of 700 a: terms', () => {
  it('evaluation stops at the third void lookup; the report asks a bounded number of questions', async () => {
    const { res, lookups } = await run('192.0.2.9', `many-a.${H}`);
    expect(res.result).toBe('permerror');
    expect(lookups).toHaveLength(4);
    const before = server.queries.length;
    const s = await spfReport(`many-a.${H}`, { resolve });
    expect(s.result).toBe('permerror');
    expect(s.details.lookups.count).toBe(700);
    expect(server.queries.slice(before).filter((q) => q.transport === 'udp').length).toBeLessThanOrEqual(151);
    expect(s.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['spf.record-size', 'spf.too-many-lookups', 'spf.walk-truncated']));
  });
});

describe('SERVFAIL and REFUSED', () => {
  it('temperror for the record, an include, a: and mx: targets (RFC 7208 §4.4, §5)', async () => {
    for (const d of [`sf.${H}`, `refused.${H}`, `inc-sf.${H}`, `a-sf.${H}`, `mx-refused.${H}`]) {
      expect((await run('192.0.2.9', d)).res.result, d).toBe('temperror');
    }
  });
  it('a failing PTR lookup is no match, not temperror (§5.5)', async () => {
    expect((await run('192.0.2.1', `ptr-sf.${H}`)).res.result).toBe('fail');
  });
  it('a failing exp= lookup leaves the fail without explanation (§6.2)', async () => {
    const { res } = await run('192.0.2.1', `exp-sf.${H}`);
    expect(res.result).toBe('fail');
    expect(res.explanation).toBeUndefined();
  });
  it('the report says temperror with status error', async () => {
    expect(await spfReport(`sf.${H}`, { resolve })).toMatchObject({ result: 'temperror', status: 'error' });
  });
});

describe('timeouts', () => {
  it('a record lookup that is never answered is temperror within the resolver deadline', async () => {
    const { res, ms } = await run('192.0.2.9', `drop.${H}`, quick);
    expect(res.result).toBe('temperror');
    expect(ms).toBeLessThan(5_000);
  });
  it('an exists: target that is never answered is temperror', async () => {
    expect((await run('192.0.2.9', `exists-drop.${H}`, quick)).res.result).toBe('temperror');
  });
  it('the overall time limit turns a slow server into temperror (§4.6.4)', async () => {
    const slow = await startZoneServer(zone, { delayMs: 150 });
    try {
      const r = createDns2Resolver({ servers: [{ address: slow.address, port: slow.port }], timeoutMs: 1_000 });
      const t0 = Date.now();
      const res = await checkHost('192.0.2.9', `slow.${H}`, `postmaster@slow.${H}`, { resolve: r, timeLimitMs: 600 });
      expect(res.result).toBe('temperror');
      expect(res.comment).toMatch(/time limit/);
      expect(Date.now() - t0).toBeLessThan(3_000);
    } finally {
      await slow.close();
    }
  });
});

describe('truncation → TCP', () => {
  it('follows an include whose answer is truncated over UDP', async () => {
    const { res, queries } = await run('10.2.88.1', `inc-big.${H}`);
    expect(res.result).toBe('pass');
    expect(queries.filter((q) => q.name === `big.${H}`).map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });
  it('a TCP fallback that never answers is temperror within the deadline', async () => {
    const hang = await startZoneServer(zone, { truncateAll: true, dropTcp: true });
    try {
      const r = createDns2Resolver({ servers: [{ address: hang.address, port: hang.port }], timeoutMs: 400 });
      const t0 = Date.now();
      const res = await checkHost('192.0.2.9', `fifty.${H}`, `postmaster@fifty.${H}`, { resolve: r });
      expect(res.result).toBe('temperror');
      expect(Date.now() - t0).toBeLessThan(3_000);
    } finally {
      await hang.close();
    }
  });
});
