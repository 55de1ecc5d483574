// `smtp-probe explain <code|x.y.z|"reply text"|-> [more...]`: catalog lookups, the comparison of two or more codes,
// and `-`: reply lines from standard input (a mail log, bounces), one classification per line,
// streamed. The catalog is imported lazily so other commands do not pay for it.
import { Command } from 'commander';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { presentation, type CliContext, type Presentation } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../../errors.js';
import { say } from '../../catalog/messages.js';
import { TRANSCRIPT_MARK } from '../../catalog/reply-normalize.js';

// A multi-line reply is "550-..." lines closed by "550 ..."; a peer that never closes one is
// cut after this many lines (the reply reader's own bound).
const MAX_REPLY_LINES = 100;
const CONTINUATION = /^\s*([2-5][0-9][0-9])-/;
const FINAL = /^\s*([2-5][0-9][0-9])(?: |$)/;
const STAGES = ['banner', 'ehlo', 'helo', 'starttls', 'auth', 'mail', 'rcpt', 'data'];

/** One unit of input: a single line, or the lines of one multi-line reply, with its first line number. */
export interface InputReply { line: number; text: string }

/** Whether a "NNN-..." line already holds its reply's last line ("... NNN text"), as a log line does. */
function selfContained(line: string, code: string): boolean {
  return new RegExp(`\\s${code}(?: |$)`).test(line.slice(line.indexOf(code) + 4));
}

/**
 * Groups lines into items as they come. One input line is one item; lines are joined only when
 * they are the continuation lines of one reply: "550-a", "550-b", then "550 c" (same code). A
 * line that carries a whole multi-line reply (a Postfix log line "… said: 550-5.7.26 a
 * 550-5.7.26 b 550 5.7.26 c") is one item. An unfinished reply ends at any other line.
 */
export class ReplyLineGrouper {
  private pending: { code: string; lines: string[]; first: number } | null = null;

  /** Feeds one line; returns the items it completes (zero, one or two). */
  push(line: string, lineNo: number): InputReply[] {
    const out: InputReply[] = [];
    // A session transcript marks the server's lines ("<<< 550-…"): the codes follow the marker.
    const bare = line.trimStart().replace(TRANSCRIPT_MARK, '');
    let cont = CONTINUATION.exec(bare);
    if (cont && selfContained(bare, cont[1] as string)) cont = null;
    const fin = cont ? null : FINAL.exec(bare);
    if (this.pending) {
      const code = (cont ?? fin)?.[1];
      if (code === this.pending.code && line.trim() !== '') {
        this.pending.lines.push(line);
        if (fin || this.pending.lines.length >= MAX_REPLY_LINES) out.push(this.take());
        return out;
      }
      out.push(this.take());
    }
    if (line.trim() === '') return out;
    if (cont) this.pending = { code: cont[1] as string, lines: [line], first: lineNo };
    else out.push({ line: lineNo, text: line });
    return out;
  }

  /** The unfinished reply at the end of input, if any. */
  end(): InputReply[] {
    return this.pending ? [this.take()] : [];
  }

  private take(): InputReply {
    const p = this.pending as { code: string; lines: string[]; first: number };
    this.pending = null;
    return { line: p.first, text: p.lines.join('\n') };
  }
}

