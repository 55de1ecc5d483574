// Human rendering of a blocklist check and of the zones' RFC 5782 self-test. Pure: data in,
// string out; colours come from the Chalk instance handed in (level 0 for --no-color).
// Everything that came from DNS (TXT records above all) goes through printable(), so a
// list's server cannot put escape sequences on the user's terminal.
import type { ChalkInstance } from 'chalk';
import type { BlocklistResult, HealthResult, ZoneHealth, ZoneResult } from '../checks/dnsbl.js';
import { printable } from './printable.js';
import { wrap } from './wrap.js';

export interface BlocklistRenderOptions {
  chalk: ChalkInstance;
  width: number;
  /** Query names, timings and each not-applicable zone. */
  verbose?: boolean;
  /** Only the summary line. */
  quiet?: boolean;
}

const TAG_WIDTH = 10;
/** From this many lists failing the same way, they share one line. */
const GROUP_AT = 3;
const INDENT = ' '.repeat(TAG_WIDTH);

/** Listed first (problems, then information, then good news), then failures, clean, not asked. */
function rank(z: ZoneResult): number {
  if (z.status === 'listed') return z.effect === 'block' ? 0 : z.effect === 'neutral' ? 1 : 2;
  return { error: 3, timeout: 4, clean: 5, 'not-applicable': 6, listed: 0 }[z.status];
}

function tagOf(z: ZoneResult, c: ChalkInstance): string {
  const pad = (s: string): string => s.padEnd(TAG_WIDTH);
  switch (z.status) {
    case 'listed':
      if (z.effect === 'allow') return c.green.bold(pad('ALLOWED'));
      if (z.effect === 'neutral') return c.yellow.bold(pad('NOTED'));
      return c.red.bold(pad('LISTED'));
    case 'error': return c.yellow(pad('ERROR'));
    case 'timeout': return c.yellow(pad('TIMEOUT'));
    case 'clean': return c.green(pad('clean'));
    case 'not-applicable': return c.dim(pad('n/a'));
  }
}

function detail(text: string, o: BlocklistRenderOptions, paint: (s: string) => string = (s) => s): string {
  return paint(wrap(printable(text), o.width, INDENT));
}

function renderZone(z: ZoneResult, zoneWidth: number, o: BlocklistRenderOptions): string[] {
  const c = o.chalk;
  const timing = o.verbose && z.status !== 'not-applicable' ? c.dim(` ${z.ms} ms`) : '';
  const out = [`${tagOf(z, c)}${printable(z.zone).padEnd(zoneWidth)}  ${c.dim(printable(z.name))}${timing}`];
  if (o.verbose && z.query) out.push(detail(`query: ${z.query}`, o, c.dim));
  switch (z.status) {
    case 'listed':
      for (const code of z.codes) out.push(detail(`${code.address}${code.label ? ` ${code.label}` : ''}: ${code.meaning}`, o));
      for (const t of z.txt ?? []) out.push(detail(`TXT: ${t}`, o, c.dim));
      if (z.effect === 'block' && (z.removalUrl ?? z.lookupUrl)) out.push(detail(`Removal: ${z.removalUrl ?? z.lookupUrl}`, o, c.cyan));
      break;
    case 'error':
    case 'timeout':
      if (z.problem) {
        out.push(detail(z.problem.source === 'answer' && z.problem.address && !z.problem.message.includes(z.problem.address) ? `${z.problem.address}: ${z.problem.message}` : z.problem.message, o));
        out.push(detail(`What to do: ${z.problem.fix}`, o, c.cyan));
      }
      break;
    case 'not-applicable':
      if (z.reason) out.push(detail(z.reason, o, c.dim));
      break;
    case 'clean':
      break;
  }
  if (z.ignored && z.status === 'listed') out.push(detail(`Ignored answers outside 127.0.0.0/8: ${z.ignored.join(', ')}`, o, c.dim));
  return out;
}

function kindLabel(k: BlocklistResult['subjectKind']): string {
  return k === 'ipv4' ? 'IPv4 address' : k === 'ipv6' ? 'IPv6 address' : 'domain';
}

