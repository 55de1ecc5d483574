// Human rendering of explanations and comparisons. Pure: data in, string out; colours
// come from the Chalk instance handed in (level 0 for --no-color / NO_COLOR).
import type { ChalkInstance } from 'chalk';
import type { Lang } from '../catalog/data.js';
import type { CodeExplanation, EnhancedExplanation, Explanation } from '../catalog/explain.js';
import type { ReplyFacts } from '../catalog/reply-facts.js';
import type { Comparison } from '../catalog/compare.js';
import { label } from '../catalog/i18n.js';
import { printable } from './printable.js';
import { wrap } from './wrap.js';

export interface RenderOptions { chalk: ChalkInstance; width: number; lang: Lang }

export function colourForClass(chalk: ChalkInstance, cls: string): (s: string) => string {
  switch (cls[0]) {
    case '2': return chalk.green;
    case '3': return chalk.cyan;
    case '4': return chalk.yellow;
    default: return chalk.red;
  }
}

/** "Reason:" in the language's typography ("Raison :" in French), from the codeColon label. */
export function labelColon(lang: Lang, key: string): string {
  return label(lang, 'codeColon', { code: label(lang, key), text: '' }).trimEnd();
}

function section(o: RenderOptions, key: string, text: string | undefined, indent = '  '): string[] {
  if (!text) return [];
  return [o.chalk.bold(`${indent}${label(o.lang, key)}`), wrap(text, o.width, `${indent}  `)];
}

export function renderCodeSection(c: CodeExplanation, o: RenderOptions): string[] {
  const paint = colourForClass(o.chalk, c.class);
  return [
    `${paint(o.chalk.bold(`${c.code} ${c.name}`))} ${o.chalk.dim(`— ${c.className}`)}`,
    ...section(o, 'stageNote', c.stageNote),
    ...section(o, 'description', c.description),
    ...section(o, 'when', c.when),
    ...section(o, 'fix', c.fix),
    ...section(o, 'operatorFix', c.operatorFix),
    // The example is the server's words: shown as sent, never translated.
    ...(c.example ? [o.chalk.bold(`  ${label(o.lang, 'example')}`), o.chalk.dim(wrap(c.example, o.width, '    '))] : []),
    ...fallbackLine(c.fallback, o),
    o.chalk.dim(`  ${labelColon(o.lang, 'learnMore')} ${c.source} — ${c.learnMore}`),
  ];
}

/** Says which fields are shown in English, so a language switch is never silent. */
function fallbackLine(fields: readonly string[] | undefined, o: RenderOptions): string[] {
  if (!fields || fields.length === 0) return [];
  return [o.chalk.dim(wrap(label(o.lang, 'fallbackNote', { fields: fields.map((f) => label(o.lang, f)).join(', ') }), o.width, '  '))];
}

/** Says when the reason's general text stands in for a pattern's own, untranslated one. */
function generalizedLine(fields: readonly string[] | undefined, o: RenderOptions): string[] {
  if (!fields || fields.length === 0) return [];
  return [o.chalk.dim(wrap(label(o.lang, 'generalizedNote'), o.width, '  '))];
}

export function renderEnhancedSection(e: EnhancedExplanation, o: RenderOptions): string[] {
  const paint = colourForClass(o.chalk, e.class === 'X' ? '5' : e.class);
  return [
    `${paint(o.chalk.bold(`${e.code} ${e.title}`))} ${o.chalk.dim(`— ${label(o.lang, 'enhanced')}`)}`,
    o.chalk.dim(`  ${labelColon(o.lang, 'enhancedClass')} ${e.class} ${e.classTitle} · ${labelColon(o.lang, 'enhancedSubject')} ${e.subject} ${e.subjectTitle}`),
    ...section(o, 'classNote', e.classNote),
    ...section(o, 'description', e.description),
    ...section(o, 'when', e.when),
    ...section(o, 'fix', e.fix),
    ...section(o, 'operatorFix', e.operatorFix),
    ...fallbackLine(e.fallback, o),
    o.chalk.dim(`  ${labelColon(o.lang, 'learnMore')} ${e.source} — ${e.learnMore}`),
  ];
}

/** A label, or English words where labels.json has none yet (the key would print otherwise). */
function labelOr(o: RenderOptions, key: string, english: string): string {
  const l = label(o.lang, key);
  return l === key ? english : l;
}

/** The facts a reply text states, as short items: "zone zen.spamhaus.org", "IP 192.0.2.1"... */
export function factItems(f: ReplyFacts | undefined, o: RenderOptions): string[] {
  if (!f) return [];
  const items: string[] = [];
  for (const z of f.zones ?? []) items.push(`${labelOr(o, 'facts.zone', 'zone')} ${z}`);
  for (const ip of f.ips ?? []) items.push(`${labelOr(o, 'facts.ip', 'IP')} ${ip}`);
  for (const c of f.providerCodes ?? []) items.push(`${labelOr(o, 'facts.code', 'code')} ${c}`);
  if (f.retryAfterSeconds !== undefined) items.push(`${labelOr(o, 'facts.retry', 'retry after')} ${f.retryAfterSeconds} s`);
  for (const a of f.addresses ?? []) items.push(a);
  for (const u of f.urls ?? []) items.push(u);
  return items.map(printable);
}

