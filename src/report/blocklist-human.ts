// Human rendering of a blocklist check and of the zones' RFC 5782 self-test. Pure: data in,
// string out; colours come from the Chalk instance handed in (level 0 for --no-color).
// Everything that came from DNS (TXT records above all) goes through printable(), so a
// list's server cannot put escape sequences on the user's terminal.
import type { ChalkInstance } from 'chalk';
import type { Lang } from '../catalog/data.js';
import { localize, t } from '../catalog/messages.js';
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
  lang?: Lang;
}

/** From this many lists failing the same way, they share one line. */
const GROUP_AT = 3;
const TAGS = ['allowed', 'noted', 'listed', 'error', 'timeout', 'clean', 'na'] as const;
/** The tag column fits the language's longest tag (10 in English). */
const tagWidth = (lang: Lang): number => Math.max(10, ...TAGS.map((k) => t(lang, `bl.tag.${k}`).length + 2));
const L = (o: BlocklistRenderOptions): Lang => o.lang ?? 'en';

/** Listed first (problems, then information, then good news), then failures, clean, not asked. */
function rank(z: ZoneResult): number {
  if (z.status === 'listed') return z.effect === 'block' ? 0 : z.effect === 'neutral' ? 1 : 2;
  return { error: 3, timeout: 4, clean: 5, 'not-applicable': 6, listed: 0 }[z.status];
}

function tagOf(z: ZoneResult, c: ChalkInstance, lang: Lang): string {
  const pad = (k: string): string => t(lang, `bl.tag.${k}`).padEnd(tagWidth(lang));
  switch (z.status) {
    case 'listed':
      if (z.effect === 'allow') return c.green.bold(pad('allowed'));
      if (z.effect === 'neutral') return c.yellow.bold(pad('noted'));
      return c.red.bold(pad('listed'));
    case 'error': return c.yellow(pad('error'));
    case 'timeout': return c.yellow(pad('timeout'));
    case 'clean': return c.green(pad('clean'));
    case 'not-applicable': return c.dim(pad('na'));
  }
}

function detail(text: string, o: BlocklistRenderOptions, paint: (s: string) => string = (s) => s): string {
  return paint(wrap(printable(text), o.width, ' '.repeat(tagWidth(L(o)))));
}

function renderZone(z: ZoneResult, zoneWidth: number, o: BlocklistRenderOptions): string[] {
  const c = o.chalk;
  const timing = o.verbose && z.status !== 'not-applicable' ? c.dim(` ${z.ms} ms`) : '';
  const lang = L(o);
  const out = [`${tagOf(z, c, lang)}${printable(z.zone).padEnd(zoneWidth)}  ${c.dim(printable(z.name))}${timing}`];
  if (o.verbose && z.query) out.push(detail(t(lang, 'bl.query', { query: z.query }), o, c.dim));
  switch (z.status) {
    case 'listed':
      // The answer's meaning in the language asked for (data/dnsbl-zones.i18n.json); a label
      // that is an English description rather than a list's name shows in English only.
      for (const code of z.codes) out.push(detail(t(lang, 'common.subject-text', { subjectMsg: `${code.address}${code.label ? ` ${code.label}` : ''}`, textMsg: code.meaning }), o));
      for (const t of z.txt ?? []) out.push(detail(`TXT: ${t}`, o, c.dim));
      if (z.effect === 'block' && (z.removalUrl ?? z.lookupUrl)) out.push(detail(t(lang, 'bl.removal', { url: z.removalUrl ?? z.lookupUrl ?? '' }), o, c.cyan));
      break;
    case 'error':
    case 'timeout':
      if (z.problem) {
        out.push(detail(localize(lang, z.problem.source === 'answer' && z.problem.address && !z.problem.message.includes(z.problem.address) ? `${z.problem.address}: ${z.problem.message}` : z.problem.message), o));
        out.push(detail(t(lang, 'bl.what-to-do', { fix: localize(lang, z.problem.fix) }), o, c.cyan));
      }
      break;
    case 'not-applicable':
      if (z.reason) out.push(detail(localize(lang, z.reason), o, c.dim));
      break;
    case 'clean':
      break;
  }
  if (z.ignored && z.status === 'listed') out.push(detail(t(lang, 'bl.ignored', { list: z.ignored.join(', ') }), o, c.dim));
  return out;
}

