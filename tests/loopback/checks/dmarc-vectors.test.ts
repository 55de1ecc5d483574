// mailauth's DMARC vectors (fixtures/dmarc/, MIT) replayed against the loopback zone server
// through our resolver. rfc9989-* cases run in RFC 9989 mode (tree walk), mailauth-verify-*
// cases in RFC 7489 mode (PSL), as each suite was written. mailauth's result fields are
// mapped onto ours by mailauthView(); expectations about inputs we do not have (ARC results,
// DKIM l= "underSized" signatures, several From addresses) are listed in NOT_APPLICABLE.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { startZoneServer, type Zone, type ZoneEntry, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { verifyDmarc, type DmarcMode, type DmarcDiscovery, type DmarcEvaluation, type AlignmentCheck } from '../../../src/checks/dmarc.js';
import { ROOT } from '../../helpers/cli.js';

interface Expectation { subject: string; assertion: string; expected: unknown }
interface Call {
  result_var: string | null;
  input: { headerFrom: string | string[]; dkimDomains?: (string | { domain: string })[]; spfDomains?: (string | { domain: string })[] };
  dns_zone?: Record<string, Record<string, unknown>>;
  dns_observed_by_probing_stub?: Record<string, Record<string, unknown>>;
  resolver?: { __src: string };
}
interface Vector { id: string; title: string; implemented_in_mailauth: boolean; calls: Call[]; expectations: Expectation[] }

const vectors = JSON.parse(readFileSync(join(ROOT, 'fixtures/dmarc/mailauth-dmarc-vectors.json'), 'utf8')) as Vector[];

/** Expectations about mailauth inputs or outputs that have no counterpart here, with why. */
const NOT_APPLICABLE: Record<string, string> = {
  'mailauth-verify-25': 'several From addresses: our API takes one From domain (RFC 7489 §6.6.1 leaves multi-From messages to the receiver)',
  'mailauth-verify-28/result.status.comment': 'ARC results are not an input here (there is no message to verify)',
  'mailauth-verify-29/result.alignment.dkim.underSized': 'DKIM l= "underSized" signatures need a message body; not an input here',
  'mailauth-verify-34/relaxed.alignment.dkim.underSized': 'DKIM l= "underSized" signatures need a message body; not an input here',
  'mailauth-verify-34/strict.alignment.dkim.underSized': 'DKIM l= "underSized" signatures need a message body; not an input here',
};

/** Expectations checked in adapted form, with why. */
const ADAPTED: Record<string, { why: string; check: (actual: unknown) => boolean }> = {
  // The vector's stub threw Error('DNS timeout'); our resolver words its own timeout.
  'mailauth-verify-05/result.error': { why: 'our timeout message differs from the stub\'s "DNS timeout"', check: (a) => typeof a === 'string' && /deadline|time/i.test(a) },
};

/** Zones for calls whose resolver was JS source (zoneResolver({...}) or a loop variable). */
function zoneFromSource(v: Vector, c: Call, resultVar: string): Zone {
  if (v.id === 'mailauth-verify-34') {
    // The test loops over two records: `relaxed` (p=reject) and `strict` (adkim=s); the
    // transcription kept only `[[record]]`, so the two are rebuilt from the test's title.
    return { '_dmarc.example.com': { TXT: [resultVar === 'strict' ? 'v=DMARC1; p=reject; adkim=s' : 'v=DMARC1; p=reject'] } };
  }
  const zone: Zone = {};
  for (const m of c.resolver!.__src.matchAll(/'([^']+)':\s*\{\s*TXT:\s*\[\['([^']*)'\]\]/g)) zone[m[1]!] = { TXT: [m[2]!] };
  return zone;
}

function toZone(data: Record<string, Record<string, unknown>>): Zone {
  const zone: Zone = {};
  for (const [name, rr] of Object.entries(data)) {
    if (name.includes(',')) continue; // an artefact of probing a stub with odd names
    const e: ZoneEntry = {};
    if (rr.TXT) e.TXT = rr.TXT as string[][];
    if (rr.A) e.A = rr.A as string[];
    if (rr.MX) e.MX = rr.MX as { exchange: string; priority: number }[];
    if (rr.TXT_error === 'ENOTFOUND') continue; // absent name = NXDOMAIN
    if (rr.TXT_error === 'ETIMEOUT') e.fault = 'drop';
    zone[name] = e;
  }
  return zone;
}

const ids = (xs: (string | { domain: string })[] | undefined) => (xs ?? []).map((x) => ({ domain: typeof x === 'string' ? x : x.domain }));

function alignedValue(a: AlignmentCheck): string | undefined {
  if (!a.aligned) return undefined;
  return a.strict ? a.domain : a.orgDomain;
}

