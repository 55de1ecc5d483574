// The DNS contract every check and the probe use: one narrow function type (mailauth's
// DNSResolver idea). Failures are DnsError with node:dns-style codes; code branches on the
// code, never on the message. Implementations: dns2-resolver.ts (the wire), and in tests
// the same resolver pointed at the loopback zone server.

import { setMaxListeners } from 'node:events';
import { SmtpProbeError } from '../errors.js';
import { say } from '../catalog/messages.js';
import type { TlsaRecord } from './tlsa.js';

export type RRType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'PTR' | 'CNAME' | 'NS' | 'SOA' | 'TLSA';

export interface MxRecord { exchange: string; priority: number }

/** What each record type resolves to. TXT is one string per record (character-strings joined). */
export interface RecordMap {
  A: string[];
  AAAA: string[];
  MX: MxRecord[];
  TXT: string[];
  PTR: string[];
  CNAME: string[];
  NS: string[];
  SOA: string[];
  /** Decoded by hand (dns2 has no TLSA); each record carries the answer's AD bit (DNSSEC). */
  TLSA: TlsaRecord[];
}

/**
 * Resolve `name` for `type`. Resolves to a non-empty array, or rejects with DnsError:
 * ENOTFOUND (NXDOMAIN), ENODATA (name exists, no record of that type), ESERVFAIL,
 * EREFUSED, ETIMEOUT (no answer before the deadline), EFORMERR/EBADRESP (broken answer).
 */
export type Resolve = <T extends RRType>(name: string, type: T, opts?: LookupOptions) => Promise<RecordMap[T]>;

/** Per lookup: `signal` aborts it (a run deadline), freeing its socket at once. */
export interface LookupOptions { signal?: AbortSignal }

export type DnsErrorCode = 'ENOTFOUND' | 'ENODATA' | 'ESERVFAIL' | 'EREFUSED' | 'ETIMEOUT' | 'EFORMERR' | 'EBADRESP' | 'ECONNREFUSED';

export class DnsError extends SmtpProbeError {
  readonly dnsCode: DnsErrorCode;
  readonly qname: string;
  readonly qtype: RRType;
  constructor(dnsCode: DnsErrorCode, qname: string, qtype: RRType, message?: string) {
    super(dnsCode, message ?? say('dns.error.query', { qtype, qname, errorMsg: DNS_ERROR_TEXT[dnsCode] }));
    this.dnsCode = dnsCode;
    this.qname = qname;
    this.qtype = qtype;
  }
}

export const DNS_ERROR_TEXT: Readonly<Record<DnsErrorCode, string>> = {
  ENOTFOUND: say('dns.error.enotfound'),
  ENODATA: say('dns.error.enodata'),
  ESERVFAIL: say('dns.error.eservfail'),
  EREFUSED: say('dns.error.erefused'),
  ETIMEOUT: say('dns.error.etimeout'),
  EFORMERR: say('dns.error.eformerr'),
  EBADRESP: say('dns.error.ebadresp'),
  ECONNREFUSED: say('dns.error.econnrefused'),
};

/** One lookup as evidence: what was asked, what came back, how long it took. */
export interface DnsQueryLog { name: string; type: RRType; ms: number; result: 'ok' | DnsErrorCode; answers?: unknown[] }

/** Records every lookup into `log` (the checks keep it as evidence, mailauth §1.4). */
export function withQueryLog(resolve: Resolve, log: DnsQueryLog[], now: () => number = Date.now): Resolve {
  return async <T extends RRType>(name: string, type: T, opts?: LookupOptions): Promise<RecordMap[T]> => {
    const t0 = now();
    try {
      const r = await resolve(name, type, opts);
      log.push({ name, type, ms: now() - t0, result: 'ok', answers: r });
      return r;
    } catch (e) {
      log.push({ name, type, ms: now() - t0, result: isDnsError(e) ? e.dnsCode : 'EBADRESP' });
      throw e;
    }
  };
}

/**
 * Memoizes lookups for one run (the probe, the checks and the follow-up ask for the same
 * names): concurrent asks for the same name and type share one query, errors included.
 */
export function withCache(resolve: Resolve): Resolve {
  const cache = new Map<string, Promise<unknown>>();
  return <T extends RRType>(name: string, type: T, opts?: LookupOptions): Promise<RecordMap[T]> => {
    const key = `${type} ${name.toLowerCase().replace(/\.$/, '')}`;
    let p = cache.get(key) as Promise<RecordMap[T]> | undefined;
    if (!p) {
      p = resolve(name, type, opts);
      cache.set(key, p);
      p.catch(() => {}); // the caller handles it; the cached copy must not be unhandled
    }
    return p;
  };
}

export function isDnsError(e: unknown): e is DnsError {
  return e instanceof DnsError;
}

/** A total deadline over many lookups, and what it cost: how many lookups it cut or refused. */
export interface DeadlineResolve {
  resolve: Resolve;
  /** Lookups refused or cut short because the deadline had passed. */
  skipped(): number;
  reached(): boolean;
}

/** Why lookups past a run's total deadline fail; renderers and tests look for these words. */
export const DEADLINE_REASON = say('deadline.reason');

/**
 * One deadline for a whole run of lookups (the probe's checks, `auth`, `blocklist`): a lookup
 * asked after `deadlineAt` fails at once, one in flight fails when it passes, both with
 * ETIMEOUT and the reason "run deadline reached", so every check ends and says why.
 */
export function withDeadline(resolve: Resolve, deadlineAt: number, now: () => number = Date.now): DeadlineResolve {
  let skipped = 0;
  // Aborting at the deadline frees the sockets of lookups still in flight (the process need
  // not wait for them); unref: a deadline alone must not keep the process alive.
  const ac = new AbortController();
  setMaxListeners(0, ac.signal); // one listener per lookup in flight (51 blocklist zones at once)
  setTimeout(() => ac.abort(), Math.max(0, deadlineAt - now())).unref();
  const fail = (name: string, type: RRType): DnsError => {
    skipped++;
    return new DnsError('ETIMEOUT', name, type, say('dns.not-answered', { qtype: type, qname: name, reasonMsg: DEADLINE_REASON }));
  };
  const bounded = async <T extends RRType>(name: string, type: T): Promise<RecordMap[T]> => {
    const left = deadlineAt - now();
    if (left <= 0) throw fail(name, type);
    let timer: NodeJS.Timeout | undefined;
    let cut = false;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => { cut = true; reject(fail(name, type)); }, left);
    });
    const answer = resolve(name, type, { signal: ac.signal });
    answer.catch(() => {}); // when `late` wins, the lookup's own failure is nobody's business
    try {
      return await Promise.race([answer, late]);
    } catch (e) {
      // The abort at the deadline may beat our own timer: still a lookup the deadline cut.
      if (!cut && ac.signal.aborted) throw fail(name, type);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  };
  return { resolve: bounded, skipped: () => skipped, reached: () => skipped > 0 || now() >= deadlineAt };
}
