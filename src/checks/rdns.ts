// Reverse DNS of a sending IP: the PTR name(s) (in-addr.arpa, ip6.arpa nibbles), forward
// confirmation (FCrDNS: some PTR name resolves back to the IP), whether the HELO name fits,
// and PTR names that look generic (dynamic/residential pools). Big receivers refuse mail
// from IPs that fail this. Plain data out; never prints; DNS comes in as Resolve.
import { say } from '../catalog/messages.js';
import net from 'node:net';
import { isDnsError, withQueryLog, type DnsErrorCode, type DnsQueryLog, type Resolve } from '../dns/resolver.js';
import { UsageError } from '../errors.js';
import type { CheckStatus, CheckSummary, Finding } from './types.js';
import { expandIpv6, ptrName } from '../dns/ip-names.js';

export { expandIpv6 } from '../dns/ip-names.js';

/** RFC 1035 §3.5 (in-addr.arpa, octets reversed) and RFC 3596 §2.5 (ip6.arpa, nibbles reversed). */
export function reverseName(ip: string): string {
  const name = ptrName(ip);
  if (!name) throw new UsageError(`"${ip}" is not an IPv4 or IPv6 address`);
  return name;
}

function sameIp(a: string, b: string): boolean {
  if (net.isIPv4(a) && net.isIPv4(b)) return a === b;
  if (net.isIPv6(a) && net.isIPv6(b)) return expandIpv6(a) === expandIpv6(b);
  return false;
}

const GENERIC_WORDS = /(?:^|[.-])(dynamic|dyn|dhcp|dsl|adsl|vdsl|xdsl|pool|ppp|pppoe|dial|dialup|cable|broadband|client|clients|customer|cust|residential|unassigned|nat)(?=[.\d-]|$)/i;

/**
 * Why a PTR name looks generic (assigned by an ISP to a pool, not named for mail), or null.
 * Receivers' heuristics vary; these are the common signs: the IP's own digits in the name
 * (dashed, dotted, reversed, zero-padded or hex) and words like dynamic, dsl, pool.
 */
export function genericPtrReason(name: string, ip: string): string | null {
  const n = name.toLowerCase();
  if (net.isIPv4(ip)) {
    const o = ip.split('.');
    const rev = [...o].reverse();
    const hex = o.map((x) => Number(x).toString(16).padStart(2, '0')).join('');
    const padded = o.map((x) => x.padStart(3, '0')).join('');
    const forms = [o.join('-'), o.join('.'), rev.join('-'), rev.join('.'), o.join('_'), padded, hex];
    const hit = forms.find((f) => n.includes(f));
    if (hit) return say('rdns.generic.ip-in-name', { hit });
  } else if (net.isIPv6(ip)) {
    const x = expandIpv6(ip);
    if (n.replace(/[.:-]/g, '').includes(x.slice(16))) return say('rdns.generic.ipv6-in-name');
  }
  const w = GENERIC_WORDS.exec(n);
  if (w) return say('rdns.generic.word', { word: w[1] ?? '' });
  return null;
}

export interface ForwardCheck { name: string; addresses: string[]; confirmed: boolean; error?: DnsErrorCode }

export interface RdnsDetails {
  ip: string;
  reverseName: string;
  ptr: string[];
  forward: ForwardCheck[];
  /** Forward-confirmed reverse DNS: some PTR name resolves back to the IP. */
  fcrdns: boolean;
  confirmedNames: string[];
  generic: { name: string; reason: string }[];
  helo?: { name: string; matchesPtr: boolean; resolvesToIp: boolean | null; addresses: string[] };
  dnsError?: DnsErrorCode;
}

export interface RdnsOptions { resolve: Resolve; helo?: string }

/** At most this many PTR names are checked forward (a PTR RRset can be long on purpose). */
const MAX_PTR_NAMES = 10;

const norm = (s: string): string => s.toLowerCase().replace(/\.$/, '');

async function addresses(resolve: Resolve, name: string, type: 'A' | 'AAAA'): Promise<{ addresses: string[]; error?: DnsErrorCode }> {
  try {
    return { addresses: await resolve(name, type) };
  } catch (e) {
    const code = isDnsError(e) ? e.dnsCode : 'EBADRESP';
    return { addresses: [], ...(code === 'ENOTFOUND' || code === 'ENODATA' ? {} : { error: code }) };
  }
}

