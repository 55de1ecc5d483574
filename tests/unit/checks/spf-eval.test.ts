// check_host() and spfReport() over an in-memory zone resolver (the same Resolve contract as the
// wire): deciding term and include chain, counting rules of §4.6.4, explanations, time limit,
// identities (§2.4), and the report's tree, costs, findings and status.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkHost, spfIdentity, spfReport } from '../../../src/checks/spf.js';
import { DnsError, type DnsErrorCode, type MxRecord, type RecordMap, type Resolve, type RRType } from '../../../src/dns/resolver.js';
import { UsageError } from '../../../src/errors.js';

type FakeZone = Record<string, Partial<{ A: string[]; AAAA: string[]; MX: MxRecord[]; TXT: string[]; PTR: string[]; error: DnsErrorCode }>>;

/** mailauth's zoneResolver idea: missing name → ENOTFOUND, missing type → ENODATA; calls recorded. */
function zoneResolver(zone: FakeZone): Resolve & { calls: string[] } {
  const calls: string[] = [];
  const r = (async <T extends RRType>(name: string, type: T): Promise<RecordMap[T]> => {
    calls.push(`${type} ${name}`);
    const e = zone[name.toLowerCase()];
    if (!e) throw new DnsError('ENOTFOUND', name, type);
    if (e.error) throw new DnsError(e.error, name, type);
    const v = (e as Record<string, unknown>)[type] as RecordMap[T] | undefined;
    if (!v || v.length === 0) throw new DnsError('ENODATA', name, type);
    return v;
  }) as Resolve & { calls: string[] };
  r.calls = calls;
  return r;
}

const base: FakeZone = {
  'example.com': { TXT: ['v=spf1 include:_spf.example.com -include:bad.example.com -all exp=why.example.com'], MX: [{ exchange: 'mx.example.com', priority: 10 }] },
  '_spf.example.com': { TXT: ['v=spf1 include:_net.example.com ~all'] },
  '_net.example.com': { TXT: ['v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all'] },
  'bad.example.com': { TXT: ['v=spf1 ip4:198.51.100.0/24 -all'] },
  'why.example.com': { TXT: ['%{i} is not one of %{d}\'s senders (%{s})'] },
  'mx.example.com': { A: ['203.0.113.25'] },
};

