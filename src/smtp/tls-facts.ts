// What a TLS session tells: protocol, cipher, the certificate chain (X509Certificate) with
// each certificate's key, signature algorithm and the digests DANE matches against (RFC
// 7672), validity and days left, trust result and the identity match — findings, never failures.
// The reference identity (RFC 6125) is the MX name, --tls-name, or for an IP target the IP
// itself (checked against the certificate's IP SANs by node:tls checkServerIdentity).
import { createHash, X509Certificate } from 'node:crypto';
import { signatureAlgorithm } from './cert-der.js';
import { say } from '../catalog/messages.js';
import net from 'node:net';
import tls from 'node:tls';
import { osErrorText } from '../catalog/os-errors.js';

export interface CertFacts {
  subject: string;
  issuer: string;
  subjectAltNames: string[];
  validFrom: string; // ISO 8601
  validTo: string;
  daysLeft: number;
  fingerprint256: string;
  selfSigned: boolean;
  /** 'rsa', 'ec', 'ed25519', … (node:crypto's asymmetricKeyType). */
  keyType?: string;
  /** RSA/DSA modulus length, or the EC curve's size, in bits. */
  keyBits?: number;
  /** The EC curve (e.g. prime256v1). */
  keyCurve?: string;
  /** e.g. sha256WithRSAEncryption, ecdsa-with-SHA384 (or the dotted OID). */
  signatureAlgorithm?: string;
  serialNumber?: string;
  /** Digests DANE (RFC 6698 §2.1) matches: of the whole certificate and of its
   *  SubjectPublicKeyInfo, lowercase hex. */
  sha256?: string;
  sha512?: string;
  spkiSha256?: string;
  spkiSha512?: string;
  /** For a certificate after the leaf: it issued and signed the one before it (a real chain link). */
  signsPrevious?: boolean;
  /** False for a certificate Node completed the chain with from the local trust store (system
   *  roots, --ca-file): the server did not send it (DANE-TA needs it sent, RFC 7672 §3.1.2). */
  presented?: boolean;
}

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
/** Oldest first: the values of --tls-min and --tls-max (Node's SecureVersion names). */
export const TLS_VERSIONS: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
/** A forced range of protocol versions (--tls-min, --tls-max); absent ends are Node's defaults. */
export interface TlsRange { min?: TlsVersion; max?: TlsVersion }

/**
 * TLS 1.0 and 1.1 are refused by OpenSSL 3 at its default security level (their handshakes
 * sign with SHA-1/MD5): they can only be tested at level 0. True when the user asked for one.
 */
export function wantsLegacyTls(r: TlsRange | undefined): boolean {
  const old = (v?: TlsVersion): boolean => v === 'TLSv1' || v === 'TLSv1.1';
  return r !== undefined && (old(r.min) || old(r.max));
}

const rangeText = (r: TlsRange): string => `${r.min ?? 'TLSv1'}${(r.max ?? 'TLSv1.3') !== (r.min ?? 'TLSv1') ? ` to ${r.max ?? 'TLSv1.3'}` : ''}`;
const VERSION_REFUSED = /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|WRONG_VERSION_NUMBER|NO_PROTOCOLS_AVAILABLE|VERSION_TOO_(LOW|HIGH)|LEGACY_SIGALG/;

/** Why a handshake failed, in words a person can act on (the OpenSSL code kept in the text). */
export function explainHandshakeFailure(e: { code?: string; message: string }, range?: TlsRange): string {
  const code = e.code ?? '';
  const raw = `TLS handshake failed: ${e.message.split('\n')[0]?.replace(/^[0-9A-F]+:error:[0-9A-F]+:/, '') ?? ''}${code ? ` (${code})` : ''}`;
  const forced = range && (range.min || range.max) ? range : undefined;
  if (VERSION_REFUSED.test(code)) {
    if (!forced) return say('tls.failed.versions-legacy', { rawMsg: raw });
    const lo = forced.min ?? 'TLSv1';
    const what = lo === (forced.max ?? 'TLSv1.3') ? lo : say('tls.failed.versions-any');
    return say('tls.failed.versions-forced', { rawMsg: raw, range: rangeText(forced), whatMsg: what });
  }
  if (/HANDSHAKE_FAILURE|NO_SHARED_CIPHER|NO_CIPHERS_AVAILABLE|INSUFFICIENT_SECURITY/.test(code)) {
    return forced ? say('tls.failed.no-cipher-forced', { rawMsg: raw, range: rangeText(forced) }) : say('tls.failed.no-cipher', { rawMsg: raw });
  }
  return raw;
}

export interface TlsFacts {
  protocol: string | null;
  cipher: string;
  /** The cipher's IANA (RFC) name, e.g. TLS_AES_256_GCM_SHA384. */
  cipherStandardName?: string;
  /** Leaf first, then the chain as the server sent it. */
  chain: CertFacts[];
  /** The chain verifies against the trusted roots (plus --ca-file). */
  trusted: boolean;
  trustError?: string;
  /** The identity checked against the certificate: the MX name, --tls-name, or the IP of an IP target. */
  checkedName?: string;
  /** A DNS name (matched against DNS SANs) or an IP address (matched against IP SANs). */
  checkedAs?: 'dns' | 'ip';
  /** Where the identity came from: the host name, the IP target, or --tls-name. */
  identitySource?: 'host' | 'ip' | 'tls-name';
  nameMatches?: boolean;
  nameError?: string;
  expired: boolean;
}

