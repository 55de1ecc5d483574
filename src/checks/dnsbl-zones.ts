// The DNS blocklist catalog (data/dnsbl-zones.json) and the pure rules around it: which
// subject a zone can check, the query name (RFC 5782 §2: reversed octets, reversed IPv6
// nibbles, domain prefix), and what an A answer means — listing, error code, or junk.
// Holds no I/O: no DNS, no clock. Answers outside 127.0.0.0/8 and documented error codes
// are never turned into listings here, so no caller can report them as one.
import net from 'node:net';
import { domainToASCII } from 'node:url';
import { getDomain } from 'tldts';
import zonesJson from '../../data/dnsbl-zones.json' with { type: 'json' };
import { say } from '../catalog/messages.js';
import { UsageError } from '../errors.js';
import { expandIpv6, isPublicIp, reverseIpv4, reverseIpv6 } from '../dns/ip-names.js';

export type ZoneKind = 'ip' | 'domain';
export type ListType = 'block' | 'allow';
/** What a listing means for the sender: a problem, a vouch, or information only. */
export type Effect = 'block' | 'allow' | 'neutral';
export type AnswerErrorReason = 'public-resolver' | 'over-quota' | 'bad-query' | 'refused';

export interface ZoneCode { value?: string; from?: string; to?: string; label?: string; meaning: string; effect?: Effect }
export interface ZoneBit { bit: number; label: string; meaning: string; effect?: Effect }
export interface ZoneErrorCode { value?: string; from?: string; to?: string; reason: AnswerErrorReason; meaning: string; fix: string }

export interface Zone {
  id: string;
  /** The zone queried (for a keyed list given with --zone: the zone with the key). */
  zone: string;
  /** Key-based lists: the query zone with '{key}' in place of the key. */
  keyZone?: string;
  name: string;
  operator?: string;
  aliases?: string[];
  /** 'any' only for zones given with --zone that the catalog does not know. */
  kind: ZoneKind | 'any';
  type: ListType;
  ipv4: boolean;
  ipv6: boolean;
  access: 'public' | 'registration' | 'key';
  refusesPublicResolvers: boolean;
  queryRegisteredDomain?: boolean;
  decode: 'exact' | 'bitmask' | 'octets';
  codes?: ZoneCode[];
  bits?: ZoneBit[];
  octets?: { third?: Record<string, string>; fourth?: Record<string, string>; thirdLabel?: string; fourthLabel?: string };
  otherCodes?: string;
  errors?: ZoneErrorCode[];
  testPoint?: string;
  description: string;
  note?: string;
  lookupUrl?: string;
  removalUrl?: string;
  source: string;
  /** Set at run time: a key-based list whose key the user supplied (zone holds it). */
  keyed?: boolean;
  /** Set at run time: a zone the user added with --zone. */
  custom?: boolean;
}

export interface RetiredZone { zone: string; name: string; aliases?: string[]; description: string; source: string }

const DATA = zonesJson as unknown as { zones: Zone[]; retired: RetiredZone[] };

/** Every zone in the catalog, in catalog order (key-based ones included; they need --zone). */
export const ZONES: readonly Zone[] = DATA.zones;
export const RETIRED_ZONES: readonly RetiredZone[] = DATA.retired;

// ---------------------------------------------------------------- subjects

export type Subject =
  | { kind: 'ipv4'; input: string; value: string }
  | { kind: 'ipv6'; input: string; value: string }
  | { kind: 'domain'; input: string; value: string; registered: string };

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** An IP address (optionally in brackets) or a domain; UsageError for anything else. */
export function parseSubject(input: string): Subject {
  const s = input.trim();
  if (s === '') throw new UsageError('nothing to check: give an IP address or a domain');
  if (/[\r\n\0]/.test(s)) throw new UsageError('the IP address or domain contains a CR, LF or NUL character');
  const bare = s.replace(/^\[(.*)\]$/, '$1').replace(/^ipv6:/i, '');
  if (net.isIPv4(bare)) return { kind: 'ipv4', input: s, value: bare };
  if (net.isIPv6(bare)) return { kind: 'ipv6', input: s, value: bare.toLowerCase() };
  if (s.includes('@')) throw new UsageError(`"${s}" is an e-mail address; give its domain (the part after @) or an IP address`);
  const ascii = domainToASCII(s.replace(/\.$/, '')).toLowerCase();
  const labels = ascii.split('.');
  if (!ascii || ascii.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^[0-9]+$/.test(labels[labels.length - 1] ?? '')) {
    throw new UsageError(say('usage.blocklist.bad-target', { value: s }));
  }
  return { kind: 'domain', input: s, value: ascii, registered: getDomain(ascii) ?? ascii };
}

