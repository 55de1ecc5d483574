// Where mail for a domain goes: MX records by preference (ties shuffled), null MX
// (RFC 7505), the implicit MX on the domain's own A/AAAA when there is no MX (RFC 5321
// §5.1), each host's addresses (A and AAAA in parallel, -4/-6 respected), within limits
// that are reported (Postfix: 5 addresses per MX). Pure evaluation over a Resolve.
import net from 'node:net';
import { say } from '../catalog/messages.js';
import { localAddressKind } from './ip-names.js';
import { DNS_ERROR_TEXT, isDnsError, type DnsErrorCode, type Resolve } from './resolver.js';

export const MAX_MX_HOSTS = 10;
export const MAX_ADDRESSES_PER_HOST = 5;

export type Family = 4 | 6;

export interface DnsProblem { code: DnsErrorCode | 'EINTERNAL'; message: string }

export interface MailHost {
  name: string;
  /** MX preference; null for the implicit MX or a host/IP target. */
  preference: number | null;
  addresses: string[];
  /** Addresses found beyond MAX_ADDRESSES_PER_HOST (not probed). */
  omittedAddresses: number;
  /** Why no address was found for this host, when none was. */
  error?: DnsProblem;
  notes: string[];
}

export type MailHostsKind = 'mx' | 'implicit' | 'null-mx' | 'ip' | 'no-mail-host' | 'dns-error';

export interface MailHosts {
  domain: string;
  kind: MailHostsKind;
  hosts: MailHost[];
  /** MX hosts beyond MAX_MX_HOSTS (not probed). */
  omittedHosts: number;
  limits: { maxHosts: number; maxAddressesPerHost: number };
  error?: DnsProblem;
  notes: string[];
}

export interface MailHostOptions {
  resolve: Resolve;
  family?: Family;
  /** Random source for shuffling equal preferences (tests pass a fixed one). */
  random?: () => number;
  maxHosts?: number;
  maxAddressesPerHost?: number;
  /** The caller built a loopback world on purpose (the demo): no "tests this machine" note. */
  localExpected?: boolean;
}

function problem(e: unknown): DnsProblem {
  if (isDnsError(e)) return { code: e.dnsCode, message: e.message };
  return { code: 'EINTERNAL', message: e instanceof Error ? e.message : String(e) };
}

function shuffle<T>(xs: T[], random: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}

/** A and AAAA at once; an error only when neither family gave an address. */
export async function resolveAddresses(name: string, o: MailHostOptions): Promise<{ addresses: string[]; error?: DnsProblem }> {
  const families: Family[] = o.family ? [o.family] : [6, 4];
  const answers = await Promise.all(
    families.map((f) => o.resolve(name, f === 4 ? 'A' : 'AAAA').then((a) => ({ ok: true as const, a }), (e: unknown) => ({ ok: false as const, e }))),
  );
  const addresses: string[] = [];
  let firstError: DnsProblem | undefined;
  let allNoData = true;
  // IPv4 first: it is what most senders still use, and what reaches most MX hosts.
  for (const r of [...answers].reverse()) {
    if (r.ok) addresses.push(...r.a);
    else {
      const p = problem(r.e);
      if (p.code !== 'ENODATA') allNoData = false;
      firstError ??= p;
    }
  }
  if (addresses.length > 0) return { addresses };
  if (allNoData) return { addresses, error: { code: 'ENODATA', message: say(o.family === 4 ? 'mx.no-a' : o.family === 6 ? 'mx.no-aaaa' : 'mx.no-a-or-aaaa', { name }) } };
  return { addresses, error: firstError ?? { code: 'ENODATA', message: say('mx.no-address', { name }) } };
}

/**
 * Notes for addresses DNS gave that are not the domain's server at all (loopback, unspecified,
 * link-local): they are still dialled (tests probe loopback on purpose), with a warning.
 */
export function localAddressNotes(addresses: readonly string[]): string[] {
  const notes: string[] = [];
  for (const a of addresses) {
    const kind = localAddressKind(a);
    if (kind) notes.push(say('mx.local-address', { address: a, kindMsg: kind }));
  }
  return notes;
}