const CURVE_BITS: Readonly<Record<string, number>> = { prime256v1: 256, secp384r1: 384, secp521r1: 521, secp256k1: 256 };
const hex = (alg: string, b: Buffer): string => createHash(alg).update(b).digest('hex');

function keyFacts(x: X509Certificate): Pick<CertFacts, 'keyType' | 'keyBits' | 'keyCurve' | 'spkiSha256' | 'spkiSha512'> {
  try {
    const k = x.publicKey;
    const spki = k.export({ type: 'spki', format: 'der' });
    const d = k.asymmetricKeyDetails ?? {};
    const type = k.asymmetricKeyType;
    const bits = d.modulusLength ?? (d.namedCurve ? CURVE_BITS[d.namedCurve] : type === 'ed25519' ? 256 : type === 'ed448' ? 456 : undefined);
    return {
      ...(type ? { keyType: type } : {}),
      ...(bits ? { keyBits: bits } : {}),
      ...(d.namedCurve ? { keyCurve: d.namedCurve } : {}),
      spkiSha256: hex('sha256', spki),
      spkiSha512: hex('sha512', spki),
    };
  } catch {
    // A key type OpenSSL cannot export: the digests of the raw SPKI are unknown, never a crash.
    return {};
  }
}

function certFacts(x: X509Certificate, now: number): CertFacts {
  const validTo = new Date(x.validTo);
  const sig = signatureAlgorithm(x.raw);
  return {
    subject: x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    subjectAltNames: (x.subjectAltName ?? '').split(/,\s*/).filter(Boolean),
    validFrom: new Date(x.validFrom).toISOString(),
    validTo: validTo.toISOString(),
    daysLeft: Math.floor((validTo.getTime() - now) / 86_400_000),
    fingerprint256: x.fingerprint256,
    selfSigned: x.subject === x.issuer,
    ...keyFacts(x),
    ...(sig ? { signatureAlgorithm: sig } : {}),
    serialNumber: x.serialNumber,
    sha256: hex('sha256', x.raw),
    sha512: hex('sha512', x.raw),
  };
}

/** `issuer` issued `cert` and its key verifies the signature. */
function signs(issuer: X509Certificate, cert: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** `servername`: the reference identity, a DNS name or an IP address (never sent as SNI when an IP). */
export function collectTlsFacts(socket: tls.TLSSocket, servername: string | undefined, now = Date.now()): TlsFacts {
  const chain: CertFacts[] = [];
  let peer: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate;
  const seen = new Set<string>();
  let prev: X509Certificate | undefined;
  while (peer && peer.raw && !seen.has(peer.fingerprint256) && chain.length < 10) {
    seen.add(peer.fingerprint256);
    const x = new X509Certificate(peer.raw);
    chain.push({ ...certFacts(x, now), ...(prev ? { signsPrevious: signs(x, prev) } : {}) });
    prev = x;
    peer = peer.issuerCertificate;
  }
  const facts: TlsFacts = {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.name ?? 'unknown',
    ...(socket.getCipher()?.standardName ? { cipherStandardName: socket.getCipher().standardName } : {}),
    chain,
    // Node folds a host-name mismatch into authorizationError; the chain itself is still
    // trusted then, and the name is judged on its own below.
    trusted: socket.authorized || String(socket.authorizationError) === 'ERR_TLS_CERT_ALTNAME_INVALID' || (socket.authorizationError as unknown as { code?: string } | undefined)?.code === 'ERR_TLS_CERT_ALTNAME_INVALID',
    expired: chain[0] ? chain[0].daysLeft < 0 : false,
  };
  if (!facts.trusted && socket.authorizationError) facts.trustError = osErrorText(String(socket.authorizationError));
  if (servername) {
    facts.checkedName = servername;
    facts.checkedAs = net.isIP(servername) === 0 ? 'dns' : 'ip';
    const leaf = socket.getPeerCertificate();
    const err = leaf && leaf.raw ? tls.checkServerIdentity(servername, leaf) : new Error('the server sent no certificate');
    facts.nameMatches = err === undefined;
    if (err) facts.nameError = err.message;
  }
  // getPeerCertificate(true) completes the chain from the local trust store; the
  // X509Certificate's issuer links are the certificates the server itself sent. Last: on
  // Node 20 getPeerX509Certificate() empties the peer chain getPeerCertificate() reads.
  const sent = new Set<string>();
  try {
    for (let x = socket.getPeerX509Certificate(); x && sent.size < 20; x = x.issuerCertificate) {
      if (sent.has(x.fingerprint256)) break;
      sent.add(x.fingerprint256);
    }
  } catch { /* no peer certificate */ }
  for (const c of chain) c.presented = sent.has(c.fingerprint256);
  return facts;
}