export function renderBlocklist(r: BlocklistResult, o: BlocklistRenderOptions): string {
  const c = o.chalk;
  const verdictPaint = r.verdict === 'listed' ? c.red.bold : r.verdict === 'error' ? c.yellow.bold : c.green.bold;
  const summary = verdictPaint(wrap(printable(r.summary), o.width));
  if (o.quiet) return `${summary}\n`;
  const shown = [...r.zones]
    .map((z, i) => ({ z, i }))
    .filter(({ z }) => o.verbose || z.status !== 'not-applicable')
    .sort((a, b) => rank(a.z) - rank(b.z) || a.i - b.i)
    .map(({ z }) => z);
  const zoneWidth = Math.min(40, Math.max(10, ...shown.map((z) => z.zone.length)));
  const c0 = r.counts;
  const head = `Blocklist check of ${printable(r.subject)} (${kindLabel(r.subjectKind)}): ${c0.checked} lists asked${c0.notApplicable > 0 ? `, ${c0.notApplicable} not applicable` : ''}`;
  const out: string[] = [c.bold(head)];
  if (r.registeredDomain) out.push(c.dim(wrap(`Lists of registered domains were asked about ${printable(r.registeredDomain)}.`, o.width)));
  if (r.subjectNote) out.push(c.yellow(wrap(printable(r.subjectNote), o.width)));
  out.push('');
  // A cause shared by several lists is one line (with its remedy), not one block per list;
  // --verbose shows every list's own error.
  const grouped = new Set(o.verbose ? [] : r.failures.filter((g) => g.count >= GROUP_AT).flatMap((g) => g.zones));
  for (const z of shown) if (!grouped.has(z.zone)) out.push(...renderZone(z, zoneWidth, o));
  for (const g of o.verbose ? [] : r.failures.filter((x) => x.count >= GROUP_AT)) {
    out.push(`${(g.cause === 'ETIMEOUT' ? c.yellow : c.yellow)(`${(g.cause === 'ETIMEOUT' ? 'TIMEOUT' : 'ERROR').padEnd(TAG_WIDTH)}`)}${printable(`${g.count} lists: ${g.message}`)}`);
    out.push(detail(`What to do: ${g.fix}`, o, c.cyan));
    out.push(detail(`Lists: ${g.zones.length > 8 ? `${g.zones.slice(0, 8).join(', ')}, … (--verbose shows each)` : g.zones.join(', ')}`, o, c.dim));
  }
  const hidden = r.zones.filter((z) => z.status === 'not-applicable');
  if (!o.verbose && hidden.length > 0) {
    const keyed = hidden.filter((z) => z.reason?.startsWith('needs a key'));
    const why = keyed.length > 0 ? `; ${keyed.length} need a key (${keyed.map((z) => z.zone).join(', ')}), added with --zone KEY.<zone>` : '';
    const text = wrap(`${hidden.length} lists cannot check ${r.subjectKind === 'domain' ? 'a' : 'an'} ${kindLabel(r.subjectKind)}${why}. --verbose shows them.`, o.width, INDENT);
    out.push(c.dim(`${'n/a'.padEnd(TAG_WIDTH)}${text.slice(TAG_WIDTH)}`));
  }
  // One line for a note many zones share (e.g. "refuses public resolvers"), not one per zone.
  const notes = new Map<string, string[]>();
  for (const z of r.zones) if (z.note) notes.set(z.note, [...(notes.get(z.note) ?? []), z.zone]);
  for (const [note, zs] of notes) {
    out.push('');
    out.push(c.yellow(wrap(`Note (${printable(zs.join(', '))}): ${note}`, o.width)));
  }
  out.push('', summary);
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------- --health

function healthRank(h: ZoneHealth): number {
  return { 'lists-everything': 0, dead: 1, error: 2, timeout: 3, ok: 4, 'not-applicable': 5 }[h.status];
}

function healthTag(h: ZoneHealth, c: ChalkInstance): string {
  const pad = (s: string): string => s.padEnd(TAG_WIDTH + 2);
  switch (h.status) {
    case 'lists-everything': return c.red.bold(pad('LISTS ALL'));
    case 'dead': return c.red.bold(pad('DEAD'));
    case 'error': return c.yellow(pad('ERROR'));
    case 'timeout': return c.yellow(pad('TIMEOUT'));
    case 'ok': return c.green(pad('ok'));
    case 'not-applicable': return c.dim(pad('n/a'));
  }
}

export function renderBlocklistHealth(h: HealthResult, o: BlocklistRenderOptions): string {
  const c = o.chalk;
  const bad = h.counts.dead + h.counts.listsEverything;
  const summary = (bad > 0 ? c.red.bold : h.counts.ok === 0 ? c.yellow.bold : c.green.bold)(wrap(h.summary, o.width));
  if (o.quiet) return `${summary}\n`;
  const indent = ' '.repeat(TAG_WIDTH + 2);
  const shown = [...h.zones].map((z, i) => ({ z, i })).filter(({ z }) => o.verbose || z.status !== 'not-applicable')
    .sort((a, b) => healthRank(a.z) - healthRank(b.z) || a.i - b.i).map(({ z }) => z);
  const zoneWidth = Math.min(40, Math.max(10, ...shown.map((z) => z.zone.length)));
  const out = [c.bold(wrap(`RFC 5782 self-test of ${h.counts.total - h.counts.notApplicable} zones: each must list its test entry (127.0.0.2, ::ffff:7f00:2 or TEST) and must not list 127.0.0.1 or INVALID.`, o.width)), ''];
  for (const z of shown) {
    out.push(`${healthTag(z, c)}${printable(z.zone).padEnd(zoneWidth)}  ${c.dim(printable(z.name))}${o.verbose ? c.dim(` ${z.ms} ms`) : ''}`);
    if (z.status !== 'ok' || o.verbose) out.push(wrap(printable(z.message), o.width, indent));
    if (z.fix && z.status !== 'ok') out.push(c.cyan(wrap(`What to do: ${z.fix}`, o.width, indent)));
    if (o.verbose) {
      for (const t of [z.positive, z.negative]) {
        if (t) out.push(c.dim(wrap(printable(`${t.query} → ${t.outcome}${t.answers ? ` (${t.answers.join(', ')})` : ''}`), o.width, indent)));
      }
    }
  }
  if (!o.verbose && h.counts.notApplicable > 0) {
    const text = wrap(`${h.counts.notApplicable} zones need a key (add with --zone KEY.<zone>). --verbose shows them.`, o.width, indent);
    out.push(c.dim(`${'n/a'.padEnd(TAG_WIDTH + 2)}${text.slice(TAG_WIDTH + 2)}`));
  }
  out.push('', summary);
  return `${out.join('\n')}\n`;
}
