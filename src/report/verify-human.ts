// Human rendering of recipient verification: a block for one address, one line per address
// in bulk, the progress line (stderr) and the closing summary. Pure: data in, string out;
// colours from the Chalk handed in. Peer and DNS text goes through printable() first.
import type { ChalkInstance } from 'chalk';
import { printable } from './printable.js';
import type { VerdictKind, VerifyResult } from '../verify/verdict.js';
import { wrap } from './wrap.js';

export interface VerifyRenderOptions {
  chalk: ChalkInstance;
  width: number;
  verbose?: boolean;
  quiet?: boolean;
}

const VERDICT_WIDTH = 14;

function paintVerdict(v: VerdictKind, c: ChalkInstance, text: string = v): string {
  switch (v) {
    case 'deliverable': return c.green.bold(text);
    case 'undeliverable': return c.red.bold(text);
    case 'risky': return c.yellow.bold(text);
    case 'unknown': return c.magenta.bold(text);
  }
}

function flagWords(r: VerifyResult): string[] {
  return [r.flags.role ? 'role account' : '', r.flags.disposable ? 'disposable domain' : '', r.flags.free ? 'free mail provider' : ''].filter(Boolean);
}

function replyLine(r: VerifyResult): string {
  if (!r.reply) return '';
  return printable(`${r.reply.code}${r.reply.enhanced ? ` ${r.reply.enhanced}` : ''} ${r.reply.text.replace(/\s*\n\s*/g, ' ')}`);
}

/** One address in full: the verdict, why, the server's words, catch-all and flags. */
export function renderVerifyDetail(r: VerifyResult, o: VerifyRenderOptions): string {
  const c = o.chalk;
  const head = `${printable(r.address)}: ${paintVerdict(r.verdict, c)}${r.reason !== 'accepted' ? c.dim(` (${r.reason})`) : ''}`;
  if (o.quiet) return `${head}\n`;
  const ind = '  ';
  const out = [head, wrap(printable(r.message), o.width, ind)];
  const said = replyLine(r);
  if (said) out.push(wrap(`${r.mx ? `${printable(r.mx)} said: ` : 'the server said: '}${said}`, o.width, ind));
  if (r.stage === 'rcpt' || r.catchAll !== null) {
    const ca = r.catchAll === true ? c.yellow('yes: the domain accepts any address') : r.catchAll === false ? 'no' : c.dim('not known');
    out.push(`${ind}catch-all: ${ca}`);
  }
  const flags = flagWords(r);
  if (flags.length > 0) out.push(`${ind}flags: ${c.yellow(flags.join(', '))}`);
  if (r.retryAfterSeconds !== undefined) out.push(`${ind}retry after: ${r.retryAfterSeconds} s`);
  if (r.input && o.verbose) out.push(c.dim(`${ind}input: ${printable(r.input)}`));
  if (r.provider && o.verbose) out.push(c.dim(`${ind}reply written by: ${printable(r.provider)}`));
  return `${out.join('\n')}\n`;
}

/** One line per address for bulk runs: verdict, address, reason, host and reply. */
export function renderVerifyLine(r: VerifyResult, o: VerifyRenderOptions): string {
  const c = o.chalk;
  const verdict = paintVerdict(r.verdict, c, r.verdict.padEnd(VERDICT_WIDTH));
  const flags = flagWords(r).map((f) => f.split(' ')[0]);
  const tail = [
    r.reason !== 'accepted' ? r.reason : '',
    r.catchAll === true && r.reason !== 'catchall' ? 'catch-all' : '',
    ...flags,
  ].filter(Boolean).join(', ');
  let line = `${verdict}${printable(r.address)}${tail ? c.dim(` (${tail})`) : ''}`;
  if (!o.quiet) {
    const said = replyLine(r);
    line += said ? c.dim(`  ${r.mx ? `${printable(r.mx)}: ` : ''}${said}`) : r.reply === null && r.verdict !== 'deliverable' ? c.dim(`  ${printable(r.message)}`) : '';
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
  const counts = (['deliverable', 'undeliverable', 'risky', 'unknown'] as const).map((v) => `${n(s.verdicts[v])} ${paintVerdict(v, c)}`).join(', ');
  const rate = s.ms > 0 ? ` (${(s.results / (s.ms / 1000)).toFixed(1)}/s)` : '';
  const lines = [`${s.interrupted ? c.yellow('interrupted: ') : ''}${n(s.results)} address${s.results === 1 ? '' : 'es'} answered in ${duration(s.ms)}${rate}: ${counts}`];
  const extra: string[] = [];
  if (s.duplicates > 0) extra.push(`${n(s.duplicates)} repeated address${s.duplicates === 1 ? '' : 'es'} skipped`);
  if (s.resumed > 0) extra.push(`${n(s.resumed)} already answered in the resume file`);
  if (s.connections > 0) extra.push(`${n(s.connections)} SMTP connection${s.connections === 1 ? '' : 's'}, ${n(s.transactions)} transaction${s.transactions === 1 ? '' : 's'}`);
  if (extra.length > 0) lines.push(c.dim(extra.join('; ')));
  if (s.pending > 0) lines.push(c.yellow(`${n(s.pending)} address${s.pending === 1 ? ' was' : 'es were'} read but not answered; run again with --resume to finish`));
  if (s.dedupeFull) lines.push(c.yellow('the input had more distinct addresses than the dedupe table holds; later repeats were verified again'));
  return `${lines.join('\n')}\n`;
}

export interface VerifyProgress {
  done: number;
  total?: number;
  verdicts: Record<VerdictKind, number>;
  ms: number;
}

/** The one progress line (stderr, a TTY only): done/total, rate, ETA, counts. No colour codes. */
export function renderVerifyProgress(p: VerifyProgress, width: number): string {
  const rate = p.ms > 500 ? p.done / (p.ms / 1000) : 0;
  const parts = [`verify: ${n(p.done)}${p.total !== undefined ? `/${n(p.total)} (${p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100}%)` : ''}`];
  if (rate > 0) parts.push(`${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)}/s`);
  if (rate > 0 && p.total !== undefined && p.total > p.done) parts.push(`ETA ${duration(((p.total - p.done) / rate) * 1000)}`);
  parts.push(`${n(p.verdicts.deliverable)} ok, ${n(p.verdicts.undeliverable)} bad, ${n(p.verdicts.risky)} risky, ${n(p.verdicts.unknown)} unknown`);
  const line = parts.join(' · ');
  return line.length > width - 1 ? line.slice(0, width - 1) : line;
}
