// The names a receiving server goes by, compared (issue 16 item 5): the name in its 220
// banner (RFC 5321 §4.3.1), in its EHLO reply (§4.1.1.1), the PTR of its IP and whether that
// PTR resolves back to the IP (forward-confirmed, via checks/rdns.ts). Mismatches are findings:
// some receivers and blocklist heuristics score a host whose names disagree (when it also
// sends mail), and checkers such as MXToolbox flag them. Pure over the injected Resolve.
import net from 'node:net';
import { checkRdns } from '../checks/rdns.js';
import { isDnsError, type DnsErrorCode, type Resolve } from '../dns/resolver.js';
import { expandIpv6 } from '../dns/ip-names.js';
import type { Finding } from '../checks/types.js';
import type { SessionResult } from '../smtp/session.js';
import { say } from '../catalog/messages.js';

export interface ServerNames {
  host: string;
  address: string;
  port: number;
  /** The first word of the banner's first line, as sent (absent when there was no 220 banner). */
  banner?: string;
  /** The first word of the EHLO (or HELO) reply's first line. */
  ehlo?: string;
  /** The PTR names of the address. */
  ptr: string[];
  /** PTR names that resolve back to the address (forward-confirmed reverse DNS). */
  confirmedPtr: string[];
  /** The banner name resolves to the address (null: not looked up, or the lookup failed). */
  bannerResolves: boolean | null;
  ehloResolves: boolean | null;
  dnsError?: DnsErrorCode;
  /** ok · info (names differ, harmless) · warn (receivers may score it) · error (not decided). */
  status: 'ok' | 'info' | 'warn' | 'error';
  findings: Finding[];
}

/** Every sentence of the comparison: keys of data/messages.json (English here, the report localises). */
export const NAMES_TEXT = {
  noPtr: (at: string, ip: string) => say('names.no-ptr', { at, ip }),
  noPtrFix: (ip: string, name: string) => say('names.no-ptr.fix', { ip, name }),
  notConfirmed: (at: string, ptr: string, ip: string) => say('names.ptr-not-confirmed', { at, ptr, ip }),
  notConfirmedFix: (ptr: string, ip: string) => say('names.ptr-not-confirmed.fix', { ptr, ip }),
  noBannerName: (at: string, word: string) => say('names.banner-not-fqdn', { at, word }),
  noBannerNameFix: () => say('names.banner-not-fqdn.fix'),
  bannerNotPtr: (at: string, name: string, ptr: string) => say('names.banner-not-ptr', { at, name, ptr }),
  bannerMismatch: (at: string, name: string, ptr: string) => say('names.banner-mismatch', { at, name, ptr }),
  bannerFix: (ptr: string) => say('names.banner.fix', { ptr }),
  ehloNotPtr: (at: string, name: string, ptr: string) => say('names.ehlo-not-ptr', { at, name, ptr }),
  ehloMismatch: (at: string, name: string, ptr: string) => say('names.ehlo-mismatch', { at, name, ptr }),
  bannerEhloDiffer: (at: string, banner: string, ehlo: string) => say('names.banner-ehlo-differ', { at, banner, ehlo }),
  bannerEhloFix: () => say('names.banner-ehlo-differ.fix'),
  dnsError: (at: string, ip: string, code: string) => say('names.dns-error', { at, ip, code }),
  ok: (at: string, name: string) => say('names.ok', { at, name }),
} as const;

const norm = (s: string): string => s.toLowerCase().replace(/\.$/, '');
const isFqdn = (s: string): boolean => /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i.test(s.replace(/\.$/, '')) && net.isIP(s) === 0;

/** The first word of the first line of the session's reply at `stage` (banner, ehlo or helo). */
function firstWord(s: SessionResult, stages: readonly string[]): string | undefined {
  const step = s.steps.find((x) => stages.includes(x.stage) && x.reply && x.reply.code >= 200 && x.reply.code < 300);
  const line = step?.reply?.lines[0];
  if (line === undefined) return undefined;
  return line.trim().split(/\s+/)[0] ?? '';
}

async function resolvesTo(resolve: Resolve, name: string, ip: string): Promise<boolean | null> {
  try {
    const addrs = await resolve(name, net.isIPv6(ip) ? 'AAAA' : 'A');
    return addrs.some((a) => a === ip || (net.isIPv6(a) && net.isIPv6(ip) && expandIpv6(a) === expandIpv6(ip)));
  } catch (e) {
    return isDnsError(e) && (e.dnsCode === 'ENOTFOUND' || e.dnsCode === 'ENODATA') ? false : null;
  }
}