export async function checkRdns(ip: string, opts: RdnsOptions): Promise<CheckSummary<RdnsDetails>> {
  const addr = ip.trim().replace(/^\[|\]$/g, '');
  if (!net.isIP(addr)) throw new UsageError(`"${ip}" is not an IPv4 or IPv6 address`);
  const queries: DnsQueryLog[] = [];
  const resolve = withQueryLog(opts.resolve, queries);
  const rname = reverseName(addr);
  const family = net.isIPv4(addr) ? 'A' : 'AAAA';
  const helo = opts.helo !== undefined ? norm(opts.helo) : undefined;
  const heloIsName = helo !== undefined && !net.isIP(helo.replace(/^\[|\]$/g, '')) && helo.includes('.');
  const details: RdnsDetails = { ip: addr, reverseName: rname, ptr: [], forward: [], fcrdns: false, confirmedNames: [], generic: [] };
  const findings: Finding[] = [];

  // The HELO name's addresses do not depend on the PTR answer: ask both at once.
  const [ptrAnswer, heloAnswer] = await Promise.all([
    resolve(rname, 'PTR').then((names) => ({ names }), (e: unknown) => ({ error: e })),
    heloIsName ? addresses(resolve, helo!, family) : Promise.resolve(undefined),
  ]);

  const finish = (status: CheckStatus, result: string, summary: string): CheckSummary<RdnsDetails> =>
    ({ check: 'rdns', status, result, subject: addr, summary, findings, details, queries });

  if ('error' in ptrAnswer) {
    const e = ptrAnswer.error;
    if (isDnsError(e) && (e.dnsCode === 'ENOTFOUND' || e.dnsCode === 'ENODATA')) {
      const summary = say('rdns.none', { addr, rname });
      findings.push({
        level: 'error', code: 'rdns.no-ptr',
        message: say('rdns.none.why', { summaryMsg: summary }),
        fix: say('rdns.none.fix', { addr, domain: helo && heloIsName ? helo.split('.').slice(-2).join('.') : 'your-domain', family }),
      });
      addHelo();
      return finish('fail', 'fail', summary);
    }
    details.dnsError = isDnsError(e) ? e.dnsCode : 'EBADRESP';
    const summary = say('rdns.lookup-failed', { addr, errorMsg: (e as Error).message.replace(/\.$/, '') });
    findings.push({ level: 'warn', code: 'rdns.dns-error', message: summary });
    return finish('error', 'temperror', summary);
  }

  details.ptr = [...new Set(ptrAnswer.names.map(norm))];
  const names = details.ptr.slice(0, MAX_PTR_NAMES);
  details.forward = await Promise.all(names.map(async (name): Promise<ForwardCheck> => {
    const r = await addresses(resolve, name, family);
    return { name, addresses: r.addresses, confirmed: r.addresses.some((a) => sameIp(a, addr)), ...(r.error ? { error: r.error } : {}) };
  }));
  details.confirmedNames = details.forward.filter((f) => f.confirmed).map((f) => f.name);
  details.fcrdns = details.confirmedNames.length > 0;
  for (const name of details.ptr) {
    const reason = genericPtrReason(name, addr);
    if (reason) details.generic.push({ name, reason });
  }

  let status: CheckStatus = 'pass';
  let result = 'pass';
  let summary: string;
  if (details.fcrdns) {
    summary = say('rdns.fcrdns', { addr, name: details.confirmedNames[0] ?? '' });
    findings.push({ level: 'ok', code: 'rdns.fcrdns', message: summary });
  } else if (details.forward.length > 0 && details.forward.every((f) => f.error)) {
    status = 'error';
    result = 'temperror';
    summary = say('rdns.forward-failed', { addr, ptr: details.ptr.join(', ') });
    findings.push({ level: 'warn', code: 'rdns.dns-error', message: summary });
  } else {
    status = 'fail';
    result = 'fail';
    const f0 = details.forward[0];
    summary = say(details.ptr.length > 1 ? 'rdns.not-confirmed-many' : 'rdns.not-confirmed-one', { addr, ptr: details.ptr.join(', ') });
    findings.push({
      level: 'error', code: 'rdns.not-fcrdns',
      message: f0 && f0.addresses.length > 0 ? say('rdns.not-confirmed.why-forward', { summaryMsg: summary, name: f0.name, addresses: f0.addresses.join(', ') }) : say('rdns.not-confirmed.why', { summaryMsg: summary }),
      fix: say('rdns.not-confirmed.fix', { nameMsg: f0?.name ?? say('rdns.the-ptr-name'), family, addr }),
    });
  }
  if (details.ptr.length > 1) {
    findings.push({ level: 'info', code: 'rdns.multiple-ptr', message: say('rdns.multiple-ptr', { n: details.ptr.length }) });
  }
  for (const g of details.generic) {
    findings.push({ level: 'warn', code: 'rdns.generic', message: say('rdns.generic', { name: g.name, reasonMsg: g.reason }), fix: say('rdns.generic.fix') });
  }
  if (status === 'pass' && details.generic.length > 0) status = 'warn';
  addHelo();
  if (status === 'pass' && findings.some((f) => f.level === 'warn')) status = 'warn';
  return finish(status, result, summary);

  function addHelo(): void {
    if (helo === undefined) return;
    if (!heloIsName) {
      findings.push({ level: 'warn', code: 'rdns.helo-not-fqdn', message: say('rdns.helo-not-fqdn', { helo: opts.helo ?? '' }), fix: say('rdns.helo-not-fqdn.fix') });
      return;
    }
    const ha = heloAnswer ?? { addresses: [] };
    const matchesPtr = details.ptr.includes(helo);
    const resolvesToIp = ha.error ? null : ha.addresses.some((a) => sameIp(a, addr));
    details.helo = { name: helo, matchesPtr, resolvesToIp, addresses: ha.addresses };
    if (matchesPtr && details.confirmedNames.includes(helo)) {
      findings.push({ level: 'ok', code: 'rdns.helo-matches', message: say('rdns.helo-matches', { helo }) });
    } else if (resolvesToIp) {
      findings.push({ level: 'info', code: 'rdns.helo-differs', message: say('rdns.helo-differs', { helo, addr, ptr: details.ptr[0] ? ` (${details.ptr[0]})` : '' }) });
    } else if (resolvesToIp === null) {
      findings.push({ level: 'info', code: 'rdns.helo-unknown', message: say('rdns.helo-unknown', { helo }) });
    } else {
      findings.push({ level: 'warn', code: 'rdns.helo-mismatch', message: say(matchesPtr ? 'rdns.helo-mismatch-ptr' : 'rdns.helo-mismatch', { helo, howMsg: ha.addresses.length > 0 ? say('rdns.helo-resolves-elsewhere', { addresses: ha.addresses.join(', '), addr }) : say('rdns.helo-no-resolve') }), fix: say('rdns.helo-mismatch.fix', { addr, family }) });
    }
  }
}