/** Private, loopback, link-local, shared and documentation ranges: no public list holds them. */
export function isNonPublicAddress(ip: string): boolean {
  return !isPublicIp(ip);
}

// ---------------------------------------------------------------- query names

// Query names for IPs (RFC 5782 §2.1, §2.4) are shared with reverse DNS.
export { reverseIpv4, expandIpv6, reverseIpv6 } from '../dns/ip-names.js';

export type QueryPlan = { name: string } | { notApplicable: string };

/** The name to look up for `subject` in `zone`, or why this zone cannot check it. */
export function planQuery(subject: Subject, zone: Zone): QueryPlan {
  const kind = zone.kind === 'any' ? (subject.kind === 'domain' ? 'domain' : 'ip') : zone.kind;
  let prefix: string;
  if (kind === 'ip') {
    if (subject.kind === 'domain') return { notApplicable: say('dnsbl.na.ip-only') };
    if (subject.kind === 'ipv4' && !zone.ipv4) return { notApplicable: say('dnsbl.na.ipv6-only') };
    if (subject.kind === 'ipv6' && !zone.ipv6) return { notApplicable: say('dnsbl.na.ipv4-only') };
    prefix = subject.kind === 'ipv4' ? reverseIpv4(subject.value) : reverseIpv6(subject.value);
  } else {
    if (subject.kind !== 'domain') return { notApplicable: say('dnsbl.na.domains-only') };
    prefix = zone.queryRegisteredDomain ? subject.registered : subject.value;
  }
  const name = `${prefix}.${zone.zone}`;
  if (name.length > 253) return { notApplicable: say('dnsbl.na.too-long') };
  return { name };
}

/** RFC 5782 §5 test entries: the one every list must hold, and the one none may hold. */
export function testPoints(zone: Zone): { listed: string; notListed: string; listedName: string; notListedName: string } {
  const z = zone.zone;
  if (zone.kind === 'domain') {
    const listed = zone.testPoint ?? 'test';
    return { listed, notListed: 'invalid', listedName: `${listed}.${z}`, notListedName: `invalid.${z}` };
  }
  if (zone.kind === 'ip' && !zone.ipv4 && zone.ipv6) {
    return { listed: '::ffff:7f00:2', notListed: '::ffff:7f00:1', listedName: `${reverseIpv6('::ffff:7f00:2')}.${z}`, notListedName: `${reverseIpv6('::ffff:7f00:1')}.${z}` };
  }
  return { listed: '127.0.0.2', notListed: '127.0.0.1', listedName: `2.0.0.127.${z}`, notListedName: `1.0.0.127.${z}` };
}

// ---------------------------------------------------------------- answers

export interface CodeMeaning { address: string; label?: string; meaning: string; effect: Effect }
export interface AnswerError { address: string; reason: AnswerErrorReason | 'not-dnsbl-answer'; meaning: string; fix: string }
export interface Classified {
  /** Answers that are listings, each with its meaning. */
  listed: CodeMeaning[];
  /** Answers that say the query was refused or malformed: never listings. */
  errors: AnswerError[];
  /** Answers outside 127.0.0.0/8: not DNSBL answers at all, never listings. */
  ignored: string[];
}

function toInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function matches(c: { value?: string; from?: string; to?: string }, address: string): boolean {
  if (c.value !== undefined) return c.value === address;
  if (c.from !== undefined && c.to !== undefined) {
    const n = toInt(address);
    return n >= toInt(c.from) && n <= toInt(c.to);
  }
  return false;
}

const OWN_RESOLVER = say('dnsbl.answer.own-resolver');