/** Compare one session's banner and EHLO names with the PTR of its address. */
export async function compareServerNames(s: SessionResult, resolve: Resolve): Promise<ServerNames | undefined> {
  const banner = firstWord(s, ['banner']);
  if (banner === undefined) return undefined; // no 220 banner: nothing to compare
  const ehlo = firstWord(s, ['ehlo', 'helo']);
  const at = `${s.host} [${s.address}]:${s.port}`;
  const bannerName = banner && isFqdn(banner) ? norm(banner) : undefined;
  const ehloName = ehlo && isFqdn(ehlo) ? norm(ehlo) : undefined;
  const [rdns, bannerResolves, ehloResolves] = await Promise.all([
    checkRdns(s.address, { resolve }),
    bannerName ? resolvesTo(resolve, bannerName, s.address) : Promise.resolve(null),
    ehloName && ehloName !== bannerName ? resolvesTo(resolve, ehloName, s.address) : Promise.resolve(null),
  ]);
  const d = rdns.details;
  const out: ServerNames = {
    host: s.host, address: s.address, port: s.port, ...(banner ? { banner } : {}), ...(ehlo !== undefined ? { ehlo } : {}),
    ptr: d.ptr, confirmedPtr: d.confirmedNames, bannerResolves, ehloResolves: ehloName === bannerName ? bannerResolves : ehloResolves,
    status: 'ok', findings: [],
  };
  const f = out.findings;
  if (!bannerName) f.push({ level: 'info', code: 'names.banner-not-fqdn', message: NAMES_TEXT.noBannerName(at, banner), fix: NAMES_TEXT.noBannerNameFix() });
  if (bannerName && ehloName && bannerName !== ehloName) f.push({ level: 'info', code: 'names.banner-ehlo-differ', message: NAMES_TEXT.bannerEhloDiffer(at, bannerName, ehloName), fix: NAMES_TEXT.bannerEhloFix() });
  if (d.dnsError) {
    out.dnsError = d.dnsError;
    f.push({ level: 'error', code: 'names.dns-error', message: NAMES_TEXT.dnsError(at, s.address, d.dnsError) });
  } else if (d.ptr.length === 0) {
    f.push({ level: 'warn', code: 'names.no-ptr', message: NAMES_TEXT.noPtr(at, s.address), fix: NAMES_TEXT.noPtrFix(s.address, bannerName ?? norm(s.host)) });
  } else {
    const ptrs = d.ptr.join(', ');
    if (d.confirmedNames.length === 0) f.push({ level: 'warn', code: 'names.ptr-not-confirmed', message: NAMES_TEXT.notConfirmed(at, d.ptr[0] as string, s.address), fix: NAMES_TEXT.notConfirmedFix(d.ptr[0] as string, s.address) });
    const best = d.confirmedNames[0] ?? (d.ptr[0] as string);
    if (bannerName && !d.ptr.includes(bannerName)) {
      f.push(bannerResolves
        ? { level: 'info', code: 'names.banner-not-ptr', message: NAMES_TEXT.bannerNotPtr(at, bannerName, ptrs), fix: NAMES_TEXT.bannerFix(best) }
        : { level: 'warn', code: 'names.banner-mismatch', message: NAMES_TEXT.bannerMismatch(at, bannerName, ptrs), fix: NAMES_TEXT.bannerFix(best) });
    }
    // An EHLO name equal to the banner name is judged once, above.
    if (ehloName && ehloName !== bannerName && !d.ptr.includes(ehloName)) {
      f.push(out.ehloResolves
        ? { level: 'info', code: 'names.ehlo-not-ptr', message: NAMES_TEXT.ehloNotPtr(at, ehloName, ptrs), fix: NAMES_TEXT.bannerFix(best) }
        : { level: 'warn', code: 'names.ehlo-mismatch', message: NAMES_TEXT.ehloMismatch(at, ehloName, ptrs), fix: NAMES_TEXT.bannerFix(best) });
    }
  }
  out.status = f.some((x) => x.level === 'error') ? 'error' : f.some((x) => x.level === 'warn') ? 'warn' : f.some((x) => x.level === 'info') ? 'info' : 'ok';
  if (out.status === 'ok') f.push({ level: 'ok', code: 'names.ok', message: NAMES_TEXT.ok(at, bannerName as string) });
  return out;
}

/** Every session that got a banner, compared; sessions are independent, so all at once. */
export async function compareAllServerNames(sessions: readonly SessionResult[], resolve: Resolve): Promise<ServerNames[]> {
  const all = await Promise.all(sessions.map((s) => compareServerNames(s, resolve)));
  return all.filter((x): x is ServerNames => x !== undefined);
}
