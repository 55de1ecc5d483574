// The certificate chain of a TLS session, for --verbose: each certificate with its subject,
// issuer, validity, key (type and size), signature algorithm and SPKI SHA-256 (what a TLSA
// "3 1 1" record holds), and whether the server sent it or the local trust store completed
// the chain. Certificate text comes from the peer: printable() on every field.
import type { ChalkInstance } from 'chalk';
import type { CertFacts, TlsFacts } from '../smtp/tls-facts.js';
import { printable as p } from './printable.js';
import { wrap } from './wrap.js';

export interface ChainRenderOptions { chalk: ChalkInstance; width: number }

function keyText(x: CertFacts): string {
  if (!x.keyType) return 'key of unknown type';
  const type = x.keyType === 'ec' ? `EC${x.keyCurve ? ` ${x.keyCurve}` : ''}` : x.keyType.toUpperCase();
  return `${type}${x.keyBits ? ` ${x.keyBits} bits` : ''}`;
}

export function renderChain(t: TlsFacts, o: ChainRenderOptions): string[] {
  const c = o.chalk;
  const out = [c.dim(`       chain (${t.chain.length} certificate${t.chain.length === 1 ? '' : 's'}, leaf first)${t.cipherStandardName ? ` · cipher ${p(t.cipherStandardName)}` : ''}:`)];
  t.chain.forEach((x, i) => {
    const origin = x.presented === false ? '; not sent by the server: completed from the local trust store' : '';
    const link = i > 0 && x.signsPrevious === false ? '; does NOT sign the certificate above' : '';
    out.push(c.dim(wrap(`${i} ${p(x.subject)}${x.selfSigned ? ' (self-signed)' : ` — issued by ${p(x.issuer)}`}${origin}${link}`, o.width, '       ')));
    const facts = [
      `valid ${x.validFrom.slice(0, 10)} → ${x.validTo.slice(0, 10)} (${x.daysLeft < 0 ? `expired ${-x.daysLeft} days ago` : `${x.daysLeft} days left`})`,
      keyText(x),
      ...(x.signatureAlgorithm ? [p(x.signatureAlgorithm)] : []),
      ...(x.spkiSha256 ? [`SPKI SHA-256 ${x.spkiSha256}`] : []),
    ];
    out.push(c.dim(wrap(facts.join(' · '), o.width, '         ')));
  });
  return out;
}