/** The 127.255.255.0/24 convention (Spamhaus and others): refusals, never listings. */
function conventionalError(address: string): AnswerError | undefined {
  if (!address.startsWith('127.255.255.')) return undefined;
  switch (address) {
    case '127.255.255.252':
      return { address, reason: 'bad-query', meaning: say('dnsbl.answer.bad-query', { address }), fix: say('dnsbl.answer.bad-query.fix') };
    case '127.255.255.254':
      return { address, reason: 'public-resolver', meaning: say('dnsbl.answer.public-resolver', { address }), fix: OWN_RESOLVER };
    case '127.255.255.255':
      return { address, reason: 'over-quota', meaning: say('dnsbl.answer.over-quota', { address }), fix: OWN_RESOLVER };
    default:
      return { address, reason: 'refused', meaning: say('dnsbl.answer.refused', { address }), fix: OWN_RESOLVER };
  }
}

function isLoopbackV4(address: string): boolean {
  return net.isIPv4(address) && address.startsWith('127.');
}

function decodeBits(zone: Zone, address: string, effect: Effect): CodeMeaning[] {
  const o = address.split('.').map(Number);
  const last = o[3] ?? 0;
  if (o[1] !== 0 || o[2] !== 0) return [{ address, meaning: otherMeaning(zone), effect }];
  const out: CodeMeaning[] = [];
  let rest = last & ~1; // bit 1 is the refusal flag on these lists, handled as an error code
  for (const b of zone.bits ?? []) {
    if ((last & b.bit) !== 0) {
      out.push({ address, label: b.label, meaning: b.meaning, effect: b.effect ?? effect });
      rest &= ~b.bit;
    }
  }
  for (let bit = 2; bit <= 128; bit <<= 1) {
    if ((rest & bit) !== 0) out.push({ address, label: `flag ${bit}`, meaning: say('dnsbl.flag-unknown', { bit }), effect });
  }
  return out.length > 0 ? out : [{ address, meaning: otherMeaning(zone), effect }];
}

function decodeOctets(zone: Zone, address: string, effect: Effect): CodeMeaning {
  const [, , c = '', t = ''] = address.split('.');
  const o = zone.octets ?? {};
  // "category: financial services": each part reads back as label + value (both translated data).
  const part = (label: string, value: string): string => say('common.subject-text', { subjectMsg: label, textMsg: value });
  const thirdMsg = part(o.thirdLabel ?? say('dnsbl.octet.third'), o.third?.[c] ?? say('dnsbl.octet.code', { code: c }));
  const fourthMsg = part(o.fourthLabel ?? say('dnsbl.octet.fourth'), o.fourth?.[t] ?? say('dnsbl.octet.code', { code: t }));
  return { address, label: o.fourth?.[t]?.split(' ')[0], meaning: say('dnsbl.octets', { thirdMsg, fourthMsg }), effect };
}

function otherMeaning(zone: Zone): string {
  return zone.otherCodes ?? (zone.lookupUrl ? say('dnsbl.other-code-see', { url: zone.lookupUrl }) : say('dnsbl.other-code'));
}

/** What the A answers of a zone mean. Pure; the rules in the module header hold here. */
export function classifyAnswers(zone: Zone, addresses: readonly string[]): Classified {
  const out: Classified = { listed: [], errors: [], ignored: [] };
  const zoneEffect: Effect = zone.type === 'allow' ? 'allow' : 'block';
  for (const raw of addresses) {
    const address = raw.trim();
    if (!isLoopbackV4(address)) {
      out.ignored.push(address);
      continue;
    }
    const documented = zone.errors?.find((e) => matches(e, address));
    if (documented) {
      out.errors.push({ address, reason: documented.reason, meaning: documented.meaning, fix: documented.fix });
      continue;
    }
    const conventional = conventionalError(address);
    if (conventional) {
      out.errors.push(conventional);
      continue;
    }
    if (zone.decode === 'bitmask') {
      out.listed.push(...decodeBits(zone, address, zoneEffect));
    } else if (zone.decode === 'octets') {
      out.listed.push(decodeOctets(zone, address, zoneEffect));
    } else {
      const c = zone.codes?.find((x) => matches(x, address));
      out.listed.push(c
        ? { address, ...(c.label ? { label: c.label } : {}), meaning: c.meaning, effect: c.effect ?? zoneEffect }
        : { address, meaning: otherMeaning(zone), effect: zoneEffect });
    }
  }
  if (out.listed.length === 0 && out.errors.length === 0 && out.ignored.length > 0) {
    out.errors.push({
      address: out.ignored.join(', '),
      reason: 'not-dnsbl-answer',
      meaning: say('dnsbl.not-dnsbl-answer', { addresses: out.ignored.join(', ') }),
      fix: say('dnsbl.not-dnsbl-answer.fix'),
    });
  }
  return out;
}

