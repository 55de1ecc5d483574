// Human rendering of the server-name comparison (banner, EHLO reply, PTR): one line per
// session with the three names, then its findings (warnings; everything with --verbose).
// Peer- and DNS-supplied names go through printable().
import type { ChalkInstance } from 'chalk';
import type { ServerNames } from '../probe/server-names.js';
import { printable as p, printableLines as pl } from './printable.js';
import { wrap } from './wrap.js';

export interface NamesRenderOptions { chalk: ChalkInstance; width: number; verbose: boolean }

export function renderServerNames(list: readonly ServerNames[], o: NamesRenderOptions): string[] {
  if (list.length === 0) return [];
  const c = o.chalk;
  const colour = (st: ServerNames['status']): ((x: string) => string) => (st === 'ok' ? c.green : st === 'warn' || st === 'error' ? c.yellow : (x: string) => x);
  const out = [c.bold('Server names (banner, EHLO, PTR)')];
  for (const n of list) {
    const ptr = n.dnsError ? `PTR not looked up (${n.dnsError})`
      : n.ptr.length === 0 ? 'no PTR'
        : `PTR ${n.ptr.map(p).join(', ')} (${n.confirmedPtr.length > 0 ? 'forward-confirmed' : 'not forward-confirmed'})`;
    const line = `${p(n.host)} [${p(n.address)}]:${n.port}: banner ${n.banner ? p(n.banner) : '(no name)'} · EHLO ${n.ehlo ? p(n.ehlo) : '(none)'} · ${ptr}`;
    out.push(colour(n.status)(wrap(line, o.width, '     ').replace(/^ {2}/, '')));
    for (const f of n.findings.filter((x) => x.level === 'warn' || x.level === 'error' || o.verbose)) {
      out.push(wrap(`${f.level === 'error' ? '✗' : f.level === 'warn' ? '!' : '·'} ${pl(f.message)}${f.fix ? ` → ${pl(f.fix)}` : ''}`, o.width, '     '));
    }
  }
  return out;
}
