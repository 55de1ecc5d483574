// Human rendering of the server-name comparison (banner, EHLO reply, PTR): one line per
// session with the three names, then its findings (warnings; everything with --verbose), in
// the report's language (data/messages.json). Peer- and DNS-supplied names go through printable().
import type { ChalkInstance } from 'chalk';
import type { Lang } from '../catalog/data.js';
import { localize, t } from '../catalog/messages.js';
import type { ServerNames } from '../probe/server-names.js';
import { printable as p, printableLines as pl } from './printable.js';
import { wrap } from './wrap.js';

export interface NamesRenderOptions { chalk: ChalkInstance; width: number; verbose: boolean; lang?: Lang }

export function renderServerNames(list: readonly ServerNames[], o: NamesRenderOptions): string[] {
  if (list.length === 0) return [];
  const c = o.chalk;
  const lang = o.lang ?? 'en';
  const colour = (st: ServerNames['status']): ((x: string) => string) => (st === 'ok' ? c.green : st === 'warn' || st === 'error' ? c.yellow : (x: string) => x);
  const out = [c.bold(t(lang, 'names.heading'))];
  for (const n of list) {
    const ptr = n.dnsError ? t(lang, 'names.ptr.not-looked-up', { code: n.dnsError })
      : n.ptr.length === 0 ? t(lang, 'names.ptr.none')
        : t(lang, n.confirmedPtr.length > 0 ? 'names.ptr.confirmed' : 'names.ptr.not-confirmed', { names: n.ptr.map(p).join(', ') });
    const line = t(lang, 'names.line', {
      at: `${p(n.host)} [${p(n.address)}]:${n.port}`,
      banner: n.banner ? p(n.banner) : t(lang, 'names.line.no-name'),
      ehlo: n.ehlo ? p(n.ehlo) : t(lang, 'common.none'),
      ptrMsg: ptr,
    });
    out.push(colour(n.status)(wrap(line, o.width, '     ').replace(/^ {2}/, '')));
    for (const f of n.findings.filter((x) => x.level === 'warn' || x.level === 'error' || o.verbose)) {
      out.push(wrap(`${f.level === 'error' ? '✗' : f.level === 'warn' ? '!' : '·'} ${pl(localize(lang, f.message))}${f.fix ? ` → ${pl(localize(lang, f.fix))}` : ''}`, o.width, '     '));
    }
  }
  return out;
}
