// Human rendering of recipient verification: a block for one address, one line per address
// in bulk, the progress line (stderr) and the closing summary. Pure: data in, string out;
// colours from the Chalk handed in. Peer and DNS text goes through printable() first.
import type { ChalkInstance } from 'chalk';
import type { Lang } from '../catalog/data.js';
import { localize, t } from '../catalog/messages.js';
import { printable } from './printable.js';
import type { VerdictKind, VerifyResult } from '../verify/verdict.js';
import { wrap } from './wrap.js';
import { localizedReasonTitle } from '../catalog/reason-text.js';
import type { Reason } from '../catalog/pattern-compiler.js';
import '../catalog/reason-values.js';

export interface VerifyRenderOptions {
  chalk: ChalkInstance;
  width: number;
  verbose?: boolean;
  quiet?: boolean;
  lang?: Lang;
}

const VERDICT_WIDTH = 14;

function paintVerdict(v: VerdictKind, c: ChalkInstance, text: string = v): string {
  // (the word itself comes localised from the caller)
  switch (v) {
    case 'deliverable': return c.green.bold(text);
    case 'undeliverable': return c.red.bold(text);
    case 'risky': return c.yellow.bold(text);
    case 'unknown': return c.magenta.bold(text);
  }
}

function flagWords(r: VerifyResult, lang: Lang): string[] {
  return [r.flags.role ? t(lang, 'verify.flag.role') : '', r.flags.disposable ? t(lang, 'verify.flag.disposable') : '', r.flags.free ? t(lang, 'verify.flag.free') : ''].filter(Boolean);
}

const L = (o: VerifyRenderOptions): Lang => o.lang ?? 'en';

const OWN_REASONS = new Set(['catchall', 'timeout', 'nosmtputf8', 'backupmx']);
/** The reason as shown: the name itself in English (the JSON's value, which scripts and
 *  people grep for), its title in the user's language otherwise. */
function reasonShown(reason: VerifyResult['reason'], lang: Lang): string {
  if (lang === 'en') return reason;
  if (OWN_REASONS.has(reason)) return t(lang, `verify.reason.${reason}`);
  return localizedReasonTitle(reason as Reason, lang);
}
const word = (v: VerdictKind, lang: Lang): string => t(lang, `verify.verdict.${v}`);

function replyLine(r: VerifyResult): string {
  if (!r.reply) return '';
  return printable(`${r.reply.code}${r.reply.enhanced ? ` ${r.reply.enhanced}` : ''} ${r.reply.text.replace(/\s*\n\s*/g, ' ')}`);
}

/** One address in full: the verdict, why, the server's words, catch-all and flags. */
export function renderVerifyDetail(r: VerifyResult, o: VerifyRenderOptions): string {
  const c = o.chalk;
  const lang = L(o);
  const head = `${printable(r.address)}: ${paintVerdict(r.verdict, c, word(r.verdict, lang))}${r.reason !== 'accepted' ? c.dim(` (${printable(reasonShown(r.reason, lang))})`) : ''}`;
  if (o.quiet) return `${head}\n`;
  const ind = '  ';
  const out = [head, wrap(printable(localize(lang, r.message)), o.width, ind)];
  const said = replyLine(r);
  if (said) out.push(wrap(r.mx ? t(lang, 'verify.said', { mx: printable(r.mx), reply: said }) : t(lang, 'verify.server-said', { reply: said }), o.width, ind));
  if (r.stage === 'rcpt' || r.catchAll !== null) {
    const ca = r.catchAll === true ? c.yellow(t(lang, 'verify.catch-all.yes')) : r.catchAll === false ? t(lang, 'verify.catch-all.no') : c.dim(t(lang, 'verify.catch-all.unknown'));
    out.push(`${ind}${t(lang, 'verify.label.catch-all', { value: ca })}`);
  }
  const flags = flagWords(r, lang);
  if (flags.length > 0) out.push(`${ind}${t(lang, 'verify.label.flags', { value: c.yellow(flags.join(', ')) })}`);
  if (r.retryAfterSeconds !== undefined) out.push(`${ind}${t(lang, 'verify.label.retry', { seconds: r.retryAfterSeconds })}`);
  if (r.input && o.verbose) out.push(c.dim(`${ind}${t(lang, 'verify.label.input', { value: printable(r.input) })}`));
  if (r.provider && o.verbose) out.push(c.dim(`${ind}${t(lang, 'verify.label.provider', { value: printable(r.provider) })}`));
  return `${out.join('\n')}\n`;
}