describe('checkHost', () => {
  it('names the deciding mechanism and the include chain to it', async () => {
    const r = await checkHost('192.0.2.7', 'example.com', 'alice@example.com', { resolve: zoneResolver(base) });
    expect(r.result).toBe('pass');
    expect(r.decidedBy).toEqual({
      kind: 'mechanism', term: 'ip4:192.0.2.0/24', domain: '_net.example.com',
      via: [{ domain: 'example.com', term: 'include:_spf.example.com' }, { domain: '_spf.example.com', term: 'include:_net.example.com' }],
      directive: { domain: 'example.com', term: 'include:_spf.example.com' },
    });
    expect(r.lookups).toEqual({ count: 2, limit: 10, void: 0, voidLimit: 2 });
    expect(r.record).toBe(base['example.com']!.TXT![0]);
    expect(r.trace.map((s) => `${s.depth} ${s.term} ${s.outcome}`)).toEqual(['2 ip4:192.0.2.0/24 match', '1 include:_net.example.com match', '0 include:_spf.example.com match']);
  });

  it('turns a matching -include into fail, with the exp= explanation expanded', async () => {
    const r = await checkHost('198.51.100.9', 'example.com', 'bob@example.com', { resolve: zoneResolver(base) });
    expect(r.result).toBe('fail');
    expect(r.decidedBy.directive).toEqual({ domain: 'example.com', term: '-include:bad.example.com' });
    expect(r.explanation).toBe("198.51.100.9 is not one of example.com's senders (bob@example.com)");
    expect(r.comment).toMatch(/-include:bad\.example\.com/);
  });

  it('gives the exp= explanation for a plain -all, and none for softfail', async () => {
    const fail = await checkHost('203.0.113.1', 'example.com', '', { resolve: zoneResolver(base), helo: 'h.example.org' });
    expect(fail.result).toBe('fail');
    expect(fail.decidedBy.term).toBe('-all');
    expect(fail.sender).toBe('postmaster@example.com');
    expect(fail.explanation).toMatch(/^203\.0\.113\.1 is not one/);
    const soft = await checkHost('203.0.113.1', '_spf.example.com', 'x@example.com', { resolve: zoneResolver(base) });
    expect(soft.result).toBe('softfail');
    expect(soft.explanation).toBeUndefined();
  });

  it('does not count MX host address lookups toward the 10, but refuses more than 10 MX hosts', async () => {
    const mx = (n: number, domain: string): MxRecord[] => Array.from({ length: n }, (_, i) => ({ exchange: `mx${i}.${domain}`, priority: i }));
    const zone: FakeZone = {
      'many.example': { TXT: [`v=spf1 ${'mx '.repeat(10)}-all`], MX: mx(10, 'many.example') },
      'toomany.example': { TXT: ['v=spf1 mx -all'], MX: mx(11, 'toomany.example') },
    };
    for (let i = 0; i < 11; i++) zone[`mx${i}.many.example`] = { A: [`10.0.0.${i}`] };
    const resolve = zoneResolver(zone);
    const ok = await checkHost('10.0.0.200', 'many.example', 'a@many.example', { resolve });
    expect(ok.result).toBe('fail');
    expect(ok.lookups.count).toBe(10);
    expect(resolve.calls.filter((c) => c.startsWith('A ')).length).toBe(100);
    const bad = await checkHost('10.0.0.1', 'toomany.example', 'a@toomany.example', { resolve });
    expect(bad.result).toBe('permerror');
    expect(bad.comment).toMatch(/11 MX hosts/);
  });

  it('skips a null MX (RFC 7505) and sorts MX hosts by preference', async () => {
    const zone: FakeZone = {
      'null.example': { TXT: ['v=spf1 mx -all'], MX: [{ exchange: '', priority: 0 }] },
      'two.example': { TXT: ['v=spf1 mx -all'], MX: [{ exchange: 'b.two.example', priority: 20 }, { exchange: 'a.two.example', priority: 10 }] },
      'a.two.example': { A: ['10.1.1.1'] },
      'b.two.example': { A: ['10.1.1.2'] },
    };
    const resolve = zoneResolver(zone);
    expect((await checkHost('10.0.0.1', 'null.example', 'a@null.example', { resolve })).result).toBe('fail');
    expect(resolve.calls).toEqual(['TXT null.example', 'MX null.example']);
    expect((await checkHost('10.1.1.2', 'two.example', 'a@two.example', { resolve })).result).toBe('pass');
    expect(resolve.calls.slice(-2)).toEqual(['A a.two.example', 'A b.two.example']);
  });

  it('checks at most 10 PTR names and skips names whose lookup fails (§4.6.4, §5.5)', async () => {
    const names = Array.from({ length: 11 }, (_, i) => `h${i}.ptr.example`);
    const zone: FakeZone = {
      'ptr.example': { TXT: ['v=spf1 ptr -all'] },
      '9.2.0.192.in-addr.arpa': { PTR: names },
      'h0.ptr.example': { error: 'ESERVFAIL' },
      'h10.ptr.example': { A: ['192.0.2.9'] },
      'h5.ptr.example': { A: ['192.0.2.99'] },
    };
    const resolve = zoneResolver(zone);
    const r = await checkHost('192.0.2.9', 'ptr.example', 'a@ptr.example', { resolve });
    expect(r.result).toBe('fail');
    expect(resolve.calls).not.toContain('A h10.ptr.example');
    zone['h5.ptr.example'] = { A: ['192.0.2.9'] };
    expect((await checkHost('192.0.2.9', 'ptr.example', 'a@ptr.example', { resolve })).result).toBe('pass');
  });

  it('counts void lookups per term and stops at the third (§4.6.4)', async () => {
    const zone: FakeZone = { 'void.example': { TXT: ['v=spf1 exists:%{i}.a.void.example a:gone.void.example mx:gone2.void.example a:gone3.void.example -all'] } };
    const resolve = zoneResolver(zone);
    const r = await checkHost('192.0.2.1', 'void.example', 'a@void.example', { resolve });
    expect(r.result).toBe('permerror');
    expect(r.lookups.void).toBe(3);
    expect(r.decidedBy).toMatchObject({ kind: 'error', term: 'mx:gone2.void.example' });
    expect(resolve.calls).toHaveLength(4);
  });

  it('ends in temperror when the time limit runs out, whatever the resolver does', async () => {
    const never: Resolve = () => new Promise(() => {});
    const t0 = Date.now();
    const r = await checkHost('192.0.2.1', 'slow.example', 'a@slow.example', { resolve: never, timeLimitMs: 100 });
    expect(r.result).toBe('temperror');
    expect(r.comment).toMatch(/time limit/);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('treats a resolver that breaks its contract as temperror, not a crash', async () => {
    const broken = (async () => { throw new TypeError('boom'); }) as unknown as Resolve;
    expect((await checkHost('192.0.2.1', 'x.example', 'a@x.example', { resolve: broken })).result).toBe('temperror');
  });

  it('throws UsageError for an IP that is not one', async () => {
    await expect(checkHost('192.0.2', 'example.com', 'a@example.com', { resolve: zoneResolver(base) })).rejects.toBeInstanceOf(UsageError);
  });

  it('puts "postmaster" in for an empty local-part and uses the client IP forms in macros', async () => {
    const zone: FakeZone = { 'm.example': { TXT: ['v=spf1 exists:%{l}.%{o}.%{ir}.%{v}.m.example -all'] }, 'postmaster.m.example.1.2.0.192.in-addr.m.example': { A: ['127.0.0.2'] } };
    expect((await checkHost('::ffff:192.0.2.1', 'm.example', '@m.example', { resolve: zoneResolver(zone) })).result).toBe('pass');
  });
});

describe('spfIdentity (§2.3, §2.4)', () => {
  it('uses MAIL FROM, then postmaster@HELO for a null sender, then the HELO identity', () => {
    expect(spfIdentity('bob@example.com', 'mx.example.org')).toEqual({ scope: 'mfrom', domain: 'example.com', sender: 'bob@example.com' });
    expect(spfIdentity('<bob@example.com>', undefined)).toEqual({ scope: 'mfrom', domain: 'example.com', sender: 'bob@example.com' });
    expect(spfIdentity('', 'mx.example.org')).toEqual({ scope: 'mfrom', domain: 'mx.example.org', sender: 'postmaster@mx.example.org' });
    expect(spfIdentity('<>', 'mx.example.org')).toEqual({ scope: 'mfrom', domain: 'mx.example.org', sender: 'postmaster@mx.example.org' });
    expect(spfIdentity(undefined, 'mx.example.org')).toEqual({ scope: 'helo', domain: 'mx.example.org', sender: 'postmaster@mx.example.org' });
    expect(spfIdentity('', undefined)).toBeNull();
  });
});

describe('spfReport', () => {
  it('without an IP: the tree, each term\'s cost, the totals, no result word (null) and recordStatus valid', async () => {
    const s = await spfReport('example.com', { resolve: zoneResolver(base) });
    expect(s).toMatchObject({ check: 'spf', result: null, status: 'pass', subject: 'example.com' });
    expect(s.details.records).toEqual([base['example.com']!.TXT![0]]);
    expect(s.details.lookups).toEqual({ count: 3, limit: 10, void: 0, voidLimit: 2 });
    const t = s.details.tree!;
    expect(t.terms.map((x) => [x.term, x.cost, x.totalCost])).toEqual([
      ['include:_spf.example.com', 1, 2], ['-include:bad.example.com', 1, 1], ['-all', 0, 0], ['exp=why.example.com', 0, 0],
    ]);
    expect(t.terms[0]!.child!.terms[0]!.child!.record).toBe('v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all');
    expect(s.summary).toMatch(/valid: 3 of 10 DNS lookups, 0 of 2 void/);
    expect(s.queries.map((q) => `${q.type} ${q.name}`)).toContain('TXT _net.example.com');
  });

  it('with an IP: the evaluation, deciding term and explanation; status from the result', async () => {
    const pass = await spfReport('example.com', { resolve: zoneResolver(base), ip: '192.0.2.7', sender: 'alice@example.com' });
    expect(pass).toMatchObject({ result: 'pass', status: 'pass' });
    expect(pass.details.evaluation?.decidedBy.term).toBe('ip4:192.0.2.0/24');
    const fail = await spfReport('example.com', { resolve: zoneResolver(base), ip: '203.0.113.1' });
    expect(fail).toMatchObject({ result: 'fail', status: 'fail' });
    expect(fail.details.evaluation?.explanation).toMatch(/not one of example\.com's senders \(postmaster@example\.com\)/);
    expect(fail.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['spf.result.fail', 'spf.explanation']));
    const nul = await spfReport('example.com', { resolve: zoneResolver(base), ip: '203.0.113.1', sender: '', helo: 'mx.example.com' });
    expect(nul.details.evaluation?.sender).toBe('postmaster@mx.example.com');
    expect(nul.details.heloEvaluation?.result).toBe('none');
  });

  it('finds loops, missing includes, too many lookups and void lookups without an IP', async () => {
    const zone: FakeZone = {
      'loop.example': { TXT: ['v=spf1 include:b.loop.example -all'] },
      'b.loop.example': { TXT: ['v=spf1 redirect=loop.example'] },
      'big.example': { TXT: [`v=spf1 ${Array.from({ length: 12 }, (_, i) => `a:h${i}.big.example`).join(' ')} include:gone.example -all`] },
    };
    const loop = await spfReport('loop.example', { resolve: zoneResolver(zone) });
    expect(loop).toMatchObject({ result: 'permerror', status: 'fail' });
    expect(loop.findings.map((f) => f.code)).toContain('spf.loop');
    const big = await spfReport('big.example', { resolve: zoneResolver(zone) });
    expect(big.result).toBe('permerror');
    expect(big.details.lookups).toMatchObject({ count: 13, void: 13 });
    expect(big.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['spf.too-many-lookups', 'spf.void-lookups', 'spf.include-none']));
  });

  it('reports no record as none (a problem), and a malformed domain without any query', async () => {
    const resolve = zoneResolver({ 'nospf.example': { TXT: ['hello'] } });
    const none = await spfReport('nospf.example', { resolve });
    expect(none).toMatchObject({ result: 'none', status: 'fail' });
    expect(none.findings[0]?.code).toBe('spf.no-record');
    const calls = resolve.calls.length;
    const bad = await spfReport('localhost', { resolve });
    expect(bad).toMatchObject({ result: 'none', status: 'fail' });
    expect(resolve.calls.length).toBe(calls);
  });

  it('reports DNS trouble as temperror with status error', async () => {
    const s = await spfReport('down.example', { resolve: zoneResolver({ 'down.example': { error: 'ESERVFAIL' } }) });
    expect(s).toMatchObject({ result: 'temperror', status: 'error' });
  });

  it('warns (not fails) for a valid record with risks', async () => {
    const s = await spfReport('open.example', { resolve: zoneResolver({ 'open.example': { TXT: ['v=spf1 ptr +all'] } }) });
    expect(s).toMatchObject({ result: null, status: 'warn', details: { recordStatus: 'valid' } });
    expect(s.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['spf.all-pass', 'spf.ptr-deprecated']));
  });
});

