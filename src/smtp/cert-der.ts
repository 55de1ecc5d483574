// The one thing node:crypto's X509Certificate does not tell on Node 20: the certificate's
// signature algorithm. A minimal, bounded DER walk (X.509, RFC 5280 §4.1: Certificate ::=
// SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signature }) reads its
// OID; well-known OIDs get their usual names. Any malformed input gives undefined, never throws.

const OID_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
  '1.2.840.10040.4.3': 'dsa-with-sha1',
  '2.16.840.1.101.3.4.3.2': 'dsa-with-sha256',
};

interface Tlv { tag: number; start: number; end: number; next: number }

/** The TLV at `at` (definite lengths only, as DER requires), or undefined when it does not fit in `limit`. */
function tlv(buf: Uint8Array, at: number, limit: number): Tlv | undefined {
  if (at + 2 > limit) return undefined;
  const tag = buf[at] as number;
  let len = buf[at + 1] as number;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[start + i] as number);
    start += n;
  }
  const end = start + len;
  return end > limit ? undefined : { tag, start, end, next: end };
}

/** Dotted form of an OBJECT IDENTIFIER's contents (X.690 §8.19). */
export function oidText(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0 || bytes.length > 64) return undefined;
  const arcs: number[] = [];
  let v = 0;
  for (const b of bytes) {
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) return undefined;
    if (!(b & 0x80)) { arcs.push(v); v = 0; }
  }
  if ((bytes[bytes.length - 1] as number) & 0x80) return undefined;
  const first = arcs.shift() as number;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

/** The signatureAlgorithm of a DER certificate: a name for well-known OIDs, else the dotted OID. */
export function signatureAlgorithm(der: Uint8Array): string | undefined {
  const cert = tlv(der, 0, der.length);
  if (!cert || cert.tag !== 0x30) return undefined;
  const tbs = tlv(der, cert.start, cert.end);
  if (!tbs || tbs.tag !== 0x30) return undefined;
  const alg = tlv(der, tbs.next, cert.end);
  if (!alg || alg.tag !== 0x30) return undefined;
  const oid = tlv(der, alg.start, alg.end);
  if (!oid || oid.tag !== 0x06) return undefined;
  const dotted = oidText(der.subarray(oid.start, oid.end));
  return dotted === undefined ? undefined : OID_NAMES[dotted] ?? dotted;
}
