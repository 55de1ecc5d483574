// The certificate chain of a TLS session, for --verbose: each certificate with its subject,
// issuer, validity, key (type and size), signature algorithm and SPKI SHA-256 (what a TLSA
// "3 1 1" record holds), and whether the server sent it or the local trust store completed
// the chain. Certificate text comes from the peer: printable() on every field.
import type { ChalkInstance } from 'chalk';
import type { Lang } from '../catalog/data.js';
import { t as tr } from '../catalog/messages.js';
import type { CertFacts, TlsFacts } from '../smtp/tls-facts.js';
import { printable as p } from './printable.js';
import { wrap } from './wrap.js';

export interface ChainRenderOptions { chalk: ChalkInstance; width: number; lang?: Lang }

function keyText(x: CertFacts, lang: Lang): string {
  if (!x.keyType) return tr(lang, 'tls.chain.key-unknown');
  const type = x.keyType === 'ec' ? `EC${x.keyCurve ? ` ${x.keyCurve}` : ''}` : x.keyType.toUpperCase();
  return x.keyBits ? tr(lang, 'auth.dkim.bits', { type, bits: x.keyBits }) : type;
}

export function renderChain(t: TlsFacts, o: ChainRenderOptions): string[] {
  const c = o.chalk;
  const lang = o.lang ?? 'en';
  const out = [c.dim(`       ${tr(lang, 'tls.chain.heading', { n: t.chain.length })}${t.cipherStandardName ? ` · ${p(t.cipherStandardName)}` : ''}:`)];
  t.chain.forEach((x, i) => {
    const origin = x.presented === false ? `; ${tr(lang, 'tls.chain.not-sent')}` : '';
    const link = i > 0 && x.signsPrevious === false ? `; ${tr(lang, 'tls.chain.not-linked')}` : '';
    out.push(c.dim(wrap(`${i} ${p(x.subject)}${x.selfSigned ? ` ${tr(lang, 'tls.chain.self-signed')}` : ` — ${tr(lang, 'tls.chain.issued-by', { issuer: p(x.issuer) })}`}${origin}${link}`, o.width, '       ')));
    const dates = { from: x.validFrom.slice(0, 10), to: x.validTo.slice(0, 10), n: Math.abs(x.daysLeft) };
    const facts = [
      tr(lang, x.daysLeft < 0 ? 'tls.chain.expired' : 'tls.chain.valid', dates),
      keyText(x, lang),
      ...(x.signatureAlgorithm ? [p(x.signatureAlgorithm)] : []),
      ...(x.spkiSha256 ? [`SPKI SHA-256 ${x.spkiSha256}`] : []),
    ];
    out.push(c.dim(wrap(facts.join(' · '), o.width, '         ')));
  });
  return out;
}
