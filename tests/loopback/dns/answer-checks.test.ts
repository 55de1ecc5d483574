// DNS answers must answer the question (over real UDP and TCP against the loopback zone
// server): an answer for another name, or with records owned by a name that was not asked,
// is dropped like one with a wrong ID — the real answer that follows is still taken, and
// without one the lookup times out; CNAME chains (owners that are the chain's targets) and
// names in any letter case (RFC 4343) still pass. Also: a run deadline aborts lookups in flight.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerMismatch, createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { DEADLINE_REASON, DnsError, withDeadline } from '../../../src/dns/resolver.js';
import { resolveMailHosts } from '../../../src/dns/mail-hosts.js';
import { startZoneServer, type ZoneServer } from '../../../src/demo/zone-dns-server.js';

let server: ZoneServer;
let slow: ZoneServer;
beforeAll(async () => {
  server = await startZoneServer({
    // A forged MX: the records are for another name (the attacker's own zone).
    'victim.test': { MX: [{ exchange: 'mx.victim.test', priority: 10 }], spoof: { owner: 'attacker.test', records: { MX: [{ exchange: 'mx.attacker.test', priority: 0 }] } } },
    // The same forgery racing the true answer: the forgery arrives first and must lose.
    'raced.test': { MX: [{ exchange: 'mx.raced.test', priority: 10 }], spoof: { owner: 'raced.test.attacker.test', records: { MX: [{ exchange: 'mx.attacker.test', priority: 0 }] }, thenTrue: true } },
    // An answer whose question section names another name (answers for the other name).
    'asked.test': { A: ['192.0.2.1'], spoof: { question: 'other.test', owner: 'other.test', records: { A: ['198.51.100.66'] } } },
    'asked-raced.test': { A: ['192.0.2.2'], spoof: { question: 'other.test', owner: 'other.test', records: { A: ['198.51.100.66'] }, thenTrue: true } },
    // Same name in other letters: the same name (RFC 4343).
    'case.test': { A: ['192.0.2.3'], spoof: { question: 'CaSe.TeSt', owner: 'CASE.test' } },
    'mx.victim.test': { A: ['192.0.2.25'] },
    'mx.raced.test': { A: ['192.0.2.26'] },
    'mx.attacker.test': { A: ['203.0.113.66'] },
    'alias.test': { CNAME: 'target.test' },
    'target.test': { CNAME: 'final.test' },
    'final.test': { A: ['192.0.2.4'], MX: [{ exchange: 'mx.final.test', priority: 5 }] },
  });
  slow = await startZoneServer({ 'slow.test': { A: ['192.0.2.5'] } }, { delayMs: 5_000 });
});
afterAll(async () => {
  await Promise.all([server.close(), slow.close()]);
});

const resolver = (s: ZoneServer = server, timeoutMs = 800) => createDns2Resolver({ servers: [{ address: s.address, port: s.port }], timeoutMs });
const failure = async (p: Promise<unknown>): Promise<DnsError> => p.then((v) => { throw new Error(`expected a failure, got ${JSON.stringify(v)}`); }, (e: unknown) => e as DnsError);

describe('answers that do not answer the question are dropped', () => {
  it('a forged MX (records owned by another name) is never used: the lookup times out', async () => {
    const e = await failure(resolver()('victim.test', 'MX'));
    expect(e).toBeInstanceOf(DnsError);
    expect(e.dnsCode).toBe('ETIMEOUT');
    const hosts = await resolveMailHosts('victim.test', { resolve: resolver() });
    expect(JSON.stringify(hosts)).not.toContain('attacker');
  });

  it('the true answer after a forged one is taken', async () => {
    expect(await resolver()('raced.test', 'MX')).toEqual([{ exchange: 'mx.raced.test', priority: 10 }]);
    const hosts = await resolveMailHosts('raced.test', { resolve: resolver() });
    expect(hosts.hosts.map((h) => [h.name, h.addresses])).toEqual([['mx.raced.test', ['192.0.2.26']]]);
  });

  it('an answer whose question section names another name is dropped; the true one is taken', async () => {
    expect((await failure(resolver()('asked.test', 'A'))).dnsCode).toBe('ETIMEOUT');
    expect(await resolver()('asked-raced.test', 'A')).toEqual(['192.0.2.2']);
  });

  it('names are compared without regard to letter case (RFC 4343)', async () => {
    expect(await resolver()('case.test', 'A')).toEqual(['192.0.2.3']);
    expect(await resolver()('CASE.Test', 'A')).toEqual(['192.0.2.3']);
  });

  it('CNAME chains: records owned by the chain\'s targets are the answer', async () => {
    expect(await resolver()('alias.test', 'A')).toEqual(['192.0.2.4']);
    expect(await resolver()('ALIAS.test', 'MX')).toEqual([{ exchange: 'mx.final.test', priority: 5 }]);
    expect(await resolver()('alias.test', 'CNAME')).toEqual(['target.test']);
  });
});

describe('answerMismatch (the rule itself)', () => {
  const base = { header: { id: 1, qr: 1, rcode: 0, tc: 0 }, questions: [{ name: 'a.test', type: 1, class: 1 }], answers: [] as Record<string, unknown>[] };
  const packet = (over: Partial<typeof base>) => ({ ...base, ...over }) as never;
  it('names each way an answer can fail to answer', () => {
    expect(answerMismatch(packet({}), 'a.test', 'A')).toBeUndefined();
    expect(answerMismatch(packet({ header: { ...base.header, qr: 0 } }), 'a.test', 'A')).toBe('not a response');
    expect(answerMismatch(packet({ questions: [] }), 'a.test', 'A')).toMatch(/0 questions/);
    expect(answerMismatch(packet({ questions: [{ name: 'a.test', type: 15, class: 1 }] }), 'a.test', 'A')).toMatch(/MX a\.test, not for A a\.test/);
    expect(answerMismatch(packet({ answers: [{ name: 'b.test', type: 1, address: '192.0.2.1' }] }), 'a.test', 'A')).toMatch(/b\.test/);
    // A chain in any order, and a DNAME owned by an ancestor, pass.
    expect(answerMismatch(packet({ answers: [{ name: 'c.test', type: 1 }, { name: 'b.test', type: 5, domain: 'c.test' }, { name: 'A.TEST.', type: 5, domain: 'b.test' }] }), 'a.test', 'A')).toBeUndefined();
    expect(answerMismatch(packet({ questions: [{ name: 'x.a.test', type: 1, class: 1 }], answers: [{ name: 'a.test', type: 39 }, { name: 'x.a.test', type: 5, domain: 'x.b.test' }, { name: 'x.b.test', type: 1 }] }), 'x.a.test', 'A')).toBeUndefined();
  });
});

describe('a run deadline aborts lookups in flight', () => {
  it('the lookup ends at the deadline with the reason, not at its own timeout', async () => {
    const d = withDeadline(resolver(slow, 10_000), Date.now() + 300);
    const t0 = Date.now();
    const e = await failure(d.resolve('slow.test', 'A'));
    expect(Date.now() - t0).toBeLessThan(2_500);
    expect(e.dnsCode).toBe('ETIMEOUT');
    expect(e.message).toContain(DEADLINE_REASON);
    expect(d.skipped()).toBe(1);
    // After the deadline nothing is asked at all.
    const before = slow.queries.length;
    expect((await failure(d.resolve('slow.test', 'AAAA'))).message).toContain(DEADLINE_REASON);
    expect(slow.queries.length).toBe(before);
    expect(d.reached()).toBe(true);
  });
});