/** Our result in mailauth's field names. Keys are left out when we have no value (chai's not.have.property). */
function mailauthView(d: DmarcDiscovery, e: DmarcEvaluation): Record<string, unknown> {
  const v: Record<string, unknown> = {
    status: { result: e.result, comment: e.authResults, header: { from: e.fromDomain, d: e.policyDomain } },
    domain: d.orgDomain,
    alignment: {
      spf: { result: alignedValue(e.alignment.spf), strict: e.alignment.spf.strict },
      dkim: { result: alignedValue(e.alignment.dkim), strict: e.alignment.dkim.strict },
    },
    info: e.authResults,
  };
  if (e.policy !== undefined) v.policy = e.policy;
  if (e.pct !== undefined) v.pct = e.pct;
  if (d.record?.p !== undefined) v.p = d.record.p;
  if (d.record?.sp !== undefined) v.sp = d.record.sp;
  if (d.record) v.rr = d.record.raw;
  if (d.error !== undefined) v.error = d.error;
  return v;
}

function at(obj: unknown, path: string[]): unknown {
  let o = obj;
  for (const k of path) o = o === null || o === undefined ? undefined : (o as Record<string, unknown>)[k];
  return o;
}

function assertOne(actual: unknown, parent: unknown, last: string | undefined, x: Expectation): void {
  switch (x.assertion) {
    case 'to.equal': expect(actual).toBe(x.expected); break;
    case 'to.deep.equal': expect(actual).toEqual(x.expected); break;
    case 'to.be.true': expect(actual).toBe(true); break;
    case 'to.be.false': expect(actual).toBe(false); break;
    case 'to.not.be.ok': expect(actual).toBeFalsy(); break;
    case 'to.be.undefined': expect(actual).toBeUndefined(); break;
    case 'to.contain': case 'to.include': expect(String(actual)).toContain(String(x.expected)); break;
    case 'to.be.a': expect(typeof actual).toBe(x.expected); break;
    case 'to.not.have.property': expect(Object.keys(actual as object)).not.toContain(x.expected); break;
    default: throw new Error(`unmapped assertion ${x.assertion} (${String(parent)} ${String(last)})`);
  }
}

let server: ZoneServer;
beforeAll(async () => { server = await startZoneServer({}); });
afterAll(async () => { await server.close(); });

async function runCall(v: Vector, c: Call, resultVar: string, mode: DmarcMode) {
  const zone = c.dns_zone ? toZone(c.dns_zone) : c.dns_observed_by_probing_stub ? toZone(c.dns_observed_by_probing_stub) : zoneFromSource(v, c, resultVar);
  server.setZone(zone);
  const timeoutMs = Object.values(zone).some((e) => e.fault === 'drop') ? 300 : 2_000;
  const resolve = createDns2Resolver({ servers: [{ address: server.address, port: server.port }], timeoutMs });
  const from = Array.isArray(c.input.headerFrom) ? c.input.headerFrom[0]! : c.input.headerFrom;
  const before = server.queries.length;
  const { discovery, evaluation } = await verifyDmarc({ from, spf: ids(c.input.spfDomains), dkim: ids(c.input.dkimDomains) }, { resolve, mode });
  const dmarcQueriesSeen = server.queries.slice(before).filter((q) => q.name.startsWith('_dmarc.')).map((q) => q.name);
  return { view: mailauthView(discovery, evaluation), discovery, dmarcQueriesSeen };
}

/** One expectation that did not hold: its subject and what we computed instead. */
interface Miss { subject: string; got: unknown; text: string }

/** Runs one vector in `mode`; returns the expectations that did not hold (empty = pass). */
async function failures(v: Vector, mode: DmarcMode): Promise<string[]> {
  return (await misses(v, mode)).map((m) => m.text);
}

async function misses(v: Vector, mode: DmarcMode): Promise<Miss[]> {
  const results: Record<string, unknown> = {};
  const failed: Miss[] = [];
  for (const c of v.calls) {
    // A call without a result variable stands for a loop in the original test (34), or
    // for a test that inspects the resolver's calls (rfc9989-12).
    const vars = c.result_var ? [c.result_var] : v.id === 'mailauth-verify-34' ? ['relaxed', 'strict'] : ['result'];
    for (const name of vars) {
      const r = await runCall(v, c, name, mode);
      results[name] = r.view;
      results.dmarcQueries = r.discovery.lookups.map((l) => l.name);
      // The walk asks every name at once; the server must have seen exactly those names.
      const seen = [...r.dmarcQueriesSeen].sort();
      if (v.id === 'rfc9989-12' && JSON.stringify(seen) !== JSON.stringify([...(results.dmarcQueries as string[])].sort())) failed.push({ subject: 'server', got: seen, text: `server saw ${seen.join(' ')}` });
    }
  }
  for (const x of v.expectations) {
    const path = x.subject.split('.');
    const key = `${v.id}/${x.subject}`;
    if (NOT_APPLICABLE[key]) continue;
    const actual = at(results, path);
    const adapted = ADAPTED[key];
    try {
      if (adapted) expect(adapted.check(actual), `${key} (${adapted.why}): got ${JSON.stringify(actual)}`).toBe(true);
      else assertOne(actual, path.slice(0, -1).join('.'), path.at(-1), x);
    } catch (e) {
      failed.push({ subject: x.subject, got: actual, text: `${x.subject} ${x.assertion} ${JSON.stringify(x.expected)}: got ${JSON.stringify(actual)} (${(e as Error).message.split('\n')[0]})` });
    }
  }
  return failed;
}