/** One line per address for bulk runs: verdict, address, reason, host and reply. */
export function renderVerifyLine(r: VerifyResult, o: VerifyRenderOptions): string {
  const c = o.chalk;
  const lang = L(o);
  const width = Math.max(VERDICT_WIDTH, ...(['deliverable', 'undeliverable', 'risky', 'unknown'] as const).map((v) => word(v, lang).length + 1));
  const verdict = paintVerdict(r.verdict, c, word(r.verdict, lang).padEnd(width));
  // In English the flags' short forms are the JSON's words (role, disposable, free); other
  // languages get the flags' own words.
  const flags = lang === 'en' ? flagWords(r, 'en').map((f) => f.split(' ')[0]) : flagWords(r, lang);
  const tail = [
    r.reason !== 'accepted' ? reasonShown(r.reason, lang) : '',
    r.catchAll === true && r.reason !== 'catchall' ? 'catch-all' : '',
    ...flags,
  ].filter(Boolean).join(', ');
  let line = `${verdict}${printable(r.address)}${tail ? c.dim(` (${tail})`) : ''}`;
  if (!o.quiet) {
    const said = replyLine(r);
    line += said ? c.dim(`  ${r.mx ? `${printable(r.mx)}: ` : ''}${said}`) : r.reply === null && r.verdict !== 'deliverable' ? c.dim(`  ${printable(localize(lang, r.message))}`) : '';
  }
  return `${line}\n`;
}

export interface VerifySummary {
  results: number;
  verdicts: Record<VerdictKind, number>;
  duplicates: number;
  resumed: number;
  connections: number;
  transactions: number;
  ms: number;
  /** Read but not answered (Ctrl-C). */
  pending: number;
  interrupted: boolean;
  dedupeFull: boolean;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const n = (x: number): string => x.toLocaleString('en-US');

/** The closing summary of a bulk run. */
export function renderVerifySummary(s: VerifySummary, o: VerifyRenderOptions): string {
  const c = o.chalk;
  const lang = L(o);
  const counts = (['deliverable', 'undeliverable', 'risky', 'unknown'] as const).map((v) => `${n(s.verdicts[v])} ${paintVerdict(v, c, word(v, lang))}`).join(', ');
  const rate = s.ms > 0 ? ` (${(s.results / (s.ms / 1000)).toFixed(1)}/s)` : '';
  // English keeps its own plurals (tests and scripts read them); other languages use the catalog.
  const en = lang === 'en';
  const head = en
    ? `${n(s.results)} address${s.results === 1 ? '' : 'es'} answered in ${duration(s.ms)}${rate}: ${counts}`
    : t(lang, s.results === 1 ? 'verify.summary.one' : 'verify.summary.many', { n: n(s.results), duration: `${duration(s.ms)}${rate}`, counts });
  const lines = [`${s.interrupted ? c.yellow(`${t(lang, 'verify.summary.interrupted')} `) : ''}${head}`];
  const extra: string[] = [];
  if (s.duplicates > 0) extra.push(en ? `${n(s.duplicates)} repeated address${s.duplicates === 1 ? '' : 'es'} skipped` : t(lang, 'verify.summary.duplicates', { n: n(s.duplicates) }));
  if (s.resumed > 0) extra.push(t(lang, 'verify.summary.resumed', { n: n(s.resumed) }));
  if (s.connections > 0) extra.push(en ? `${n(s.connections)} SMTP connection${s.connections === 1 ? '' : 's'}, ${n(s.transactions)} transaction${s.transactions === 1 ? '' : 's'}` : t(lang, 'verify.summary.connections', { n: n(s.connections), t: n(s.transactions) }));
  if (extra.length > 0) lines.push(c.dim(extra.join('; ')));
  if (s.pending > 0) lines.push(c.yellow(en ? `${n(s.pending)} address${s.pending === 1 ? ' was' : 'es were'} read but not answered; run again with --resume to finish` : t(lang, 'verify.summary.pending', { n: n(s.pending) })));
  if (s.dedupeFull) lines.push(c.yellow(t(lang, 'verify.summary.dedupe-full')));
  return `${lines.join('\n')}\n`;
}

export interface VerifyProgress {
  done: number;
  total?: number;
  verdicts: Record<VerdictKind, number>;
  ms: number;
}

/** The one progress line (stderr, a TTY only): done/total, rate, ETA, counts. No colour codes. */
export function renderVerifyProgress(p: VerifyProgress, width: number, lang: Lang = 'en'): string {
  const rate = p.ms > 500 ? p.done / (p.ms / 1000) : 0;
  const parts = [`verify: ${n(p.done)}${p.total !== undefined ? `/${n(p.total)} (${p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100}%)` : ''}`];
  if (rate > 0) parts.push(`${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)}/s`);
  if (rate > 0 && p.total !== undefined && p.total > p.done) parts.push(t(lang, 'verify.progress.eta', { duration: duration(((p.total - p.done) / rate) * 1000) }));
  parts.push(t(lang, 'verify.progress.counts', { ok: n(p.verdicts.deliverable), bad: n(p.verdicts.undeliverable), risky: n(p.verdicts.risky), unknown: n(p.verdicts.unknown) }));
  const line = parts.join(' · ');
  return line.length > width - 1 ? line.slice(0, width - 1) : line;
}
