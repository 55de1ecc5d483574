// TLSA RDATA decoding and DANE record judgement without the network: any bytes decode to a
// record or a "malformed" one (never a throw), decode inverts encode, usability follows RFC
// 7672 §3.1.3 / RFC 7671 §4.1, and the DER walk for the signature algorithm survives garbage.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { createHash, X509Certificate } from 'node:crypto';
import { decodeTlsaRdata, encodeTlsaRdata, isMalformedTlsa, tlsaText } from '../../../src/dns/tlsa.js';
import { recordMatches, unusableReason } from '../../../src/checks/dane.js';
import { oidText, signatureAlgorithm } from '../../../src/smtp/cert-der.js';
import { ROOT } from '../../helpers/cli.js';

describe('TLSA RDATA', () => {
  it('decodes any bytes without throwing; 4+ octets round-trip through encode', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      const d = decodeTlsaRdata(bytes);
      if (bytes.length < 4) {
        expect('malformed' in d).toBe(true);
        return;
      }
      expect(d).toEqual({ usage: bytes[0], selector: bytes[1], matchingType: bytes[2], data: Buffer.from(bytes.subarray(3)).toString('hex') });
      expect(encodeTlsaRdata(d as Exclude<typeof d, { malformed: string }>).equals(Buffer.from(bytes))).toBe(true);
      // Every decoded record is judged usable or gets a reason; never a throw.
      const r = { ...d, authenticated: false };
      const why = unusableReason(r);
      expect(why === undefined || why.length > 0).toBe(true);
    }), { numRuns: 300 });
  });

  it('presentation form and usability (usages 0/1 unusable for SMTP, unknown values, digest lengths)', () => {
    const rec = (usage: number, selector: number, matchingType: number, octets: number) => ({ usage, selector, matchingType, data: 'ab'.repeat(octets), authenticated: true });
    expect(tlsaText(rec(3, 1, 1, 32))).toBe(`3 1 1 ${'ab'.repeat(32)}`);
    expect(unusableReason(rec(3, 1, 1, 32))).toBeUndefined();
    expect(unusableReason(rec(2, 0, 2, 64))).toBeUndefined();
    expect(unusableReason(rec(3, 0, 0, 5))).toBeUndefined();
    expect(unusableReason(rec(0, 0, 1, 32))).toMatch(/not used for SMTP/);
    expect(unusableReason(rec(1, 1, 1, 32))).toMatch(/not used for SMTP/);
    expect(unusableReason(rec(4, 1, 1, 32))).toMatch(/usage 4 is not defined/);
    expect(unusableReason(rec(3, 2, 1, 32))).toMatch(/selector 2/);
    expect(unusableReason(rec(3, 1, 3, 32))).toMatch(/matching type 3/);
    expect(unusableReason(rec(3, 1, 2, 32))).toMatch(/64 octets, this one 32/);
    const bad = { ...decodeTlsaRdata(Buffer.from([3, 1])), authenticated: false };
    expect(isMalformedTlsa(bad)).toBe(true);
    expect(tlsaText(bad)).toBe('\\# 2 0301');
  });

  it('a full (matching type 0) record matches the certificate or key it holds, not another', () => {
    const pem = readFileSync(`${ROOT}/fixtures/tls/mx.pem`);
    const x = new X509Certificate(pem);
    const spki = x.publicKey.export({ type: 'spki', format: 'der' });
    const h = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const facts = { sha256: h(x.raw), spkiSha256: h(spki) } as Parameters<typeof recordMatches>[1];
    expect(recordMatches({ selector: 0, matchingType: 0, data: x.raw.toString('hex') }, facts)).toBe(true);
    expect(recordMatches({ selector: 1, matchingType: 0, data: spki.toString('hex') }, facts)).toBe(true);
    expect(recordMatches({ selector: 1, matchingType: 0, data: x.raw.toString('hex') }, facts)).toBe(false);
    expect(recordMatches({ selector: 1, matchingType: 1, data: h(spki).toUpperCase() }, facts)).toBe(true);
  });
});

describe('signature algorithm from DER', () => {
  it('reads the test certificates and names the OID', () => {
    expect(signatureAlgorithm(new X509Certificate(readFileSync(`${ROOT}/fixtures/tls/ca.pem`)).raw)).toBe('sha256WithRSAEncryption');
    expect(oidText(Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]))).toBe('1.2.840.113549.1.1.11');
    expect(oidText(Buffer.from([0x2b, 0x65, 0x70]))).toBe('1.3.101.112');
  });
  it('never throws on garbage or a truncated certificate', () => {
    const der = new X509Certificate(readFileSync(`${ROOT}/fixtures/tls/mx.pem`)).raw;
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: der.length }), (bytes, cut) => {
      const a = signatureAlgorithm(bytes);
      expect(a === undefined || typeof a === 'string').toBe(true);
      const b = signatureAlgorithm(der.subarray(0, cut));
      expect(b === undefined || b === 'sha256WithRSAEncryption').toBe(true);
    }), { numRuns: 300 });
  });
});