async function explainStdin(ctx: CliContext, p: Presentation, stage: string | undefined): Promise<void> {
  const [{ classifyReply, parseReplyText }, { lineJson }, { colourForClass, factItems }, { label }, { printable }] = await Promise.all([
    import('../../catalog/match-text.js'),
    import('../../catalog/explain-json.js'),
    import('../../report/explain-human.js'),
    import('../../catalog/i18n.js'),
    import('../../report/printable.js'),
  ]);
  const out = ctx.io.stdout;
  const ro = { chalk: p.chalk, width: p.width, lang: p.lang };
  const write = async (s: string): Promise<void> => {
    // Respect the pipe's back-pressure: a million-line log must not pile up in memory.
    if (!out.write(s)) await once(out, 'drain');
  };
  const emit = async (r: InputReply): Promise<void> => {
    const input = stage ? { text: r.text, stage } : { text: r.text };
    const parsed = parseReplyText(input);
    const c = classifyReply(input);
    if (p.json) {
      const o = lineJson(r, parsed, c, p.lang);
      await write(`${JSON.stringify(o)}\n`);
      return;
    }
    const paint = colourForClass(p.chalk, parsed.code !== undefined ? String(parsed.code) : parsed.enhanced ?? '5');
    const codes = [parsed.code, parsed.enhanced].filter((v) => v !== undefined).join(' ');
    const facts = factItems(c.facts, ro).filter((f) => !/^https?:/.test(f));
    const head = `${String(r.line).padStart(6)}  ${paint(c.reason.padEnd(15))} ${printable(c.provider ?? '-').padEnd(18)} ${printable(codes).padEnd(10)}`;
    // Input lines are echoed: cleaned like any peer text (a log line may carry escapes).
    const tail = printable(facts.length ? facts.join(' · ') : parsed.text);
    // On a terminal a line fits the width; into a pipe or file it stays whole, for grep.
    const room = ctx.io.stdoutIsTTY ? Math.max(20, p.width - 53) : Infinity;
    await write(`${head} ${tail.length > room ? `${tail.slice(0, room - 1)}…` : tail}${c.inferred ? p.chalk.dim(` ${label(p.lang, 'inferred')}`) : ''}\n`);
  };

  const rl = createInterface({ input: ctx.io.stdin, crlfDelay: Infinity });
  const grouper = new ReplyLineGrouper();
  let lineNo = 0;
  try {
    for await (const line of rl) {
      if (ctx.io.signal.aborted) break;
      lineNo++;
      for (const r of grouper.push(line, lineNo)) await emit(r);
    }
    for (const r of grouper.end()) await emit(r);
  } finally {
    rl.close();
  }
  if (ctx.io.signal.aborted) ctx.exitCode = ExitCode.interrupted;
}

export function explainCommand(ctx: CliContext): Command {
  return new Command('explain')
    .description('explain a reply code (550), an enhanced status code (5.7.26) or a whole reply text; two codes give a comparison; - reads replies from stdin')
    .argument('<code>', 'reply code, enhanced status code, quoted reply text, or - to classify reply lines from stdin')
    .argument('[more...]', 'more reply codes: two or more codes give a comparison (explain 220 250 500 550 554)')
    .option('--stage <stage>', 'with -: the SMTP stage the replies came at (banner, ehlo, mail, rcpt, data)')
    .addHelpText(
      'after',
      `
Examples:
  smtp-probe explain 550
  smtp-probe explain 5.7.26
  smtp-probe explain "550-5.1.1 <bob@example.com>: Recipient address rejected: User unknown"
  smtp-probe explain 220 554            compare two codes
  smtp-probe explain 220 250 500 550 554   a comparison table of several codes
  smtp-probe explain 421 --lang fr --json
  grep 'said: [45]' /var/log/mail.log | smtp-probe explain -          one line per reply
  smtp-probe explain - --json < replies.txt                            JSON Lines`,
    )
    .action(async (first: string, more: string[], opts: { stage?: string }, cmd: Command) => {
      const second = more.length > 0 ? more[0] : undefined;
      const p = presentation(ctx, cmd);
      if (first === '-') {
        if (second !== undefined) throw new UsageError(say('usage.explain.stdin-second'));
        if (opts.stage !== undefined && !STAGES.includes(opts.stage)) {
          throw new UsageError(say('usage.explain.stage', { stage: opts.stage, stages: STAGES.join(', ') }));
        }
        await explainStdin(ctx, p, opts.stage);
        return;
      }
      if (opts.stage !== undefined) throw new UsageError(say('usage.explain.stage-needs-stdin'));
      const [{ explainInputs }, { compareMany }, render, json] = await Promise.all([
        import('../../catalog/explain.js'),
        import('../../catalog/compare.js'),
        import('../../report/explain-human.js'),
        import('../../catalog/explain-json.js'),
      ]);
      const ro = { chalk: p.chalk, width: p.width, lang: p.lang };
      if (second !== undefined) {
        const c = compareMany([first, ...more], p.lang);
        ctx.io.stdout.write(p.json ? `${JSON.stringify(json.comparisonJson(c), null, 2)}\n` : render.renderComparison(c, ro));
        return;
      }
      // A text holding several replies explains each (never the last one alone).
      const xs = explainInputs(first, p.lang);
      if (xs.length === 1) {
        const x = xs[0]!;
        ctx.io.stdout.write(p.json ? `${JSON.stringify(json.explanationJson(x), null, 2)}\n` : render.renderExplanation(x, ro));
      } else {
        ctx.io.stdout.write(p.json ? `${JSON.stringify(json.repliesJson(first, p.lang, xs), null, 2)}\n` : xs.map((x) => render.renderExplanation(x, ro)).join('\n'));
      }
    });
}