async function hostFor(name: string, preference: number | null, o: MailHostOptions, max: number): Promise<MailHost> {
  const notes: string[] = [];
  if (net.isIP(name)) {
    // RFC 5321 §5.1: an MX must name a host, not an address; senders differ on what they do.
    notes.push(say('mx.ip-in-mx', { name }), ...(o.localExpected ? [] : localAddressNotes([name])));
    return { name, preference, addresses: [name], omittedAddresses: 0, notes };
  }
  const r = await resolveAddresses(name, o);
  const host: MailHost = { name, preference, addresses: r.addresses.slice(0, max), omittedAddresses: Math.max(0, r.addresses.length - max), notes };
  if (!o.localExpected) notes.push(...localAddressNotes(host.addresses));
  if (r.error) host.error = r.error;
  return host;
}

export async function resolveMailHosts(domain: string, o: MailHostOptions): Promise<MailHosts> {
  const maxHosts = o.maxHosts ?? MAX_MX_HOSTS;
  const maxAddr = o.maxAddressesPerHost ?? MAX_ADDRESSES_PER_HOST;
  const base = { domain, hosts: [] as MailHost[], omittedHosts: 0, limits: { maxHosts, maxAddressesPerHost: maxAddr }, notes: [] as string[] };
  let mx;
  try {
    mx = await o.resolve(domain, 'MX');
  } catch (e) {
    const p = problem(e);
    if (p.code === 'ENODATA') {
      // No MX: the domain itself is the mail host (RFC 5321 §5.1 implicit MX).
      const host = await hostFor(domain, null, o, maxAddr);
      if (host.addresses.length === 0) {
        const code = host.error?.code ?? 'ENODATA';
        if (code === 'ENODATA') return { ...base, kind: 'no-mail-host', error: { code, message: say('mx.none-at-all', { domain }) } };
        return { ...base, kind: 'dns-error', error: host.error ?? { code, message: DNS_ERROR_TEXT.ENODATA } };
      }
      return { ...base, kind: 'implicit', hosts: [host], notes: [say('mx.implicit', { domain })] };
    }
    if (p.code === 'ENOTFOUND') return { ...base, kind: 'dns-error', error: { code: p.code, message: say('mx.nxdomain', { domain }) } };
    return { ...base, kind: 'dns-error', error: p };
  }
  // Null MX (RFC 7505): a single MX with preference 0 and the root as exchange.
  if (mx.some((m) => m.exchange === '' || m.exchange === '.')) {
    const notes = mx.length > 1 ? [say('mx.null-beside-others')] : [];
    return { ...base, kind: 'null-mx', notes };
  }
  const random = o.random ?? Math.random;
  const byPref = new Map<number, string[]>();
  for (const m of mx) byPref.set(m.priority, [...(byPref.get(m.priority) ?? []), m.exchange.toLowerCase()]);
  const ordered = [...byPref.keys()].sort((a, b) => a - b).flatMap((p) => shuffle([...new Set(byPref.get(p))], random).map((name) => ({ name, preference: p })));
  const probed = ordered.slice(0, maxHosts);
  const hosts = await Promise.all(probed.map((m) => hostFor(m.name, m.preference, o, maxAddr)));
  return { ...base, kind: 'mx', hosts, omittedHosts: ordered.length - probed.length };
}

/** A host name or IP given directly (probe mx1.example.com as is, or 192.0.2.1). */
export async function resolveHost(name: string, o: MailHostOptions): Promise<MailHosts> {
  const base = { domain: name, omittedHosts: 0, limits: { maxHosts: 1, maxAddressesPerHost: o.maxAddressesPerHost ?? MAX_ADDRESSES_PER_HOST }, notes: [] as string[] };
  if (net.isIP(name)) return { ...base, kind: 'ip', hosts: [{ name, preference: null, addresses: [name], omittedAddresses: 0, notes: [] }] };
  const host = await hostFor(name, null, o, base.limits.maxAddressesPerHost);
  if (host.addresses.length === 0) return { ...base, kind: 'dns-error', hosts: [host], error: host.error ?? { code: 'ENODATA', message: say('mx.no-address', { name }) } };
  return { ...base, kind: 'implicit', hosts: [host] };
}