function kindLabel(k: BlocklistResult['subjectKind'], lang: Lang): string {
  return t(lang, k === 'ipv4' ? 'bl.kind.ipv4' : k === 'ipv6' ? 'bl.kind.ipv6' : 'bl.kind.domain');
}

export function renderBlocklist(r: BlocklistResult, o: BlocklistRenderOptions): string {
  const c = o.chalk;
  const verdictPaint = r.verdict === 'listed' ? c.red.bold : r.verdict === 'error' ? c.yellow.bold : c.green.bold;
  const lang = L(o);
  const TAG_WIDTH = tagWidth(lang);
  const INDENT = ' '.repeat(TAG_WIDTH);
  const summary = verdictPaint(wrap(printable(localize(lang, r.summary)), o.width));
  if (o.quiet) return `${summary}\n`;
  const shown = [...r.zones]
    .map((z, i) => ({ z, i }))
    .filter(({ z }) => o.verbose || z.status !== 'not-applicable')
    .sort((a, b) => rank(a.z) - rank(b.z) || a.i - b.i)
    .map(({ z }) => z);
  const zoneWidth = Math.min(40, Math.max(10, ...shown.map((z) => z.zone.length)));
  const c0 = r.counts;
  const head = t(lang, c0.notApplicable > 0 ? 'bl.head-na' : 'bl.head', { subject: printable(r.subject), kind: kindLabel(r.subjectKind, lang), n: c0.checked, na: c0.notApplicable });
  const out: string[] = [c.bold(head)];
  if (r.registeredDomain) out.push(c.dim(wrap(t(lang, 'bl.registered', { domain: printable(r.registeredDomain) }), o.width)));
  if (r.subjectNote) out.push(c.yellow(wrap(printable(localize(lang, r.subjectNote)), o.width)));
  out.push('');
  // A cause shared by several lists is one line (with its remedy), not one block per list;
  // --verbose shows every list's own error.
  const grouped = new Set(o.verbose ? [] : r.failures.filter((g) => g.count >= GROUP_AT).flatMap((g) => g.zones));
  for (const z of shown) if (!grouped.has(z.zone)) out.push(...renderZone(z, zoneWidth, o));
  for (const g of o.verbose ? [] : r.failures.filter((x) => x.count >= GROUP_AT)) {
    out.push(`${c.yellow(t(lang, g.cause === 'ETIMEOUT' ? 'bl.tag.timeout' : 'bl.tag.error').padEnd(TAG_WIDTH))}${printable(t(lang, 'bl.group', { n: g.count, messageMsg: g.message }))}`);
    out.push(detail(t(lang, 'bl.what-to-do', { fix: localize(lang, g.fix) }), o, c.cyan));
    out.push(detail(t(lang, 'bl.lists', { zones: g.zones.length > 8 ? `${g.zones.slice(0, 8).join(', ')}, … ${t(lang, 'bl.verbose-each')}` : g.zones.join(', ') }), o, c.dim));
  }
  const hidden = r.zones.filter((z) => z.status === 'not-applicable');
  if (!o.verbose && hidden.length > 0) {
    const keyed = hidden.filter((z) => z.reason?.startsWith('needs a key'));
    const kindMsg = lang === 'en' ? `${r.subjectKind === 'domain' ? 'a' : 'an'} ${kindLabel(r.subjectKind, lang)}` : kindLabel(r.subjectKind, lang);
    const line = keyed.length > 0
      ? t(lang, 'bl.na-line-keys', { n: hidden.length, kindMsg, k: keyed.length, zones: keyed.map((z) => z.zone).join(', ') })
      : t(lang, 'bl.na-line', { n: hidden.length, kindMsg });
    const text = wrap(`${' '.repeat(TAG_WIDTH)}${line}`, o.width, INDENT);
    out.push(c.dim(`${t(lang, 'bl.tag.na').padEnd(TAG_WIDTH)}${text.slice(TAG_WIDTH)}`));
  }
  // One line for a note many zones share (e.g. "refuses public resolvers"), not one per zone.
  const notes = new Map<string, string[]>();
  for (const z of r.zones) if (z.note) notes.set(z.note, [...(notes.get(z.note) ?? []), z.zone]);
  for (const [note, zs] of notes) {
    out.push('');
    out.push(c.yellow(wrap(t(lang, 'bl.note', { zones: printable(zs.join(', ')), noteMsg: localize(lang, note) }), o.width)));
  }
  out.push('', summary);
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------- --health

function healthRank(h: ZoneHealth): number {
  return { 'lists-everything': 0, dead: 1, error: 2, timeout: 3, ok: 4, 'not-applicable': 5 }[h.status];
}

/** The health tags' column: two wider than the check's (LISTS ALL). */
const healthWidth = (lang: Lang): number => Math.max(tagWidth(lang), t(lang, 'bl.tag.lists-all').length, t(lang, 'bl.tag.dead').length) + 2;

function healthTag(h: ZoneHealth, c: ChalkInstance, lang: Lang): string {
  const pad = (k: string): string => t(lang, k).padEnd(healthWidth(lang));
  switch (h.status) {
    case 'lists-everything': return c.red.bold(pad('bl.tag.lists-all'));
    case 'dead': return c.red.bold(pad('bl.tag.dead'));
    case 'error': return c.yellow(pad('bl.tag.error'));
    case 'timeout': return c.yellow(pad('bl.tag.timeout'));
    case 'ok': return c.green(pad('word.ok'));
    case 'not-applicable': return c.dim(pad('bl.tag.na'));
  }
}

export function renderBlocklistHealth(h: HealthResult, o: BlocklistRenderOptions): string {
  const c = o.chalk;
  const bad = h.counts.dead + h.counts.listsEverything;
  const lang = L(o);
  const W = healthWidth(lang);
  const summary = (bad > 0 ? c.red.bold : h.counts.ok === 0 ? c.yellow.bold : c.green.bold)(wrap(localize(lang, h.summary), o.width));
  if (o.quiet) return `${summary}\n`;
  const indent = ' '.repeat(W);
  const shown = [...h.zones].map((z, i) => ({ z, i })).filter(({ z }) => o.verbose || z.status !== 'not-applicable')
    .sort((a, b) => healthRank(a.z) - healthRank(b.z) || a.i - b.i).map(({ z }) => z);
  const zoneWidth = Math.min(40, Math.max(10, ...shown.map((z) => z.zone.length)));
  const out = [c.bold(wrap(t(lang, 'bl.health.head', { n: h.counts.total - h.counts.notApplicable }), o.width)), ''];
  for (const z of shown) {
    out.push(`${healthTag(z, c, lang)}${printable(z.zone).padEnd(zoneWidth)}  ${c.dim(printable(z.name))}${o.verbose ? c.dim(` ${z.ms} ms`) : ''}`);
    if (z.status !== 'ok' || o.verbose) out.push(wrap(printable(localize(lang, z.message)), o.width, indent));
    if (z.fix && z.status !== 'ok') out.push(c.cyan(wrap(t(lang, 'bl.what-to-do', { fix: localize(lang, z.fix) }), o.width, indent)));
    if (o.verbose) {
      for (const x of [z.positive, z.negative]) {
        if (x) out.push(c.dim(wrap(printable(`${x.query} → ${x.outcome}${x.answers ? ` (${x.answers.join(', ')})` : ''}`), o.width, indent)));
      }
    }
  }
  if (!o.verbose && h.counts.notApplicable > 0) {
    const text = wrap(`${indent}${t(lang, 'bl.health.na', { n: h.counts.notApplicable })}`, o.width, indent);
    out.push(c.dim(`${t(lang, 'bl.tag.na').padEnd(W)}${text.slice(W)}`));
  }
  out.push('', summary);
  return `${out.join('\n')}\n`;
}