const applicable = (v: Vector): Expectation[] => v.expectations.filter((x) => !NOT_APPLICABLE[`${v.id}/${x.subject}`]);
const suiteMode = (id: string): DmarcMode => (id.startsWith('rfc9989') ? 'rfc9989' : 'rfc7489');
const otherMode = (m: DmarcMode): DmarcMode => (m === 'rfc9989' ? 'rfc7489' : 'rfc9989');

describe('mailauth DMARC vectors against the loopback zone server (each in its suite\'s mode)', () => {
  for (const v of vectors) {
    const mode = suiteMode(v.id);
    const na = NOT_APPLICABLE[v.id] ?? (applicable(v).length === 0 ? NOT_APPLICABLE[`${v.id}/${v.expectations[0]!.subject}`] : undefined);
    if (na) {
      it.skip(`${v.id} ${v.title} — not applicable: ${na}`, () => {});
      continue;
    }
    it(`${v.id} ${v.title} [${mode}]`, async () => {
      expect(await failures(v, mode)).toEqual([]);
    });
  }
});

/**
 * Where RFC 7489 and RFC 9989 disagree, the same vector gives a different answer in the
 * other mode. These, and only these, must differ, and each in exactly the expectations
 * listed, with exactly the value the other RFC's rule gives: proof that both modes are
 * implemented and that each difference comes from an RFC rule, not from an accident (a
 * crash or an unrelated regression would change other expectations, or other values).
 */
const MODES_DIFFER: Record<string, { why: string; got: Record<string, unknown> }> = {
  'rfc9989-11': { why: 'psd=n at an intermediate label makes it the org domain (tree walk); the PSL says example.com', got: { 'result.domain': 'example.com', 'result.policy': 'none' } },
  'rfc9989-12': { why: 'the tree walk asks up to 8 names; RFC 7489 asks the domain and its PSL org domain only', got: { dmarcQueries: ['_dmarc.a.b.c.d.e.f.g.h.i.j.k.example.com', '_dmarc.example.com'] } },
  'rfc9989-13': { why: 'np= for a non-existent subdomain is RFC 9989; RFC 7489 applies sp=', got: { 'result.policy': 'none' } },
  'rfc9989-16': { why: 'psd=y makes giant.bank.example an org domain; the PSL (default rule) says bank.example', got: { 'result.domain': 'bank.example', 'result.alignment.spf.result': 'bank.example', 'result.alignment.dkim.result': 'bank.example' } },
  'rfc9989-18': { why: 't=y (test mode lowers reject to quarantine) is RFC 9989; RFC 7489 ignores t=', got: { 'result.policy': 'reject' } },
  'rfc9989-19': { why: 't=y (test mode lowers quarantine to none) is RFC 9989; RFC 7489 ignores t=', got: { 'result.policy': 'quarantine' } },
  'rfc9989-20': { why: 'pct= is historic in RFC 9989 and not surfaced; RFC 7489 applies it', got: { result: expect.objectContaining({ pct: 50, policy: 'reject' }) } },
  'mailauth-verify-06': { why: 'pct=50 is an RFC 7489 tag; RFC 9989 does not surface it', got: { 'result.pct': undefined } },
  'mailauth-verify-08': { why: 'pct=100 is an RFC 7489 tag; RFC 9989 does not surface it', got: { 'result.pct': undefined } },
};

describe('the same vectors in the other mode differ exactly where the RFCs differ', () => {
  for (const v of vectors) {
    if (NOT_APPLICABLE[v.id] || applicable(v).length === 0) continue;
    const mode = otherMode(suiteMode(v.id));
    const differ = MODES_DIFFER[v.id];
    it(`${v.id} [${mode}] ${differ ? `differs: ${differ.why}` : 'same answer'}`, async () => {
      const m = await misses(v, mode);
      if (differ) {
        expect(m.map((x) => x.subject).sort()).toEqual(Object.keys(differ.got).sort());
        expect(Object.fromEntries(m.map((x) => [x.subject, x.got]))).toEqual(differ.got);
      }
      else expect(m.map((x) => x.text)).toEqual([]);
    });
  }
});