/** What the reply text says beyond its codes: reason, provider, facts, meaning and fix. */
export function renderRecognitionSection(x: Explanation, o: RenderOptions): string[] {
  const r = x.reason;
  if (!r) return [];
  const paint = colourForClass(o.chalk, x.class ?? '5xx');
  const out = [
    `${o.chalk.bold(labelColon(o.lang, 'reason'))} ${paint(o.chalk.bold(r.title))} ${o.chalk.dim(`(${r.name})`)}${r.inferred ? ` ${o.chalk.dim(label(o.lang, 'inferred'))}` : ''}`,
    wrap(r.meaning, o.width, '  '),
    ...section(o, 'fix', r.action),
  ];
  if (x.provider) out.push(`  ${o.chalk.bold(labelColon(o.lang, 'provider'))} ${printable(x.provider)}${r.reference ? o.chalk.dim(` — ${r.reference}`) : ''}`);
  else if (r.reference) out.push(o.chalk.dim(`  ${labelColon(o.lang, 'learnMore')} ${r.reference}`));
  const facts = factItems(x.facts, o);
  if (facts.length) out.push(`  ${o.chalk.bold(labelColon(o.lang, 'facts'))}`, wrap(facts.join(' · '), o.width, '    '));
  return out;
}

export function renderExplanation(x: Explanation, o: RenderOptions): string {
  const out: string[] = [];
  if (x.reply) {
    for (const [i, line] of x.reply.lines.entries()) {
      const sep = i === x.reply.lines.length - 1 ? ' ' : '-';
      out.push(o.chalk.dim(`<- ${x.reply.code}${sep}${x.reply.enhanced ? `${x.reply.enhanced} ` : ''}${printable(line)}`));
    }
    out.push('');
    const rec = renderRecognitionSection(x, o);
    if (rec.length) out.push(...rec, ...fallbackLine(x.reason?.fallback, o), ...generalizedLine(x.reason?.generalized, o), '');
  } else if (x.kind === 'text') {
    // A bounce text without a reply code: its words, then what they say.
    out.push(o.chalk.dim(wrap(printable(x.input), o.width, '  ')), '');
    out.push(...renderRecognitionSection(x, o), ...fallbackLine(x.reason?.fallback, o), ...generalizedLine(x.reason?.generalized, o));
  }
  if (x.code && x.name && x.class && x.className && x.description && x.when && x.fix && x.stages && x.source) {
    out.push(...renderCodeSection(x as CodeExplanation, o));
  }
  if (x.enhanced) {
    if (out.length > 0) out.push('');
    out.push(...renderEnhancedSection(x.enhanced, o));
  }
  return `${out.join('\n')}\n`;
}

/** Table rows with columns padded to the widest cell; the last column wraps under itself. */
function renderTable(rows: string[][], width: number): string[] {
  const len = (t: string): number => [...t].length;
  const cols = rows[0]?.length ?? 0;
  const w = Array.from({ length: cols - 1 }, (_, i) => Math.max(...rows.map((r) => len(r[i] ?? ''))));
  return rows.map((r) => {
    const prefix = `  ${r.slice(0, -1).map((cell, i) => cell + ' '.repeat((w[i] ?? 0) - len(cell))).join('  ')}  `;
    const pad = ' '.repeat(len(prefix));
    return wrap(r[cols - 1] ?? '', width, pad).replace(pad, prefix).trimEnd();
  });
}

export function renderComparison(c: Comparison, o: RenderOptions): string {
  const out: string[] = [o.chalk.bold(wrap(c.title, o.width)), wrap(c.summary, o.width), ''];
  for (const x of c.codes) out.push(...renderCodeSection(x, o), '');
  // The facts that tell the codes apart, one row per code.
  const head = ['table.code', 'table.class', 'table.retry', 'table.actor'].map((k) => label(o.lang, k));
  const [first, ...rest] = renderTable([head, ...c.table.map((r) => [r.code, r.class, r.retryShort, r.actorShort])], o.width);
  out.push(o.chalk.bold(label(o.lang, 'comparisonTable')), o.chalk.dim(first ?? ''), ...rest, '');
  out.push(
    o.chalk.bold(label(o.lang, 'keyDifferences')),
    // Hanging indent: continuation lines line up under the text, not under the number.
    ...c.differences.map((d, i) => wrap(`${i + 1}. ${d}`, o.width, '     ').replace(/^ {5}/, '  ')),
    '',
    o.chalk.bold(label(o.lang, 'whenToUseWhich')),
    ...c.whenToUse.map((w) => wrap(`• ${w}`, o.width, '    ').replace(/^ {4}/, '  ')),
    ...fallbackLine(c.fallback, o),
  );
  return `${out.join('\n')}\n`;
}
