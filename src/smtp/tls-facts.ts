// What a TLS session tells: protocol, cipher, the certificate chain (X509Certificate),
// validity and days left, trust result and the identity match — findings, never failures.
// The reference identity (RFC 6125) is the MX name, --tls-name, or for an IP target the IP
// itself (checked against the certificate's IP SANs by node:tls checkServerIdentity).
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';

export interface CertFacts {
  subject: string;
  issuer: string;
  subjectAltNames: string[];
  validFrom: string; // ISO 8601
  validTo: string;
  daysLeft: number;
  fingerprint256: string;
  selfSigned: boolean;
}

export interface TlsFacts {
  protocol: string | null;
  cipher: string;
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

function certFacts(x: X509Certificate, now: number): CertFacts {
  const validTo = new Date(x.validTo);
  return {
    subject: x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    subjectAltNames: (x.subjectAltName ?? '').split(/,\s*/).filter(Boolean),
    validFrom: new Date(x.validFrom).toISOString(),
    validTo: validTo.toISOString(),
    daysLeft: Math.floor((validTo.getTime() - now) / 86_400_000),
    fingerprint256: x.fingerprint256,
    selfSigned: x.subject === x.issuer,
  };
}

/** `servername`: the reference identity, a DNS name or an IP address (never sent as SNI when an IP). */
export function collectTlsFacts(socket: tls.TLSSocket, servername: string | undefined, now = Date.now()): TlsFacts {
  const chain: CertFacts[] = [];
  let peer: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate;
  const seen = new Set<string>();
  while (peer && peer.raw && !seen.has(peer.fingerprint256) && chain.length < 10) {
    seen.add(peer.fingerprint256);
    chain.push(certFacts(new X509Certificate(peer.raw), now));
    peer = peer.issuerCertificate;
  }
  const facts: TlsFacts = {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.name ?? 'unknown',
    chain,
    // Node folds a host-name mismatch into authorizationError; the chain itself is still
    // trusted then, and the name is judged on its own below.
    trusted: socket.authorized || String(socket.authorizationError) === 'ERR_TLS_CERT_ALTNAME_INVALID' || (socket.authorizationError as unknown as { code?: string } | undefined)?.code === 'ERR_TLS_CERT_ALTNAME_INVALID',
    expired: chain[0] ? chain[0].daysLeft < 0 : false,
  };
  if (!facts.trusted && socket.authorizationError) facts.trustError = String(socket.authorizationError);
  if (servername) {
    facts.checkedName = servername;
    facts.checkedAs = net.isIP(servername) === 0 ? 'dns' : 'ip';
    const leaf = socket.getPeerCertificate();
    const err = leaf && leaf.raw ? tls.checkServerIdentity(servername, leaf) : new Error('the server sent no certificate');
    facts.nameMatches = err === undefined;
    if (err) facts.nameError = err.message;
  }
  return facts;
}