/** block beats allow beats neutral: one blocking code makes the listing a problem. */
export function overallEffect(codes: readonly CodeMeaning[]): Effect {
  if (codes.some((c) => c.effect === 'block')) return 'block';
  if (codes.some((c) => c.effect === 'allow')) return 'allow';
  return 'neutral';
}

// ---------------------------------------------------------------- choosing zones

const ZONE_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)+$/;

/**
 * The zone for a --zone argument: a catalog zone by name; a key-based catalog zone with the
 * key in front (KEY.zen.dq.spamhaus.net); otherwise a custom zone that checks IPs and domains.
 */
export function zoneFor(name: string): Zone {
  const z = name.trim().toLowerCase().replace(/\.$/, '');
  if (!ZONE_NAME.test(z)) throw new UsageError(`--zone "${name}" is not a DNS zone name (e.g. bl.example.org)`);
  const known = ZONES.find((k) => k.zone === z);
  if (known) return known;
  for (const k of ZONES) {
    if (k.keyZone && z.endsWith(`.${k.zone}`) && !z.slice(0, -k.zone.length - 1).includes('.')) {
      return { ...k, zone: z, keyed: true, custom: true };
    }
  }
  return {
    id: `custom:${z}`, zone: z, name: z, kind: 'any', type: 'block', ipv4: true, ipv6: true, access: 'public',
    refusesPublicResolvers: false, decode: 'exact', description: 'A zone given with --zone.', source: 'command line', custom: true,
  };
}

/** Catalog zones (by zone name) or Zone objects, for callers that pick their own set. */
export function resolveZones(zones: readonly (Zone | string)[]): Zone[] {
  return zones.map((z) => (typeof z === 'string' ? zoneFor(z) : z));
}

/** The zone name to show: a key inside it is shortened, since output gets pasted into tickets. */
export function displayZone(zone: Zone): string {
  if (!zone.keyed) return zone.zone;
  const key = zone.zone.split('.')[0] ?? '';
  return `${key.slice(0, 4)}…${zone.zone.slice(key.length)}`;
}

export function maskKeys(text: string, zones: readonly Zone[]): string {
  let t = text;
  for (const z of zones) if (z.keyed) t = t.split(z.zone).join(displayZone(z));
  return t;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Catalog zones and retired lists that a reply text mentions (by zone name or alias), for
 * the probe's follow-up: "blocked using zen.spamhaus.org" → check that zone first.
 */
export function zonesNamedIn(text: string): { zones: Zone[]; retired: RetiredZone[] } {
  // A zone name may follow a dot (a sub-zone such as spam.dnsbl.sorbs.net); an alias is a
  // word ("Spamhaus" in www.spamhaus.org counts: the link names the operator). A zone named
  // outright is more specific than an alias, so aliases count only when no zone is named.
  const has = (n: string): boolean => new RegExp(`(?<![\\w-])${escapeRe(n)}(?![\\w-])`, 'i').test(text);
  const active = ZONES.filter((z) => !z.keyZone);
  const byZone = active.filter((z) => has(z.zone));
  const retiredByZone = RETIRED_ZONES.filter((r) => has(r.zone));
  const named = byZone.length + retiredByZone.length > 0;
  return {
    zones: named ? byZone : active.filter((z) => (z.aliases ?? []).some(has)),
    retired: named ? retiredByZone : RETIRED_ZONES.filter((r) => (r.aliases ?? []).some(has)),
  };
}