describe('check_host() properties', () => {
  it('any record text yields one of the seven RFC words, never an exception', async () => {
    const words = ['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror'];
    const term = fc.oneof(
      fc.constantFrom('a', 'mx', 'ptr', '-all', '~all', '?all', '+all', 'include:inc.p.example', 'redirect=r.p.example', 'exists:%{i}.p.example',
        'exp=e.p.example', 'a:%{l}.p.example', 'include:p.example', 'ip4:192.0.2.0/24', 'ip6:2001:db8::/32', 'mx:%{d2}', 'a//0'),
      fc.string({ maxLength: 12 }),
    );
    await fc.assert(fc.asyncProperty(fc.array(term, { maxLength: 12 }), fc.constantFrom('192.0.2.1', '2001:db8::1', '198.51.100.1'), async (terms, ip) => {
      const zone: FakeZone = {
        'p.example': { TXT: [['v=spf1', ...terms].join(' ')], A: ['192.0.2.1'], MX: [{ exchange: 'p.example', priority: 1 }] },
        'inc.p.example': { TXT: ['v=spf1 ip4:198.51.100.0/24 -all'] },
        'r.p.example': { TXT: ['v=spf1 include:p.example'] },
        'e.p.example': { TXT: ['%{i} %{c} %{p}'] },
        '1.2.0.192.in-addr.arpa': { PTR: ['p.example'] },
      };
      const r = await checkHost(ip, 'p.example', 'user@p.example', { resolve: zoneResolver(zone) });
      expect(words).toContain(r.result);
      expect(r.lookups.count).toBeLessThanOrEqual(11);
    }), { numRuns: 300 });
  });
});
