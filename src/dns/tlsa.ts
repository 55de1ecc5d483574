// TLSA records (RFC 6698 §2.1), which dns2 does not know: the RDATA decoded by hand into
// certificate usage, selector, matching type and association data (hex). A record too short
// to hold the three one-octet fields is kept as "malformed" with its raw bytes, never thrown:
// whether a decoded record is usable for SMTP is judged in src/checks/dane.ts.

import { say } from '../catalog/messages.js';

/** The TLSA RR type code (RFC 6698 §7.1). */
export const TLSA_TYPE = 52;

export interface TlsaFields { usage: number; selector: number; matchingType: number; data: string }

/** One TLSA record as the resolver returns it; `authenticated` is the answer's AD bit. */
export type TlsaRecord = (TlsaFields | { malformed: string; rdata: string }) & { authenticated: boolean };

export function isMalformedTlsa(r: TlsaRecord): r is { malformed: string; rdata: string; authenticated: boolean } {
  return 'malformed' in r;
}

/** RDATA → fields (data as lowercase hex), or why it cannot be read. */
export function decodeTlsaRdata(rdata: Uint8Array): TlsaFields | { malformed: string; rdata: string } {
  const buf = Buffer.from(rdata);
  if (buf.length < 3) return { malformed: say('dane.rdata.short', { n: buf.length }), rdata: buf.toString('hex') };
  if (buf.length === 3) return { malformed: say('dane.rdata.no-data'), rdata: buf.toString('hex') };
  return { usage: buf[0] as number, selector: buf[1] as number, matchingType: buf[2] as number, data: buf.subarray(3).toString('hex') };
}

/** The inverse, for the zone server and the tests (data: hex). */
export function encodeTlsaRdata(f: TlsaFields): Buffer {
  return Buffer.concat([Buffer.from([f.usage & 0xff, f.selector & 0xff, f.matchingType & 0xff]), Buffer.from(f.data, 'hex')]);
}

/** Presentation form, as in a zone file: "3 1 1 ab12…". */
export function tlsaText(r: TlsaRecord): string {
  return isMalformedTlsa(r) ? `\\# ${r.rdata.length / 2} ${r.rdata}` : `${r.usage} ${r.selector} ${r.matchingType} ${r.data}`;
}
