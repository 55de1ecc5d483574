// `smtp-probe verify <address...>` and `--file list.txt|-`: flags → VerifyOptions → verify()
// → results streamed to stdout (text, JSON Lines or CSV) as they come, progress on a TTY
// stderr, a summary at the end. Ctrl-C: what is answered is written, exit 130. One address:
// the exit code is its verdict's; several or a file: 0 when the run completed.
import { Command, InvalidArgumentError, Option } from 'commander';
import { createReadStream, fstatSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { UsageError } from '../../errors.js';
import type { VerifyResult } from '../../verify/verdict.js';
import { presentation, type CliContext, type Presentation } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { parseDuration, resolverFromFlags, type ResolverFlags } from '../options.js';
import { defaultHelo } from './probe.js';
import { addConnectionFlags, connectionOptions, type ConnectionFlags } from '../connection-flags.js';
import { printable } from '../../report/printable.js';
import { addQueueNameFlag, SOURCE_IP_HELP, type QueueFlags } from '../queue-flags.js';
import { say } from '../../catalog/messages.js';
import { osErrorText } from '../../catalog/os-errors.js';
import { cliLine } from '../stderr-lang.js';

export interface VerifyFlags extends ResolverFlags, ConnectionFlags, QueueFlags {
  status?: boolean;
  file?: string;
  column?: string;
  csv?: boolean;
  from: string;
  helo?: string;
  port: number;
  catchAllCheck: boolean;
  waitGreylist?: number;
  batch: number;
  concurrency: number;
  perHost: number;
  rate: number;
  resume?: string;
  retryUnknown?: boolean;
  merge?: string;
  dedupe: boolean;
  readAhead?: number;
}

/** The exit code of one address's result (DESIGN.md table). */
export function exitCodeForResult(r: VerifyResult): ExitCodeValue {
  switch (r.verdict) {
    case 'deliverable': return ExitCode.ok;
    case 'risky':
      // A catch-all accepted the recipient; a full or disabled mailbox was refused.
      if (r.reason === 'catchall') return ExitCode.ok;
      return r.temporary ? ExitCode.temporary : ExitCode.rejected;
    case 'undeliverable':
      if (r.stage === 'syntax') return ExitCode.usage;
      return r.reason === 'notaccept' ? ExitCode.rejected : ExitCode.noSuchUser;
    case 'unknown':
      if (r.reason === 'timeout') return ExitCode.timeout;
      if (r.reply === null && r.temporary) return ExitCode.network; // DNS, connect, lost connection
      return r.temporary ? ExitCode.temporary : ExitCode.rejected;
  }
}

const intArg = (name: string, min: number, max: number) => (v: string): number => {
  if (!/^[0-9]+$/.test(v.trim()) || Number(v) < min || Number(v) > max) throw new InvalidArgumentError(say('usage.int-range', { name, min, max }));
  return Number(v);
};

/** --rate 20, 20/s, 600/m: RCPT TO per second per mail host. */
export function parseRate(v: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(?:\/(s|m|h))?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError(say('usage.rate.bad', { value: v }));
  const per = m[2] === 'm' ? 60 : m[2] === 'h' ? 3600 : 1;
  return Number(m[1]) / per;
}

/**
 * Write with backpressure: a slow pipe slows the run instead of filling memory. Both
 * listeners are removed whichever fires (none pile up on a slow pipe), and a write error
 * (a closed pipe, a full disk) ends the run with its own message instead of being swallowed.
 */
export async function writeOut(w: Writable, s: string): Promise<void> {
  if (w.write(s)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (e?: Error): void => {
      w.off('drain', onDrain);
      w.off('error', onError);
      w.off('close', onClose);
      if (e) reject(e);
      else resolve();
    };
    const onDrain = (): void => done();
    const onError = (e: Error): void => done(new OutputError(say('verify.output-failed', { reasonMsg: osErrorText(e) }), { cause: e }));
    const onClose = (): void => done(new OutputError(say('verify.output-closed')));
    w.on('drain', onDrain);
    w.on('error', onError);
    w.on('close', onClose);
  });
}

/** The output could not be written: what was written stays, and the run stops (exit 3). */
export class OutputError extends Error {}

/**
 * Before a resume: cut a torn last line off the resume file (everything after its last line
 * break: the previous run died mid-write), and tell whether standard output is that same file.
 */
async function prepareResume(path: string, stdout: Writable): Promise<{ removed: number; size: number; sameAsStdout: boolean }> {
  let fh;
  try {
    fh = await open(path, 'r+');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { removed: 0, size: 0, sameAsStdout: false };
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return { removed: 0, size: 0, sameAsStdout: false }; // read-only: linesOfFile reads it as it is
    throw new UsageError(say('usage.file.unreadable', { flag: '--resume', path, reasonMsg: osErrorText(e) }));
  }
  try {
    const st = await fh.stat();
    let size = st.size;
    let removed = 0;
    if (size > 0) {
      // Look back for the last line break, a block at a time.
      const block = Buffer.alloc(64 * 1024);
      let end = size;
      let lastNl = -1;
      while (end > 0 && lastNl < 0) {
        const start = Math.max(0, end - block.length);
        const { bytesRead } = await fh.read(block, 0, end - start, start);
        const i = block.subarray(0, bytesRead).lastIndexOf(10);
        if (i >= 0) lastNl = start + i;
        if (lastNl < 0 && end === size && bytesRead > 0 && block[bytesRead - 1] === 10) lastNl = size - 1;
        end = start;
      }
      const keep = lastNl + 1;
      if (keep < size) {
        await fh.truncate(keep);
        removed = size - keep;
        size = keep;
      }
    }
    const fd = (stdout as { fd?: unknown }).fd;
    let sameAsStdout = false;
    if (typeof fd === 'number') {
      try {
        const out = fstatSync(fd);
        sameAsStdout = out.dev === st.dev && out.ino === st.ino;
      } catch {
        sameAsStdout = false;
      }
    }
    return { removed, size, sameAsStdout };
  } finally {
    await fh.close();
  }
}

/** The lines of a previous run's output; a missing file is an empty one (the first run). */
async function* linesOfFile(path: string): AsyncGenerator<string> {
  const { readLines } = await import('../../verify/input.js');
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // nothing answered yet: a first run
    throw new UsageError(say('usage.file.unreadable', { flag: '--resume', path, reasonMsg: osErrorText(e) }));
  }
  for await (const l of readLines(fh.createReadStream())) yield l.text;
}

/**
 * Bulk runs allocate a steady stream of short-lived objects and keep little alive (~12 MB), yet
 * V8 doubles the young generation up to its 2 x 16 MB maximum on any long allocation stream,
 * which alone is a fifth of the memory budget. Once the semi-space reaches `capMb`, growth is
 * stopped (semi_space_growth_factor is read each time V8 grows new space). Measured on a
 * 400,000-line run: same speed, ~25 MB less peak RSS. If a V8 ignores the flag, nothing changes.
 */
function capYoungGeneration(capMb: number): () => void {
  const timer = setInterval(() => {
    const ns = getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
    // new_space holds both semi-spaces.
    if (ns && ns.space_size >= 2 * capMb * 1024 * 1024) {
      setFlagsFromString('--semi-space-growth-factor=1');
      clearInterval(timer);
    }
  }, 25);
  timer.unref();
  return () => clearInterval(timer);
}

/** Count the lines of a file (for the progress total) without holding it. */
async function countLines(path: string, signal: AbortSignal): Promise<number | undefined> {
  try {
    let count = 0;
    let last = 10;
    for await (const chunk of createReadStream(path, { signal }) as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) count++;
      last = chunk[chunk.length - 1] ?? 10;
    }
    return last === 10 ? count : count + 1;
  } catch {
    return undefined;
  }
}

export function verifyCommand(ctx: CliContext): Command {
  const cmd = new Command('verify')
    .description('does a mailbox exist? Ask the domain\'s mail server up to RCPT TO (never DATA), for one address or a whole list')
    .argument('[address...]', 'addresses to verify (- reads the list from standard input)')
    .option('-f, --file <path>', 'read addresses from a file, one per line or CSV (- for standard input)')
    .option('--column <name|number>', 'the CSV column that holds the addresses (default: found from the header or the contents)')
    .option('--csv', 'write CSV rows (with a header) instead of text')
    .addOption(new Option('--from <address>', 'MAIL FROM address; never the address being verified').default('', 'the null sender <>'))
    .option('--helo <name>', 'EHLO name: this host\'s real FQDN (default: this machine\'s host name)')
    .option('-p, --port <port>', 'SMTP port of the mail hosts (587 and 465 are refused: no mailbox answers there)', intArg('--port', 1, 65_535), 25);
  addConnectionFlags(cmd)
    .option('--no-catch-all-check', 'do not send the extra RCPT to a random address that tells whether a domain accepts everything')
    .option('--wait-greylist <duration>', 'ask greylisted addresses once more after this long (e.g. 5m)', parseDuration)
    .option('--batch <n>', 'at most n RCPT TO per transaction, the catch-all probe included', intArg('--batch', 1, 100), 50)
    .option('--concurrency <n>', 'SMTP connections open at once, overall', intArg('--concurrency', 1, 1000), 10)
    .option('--per-host <n>', 'SMTP connections open at once to one mail host', intArg('--per-host', 1, 100), 2)
    .option('--rate <n[/s|/m]>', 'at most n RCPT TO per second (or per minute) to one mail host; 0: no limit', parseRate, 0)
    .option('--read-ahead <n>', 'addresses read ahead and held in memory at once: the memory bound of a bulk run (default 2000, or 3 × concurrency × batch when larger)', intArg('--read-ahead', 1, 1_000_000))
    .option('--merge <file>', 'write FILE (results appended by --resume/--retry-unknown) with one line per address, the last one, to standard output; nothing is verified')
    .option('--resume <file>', 'skip the addresses a previous run already wrote to this file (JSON Lines or CSV output)')
    .option('--retry-unknown', 'with --resume: ask again for the addresses whose verdict was unknown')
    .option('--no-dedupe', 'verify repeated addresses every time they appear')
    .option('--source-ip <ip>', SOURCE_IP_HELP)
    .option('--queue <redis-url>', 'scale out: enqueue the addresses on Redis (BullMQ) for `smtp-probe worker`s and write their answers here; redis://[:password@]host[:port][/db] or rediss://');
  addQueueNameFlag(cmd)
    .option('--status', 'with --queue: print the queue\'s counts (waiting, active, failed, uncollected, workers) and exit')
    .addHelpText(
      'after',
      `
Examples:
  smtp-probe verify bob@example.com
  smtp-probe verify --json bob@example.com alice@example.org
  smtp-probe verify --file list.txt --json > results.jsonl
  smtp-probe verify --file contacts.csv --column Email --csv > results.csv
  cut -d, -f3 export.csv | smtp-probe verify - --json
  smtp-probe verify --file list.txt --json --resume results.jsonl >> results.jsonl
  smtp-probe verify --merge results.jsonl > merged.jsonl
  smtp-probe verify bob@example.com --helo mail.my.example --from bounces@my.example
  smtp-probe verify --file list.txt --json --queue redis://:secret@10.0.0.5/0 > results.jsonl
  smtp-probe verify --queue redis://:secret@10.0.0.5/0 --status

Verdicts: deliverable (accepted), undeliverable (no such mailbox or domain), risky (catch-all
domain, mailbox full or disabled), unknown (greylisted, rate-limited, blocked by policy,
timeout, port 25 unreachable). A 550 for policy or a blocklist is unknown, not undeliverable.

Exit codes: one address: 0 deliverable (or catch-all), 6 undeliverable, 5 refused for another
reason (blocked, null MX), 7 temporary (greylisting, 4xx), 4 timeout, 3 network/DNS, 2 bad input.
Several addresses or --file: 0 when the run completed, 130 when interrupted.

Good citizenship: the HELO name must be this host's FQDN (never a provider's name), MAIL FROM
is <> unless --from, at most --batch recipients per transaction, sessions are reused and QUIT.`,
    )
    .action(async (args: string[], _opts: unknown, command: Command) => {
      const p = presentation(ctx, command);
      const flags = command.optsWithGlobals<VerifyFlags>();
      await runVerifyCommand(ctx, p, flags, args);
    });
  return cmd;
}

async function runVerifyCommand(ctx: CliContext, p: Presentation, flags: VerifyFlags, args: string[]): Promise<void> {
  const io = ctx.io;
  const queued = await import('../verify-queue.js');
  if (flags.status) return queued.printQueueStatus(ctx, p, flags, args);
  const scaleOut = await queued.scaleOutOf(ctx, flags);
  if (scaleOut === null) return; // Redis not reachable: said so, exit 3
  const [{ verify, checkVerifyOptions }, { parseAddress }, input, render, { csvHeader, csvRow }] = await Promise.all([
    import('../../verify/run-verify.js'),
    import('../../verify/address.js'),
    import('../../verify/input.js'),
    import('../../report/verify-human.js'),
    import('../../verify/csv.js'),
  ]);
  if (flags.merge !== undefined) {
    if (args.length > 0 || flags.file !== undefined || flags.resume !== undefined) throw new UsageError(say('usage.merge.alone'));
    const { mergeResults } = await import('../../verify/merge-results.js');
    const path = flags.merge;
    try {
      await stat(path);
    } catch (e) {
      throw new UsageError(say('usage.file.unreadable', { flag: '--merge', path: printable(path), reasonMsg: osErrorText(e) }));
    }
    const stats = { read: 0, kept: 0, dropped: 0 };
    for await (const line of mergeResults(() => linesOfFile(path), stats)) await writeOut(io.stdout, `${line}\n`);
    io.stderr.write(cliLine(p.lang, say('verify.merged', { read: stats.read, path: printable(path), kept: stats.kept })));
    return;
  }
  if (flags.csv && p.json) throw new UsageError(say('usage.csv-json'));
  if (flags.retryUnknown && !flags.resume) throw new UsageError(say('usage.retry-unknown'));
  const stdinArg = args.length === 1 && args[0] === '-';
  const filePath = stdinArg ? '-' : flags.file;
  if (filePath !== undefined && args.length > 0 && !stdinArg) throw new UsageError(say('usage.verify.both'));
  if (filePath === undefined && args.length === 0) throw new UsageError(say('usage.verify.none'));
  const single = filePath === undefined && args.length === 1;

  // Addresses on the command line are checked before anything is sent.
  for (const a of filePath === undefined ? args : []) {
    const r = parseAddress(a);
    if (!r.ok) throw new UsageError(say('usage.verify.bad-address', { value: a, errorMsg: r.error }));
    if (flags.from !== '' && r.value.address.toLowerCase() === flags.from.toLowerCase()) {
      throw new UsageError(say('usage.verify.from-self'));
    }
  }
  const conn = connectionOptions(flags);
  // Not memoized here: verify() keeps its own bounded cache (a million domains must not pile up).
  const resolve = await resolverFromFlags(flags, false);

  const options = {
    helo: flags.helo ?? defaultHelo(),
    from: flags.from,
    port: flags.port,
    tlsMode: flags.tls,
    tlsVerify: flags.tlsVerify === true,
    ...(conn.ca ? { ca: conn.ca } : {}),
    ...(conn.tlsName ? { tlsName: conn.tlsName } : {}),
    ...(conn.family ?? scaleOut?.family ? { family: conn.family ?? scaleOut?.family } : {}),
    timeoutScale: flags.timeout,
    pipelining: flags.pipelining,
    catchAllCheck: flags.catchAllCheck,
    ...(flags.waitGreylist ? { waitGreylistMs: flags.waitGreylist } : {}),
    batchSize: flags.batch,
    concurrency: flags.concurrency,
    perHost: flags.perHost,
    ratePerHost: flags.rate,
    dedupe: flags.dedupe,
    ...(flags.readAhead ? { readAhead: flags.readAhead } : {}),
    ...(scaleOut?.connect ? { connect: scaleOut.connect } : {}),
    resolve,
    signal: io.signal,
    onEvent: (e: import('../../verify/run-verify.js').VerifyEvent): void => {
      if (e.type === 'warning') io.stderr.write(cliLine(p.lang, say('cli.warning', { textMsg: e.message })));
      else if (e.type === 'note' && p.verbose) io.stderr.write(cliLine(p.lang, e.host ? say('common.subject-text', { subjectMsg: e.host, textMsg: e.message }) : e.message));
      else if (e.type === 'session' && p.verbose) io.stderr.write(cliLine(p.lang, say(e.open ? 'verify.session.open' : 'verify.session.left', { host: printable(e.host), address: printable(e.address) })));
    },
  };
  checkVerifyOptions(options);

  // The input: arguments, a file or stdin, read as it goes.
  let stream: Readable | undefined;
  let addresses: import('../../verify/run-verify.js').VerifyInput = args;
  if (filePath !== undefined) {
    if (filePath === '-') stream = io.stdin;
    else {
      let fh;
      try {
        fh = await open(filePath, 'r');
      } catch (e) {
        throw new UsageError(say('usage.file.unreadable', { flag: '--file', path: filePath, reasonMsg: osErrorText(e) }));
      }
      stream = fh.createReadStream();
    }
    const extract = input.createLineExtractor(flags.column !== undefined ? { column: flags.column } : {});
    const src = stream;
    type Entry = import('../../verify/run-verify.js').InputItem;
    const entries = (xs: import('../../verify/input.js').ExtractedLine[], batch: Entry[]): void => {
      // A bad line is reported with its reason and line number, never dropped.
      for (const x of xs) batch.push(x.kind === 'bad' ? { text: x.text, line: x.line, error: x.error } : { text: x.text, line: x.line });
    };
    addresses = (async function* () {
      // A chunk of lines at a time: one promise per chunk, not per line.
      for await (const lines of input.readLineBatches(src as AsyncIterable<Buffer>)) {
        const batch: Entry[] = [];
        for (const l of lines) entries(extract(l), batch);
        if (batch.length > 0) yield batch;
      }
      const rest: Entry[] = [];
      entries(extract.flush(), rest);
      if (rest.length > 0) yield rest;
    })();
  }
  // A resume file whose last line was cut (SIGKILL, full disk) is repaired first, so the
  // answers appended after it (--resume out >> out) start on a line of their own.
  const resumeState = flags.resume ? await prepareResume(flags.resume, io.stdout) : undefined;
  if (resumeState?.removed) io.stderr.write(cliLine(p.lang, say('verify.resume-cut', { path: flags.resume, bytes: resumeState.removed })));
  // Appending to the resume file itself (>>): its CSV header is already there.
  const appendingToResume = resumeState?.sameAsStdout === true && resumeState.size > 0;
  const skip = flags.resume
    ? (async function* () {
      for await (const line of linesOfFile(flags.resume as string)) {
        const a = input.answeredAddress(line, flags.retryUnknown === true);
        if (a !== undefined) yield a;
      }
    })()
    : undefined;

  // Progress: bulk only, stderr a TTY, stdout not (never mixed into a terminal's output).
  const showProgress = !single && io.stderrIsTTY && !io.stdoutIsTTY && !p.quiet;
  const t0 = Date.now();
  const verdicts = { deliverable: 0, undeliverable: 0, risky: 0, unknown: 0 };
  let done = 0;
  let total: number | undefined;
  if (showProgress && filePath !== undefined && filePath !== '-') void countLines(filePath, io.signal).then((c) => { total = c; });
  let progressShown = false;
  const drawProgress = (): void => {
    io.stderr.write(`\r\x1b[2K${render.renderVerifyProgress({ done, ...(total !== undefined ? { total } : {}), verdicts, ms: Date.now() - t0 }, Math.max(40, io.columns ?? 80), p.lang)}`);
    progressShown = true;
  };
  const timer = showProgress ? setInterval(drawProgress, 250) : undefined;
  timer?.unref();
  const onAbort = (): void => { stream?.destroy(); };
  io.signal.addEventListener('abort', onAbort, { once: true });

  const rOpts = { chalk: p.chalk, width: p.width, verbose: p.verbose, quiet: p.quiet, lang: p.lang };
  const uncap = filePath !== undefined ? capYoungGeneration(4) : () => {};
  const run = scaleOut?.queue
    ? scaleOut.queue(addresses, { ...options, ...(skip ? { skip } : {}) })
    : verify(addresses, { ...options, ...(skip ? { skip } : {}) });
  let first: VerifyResult | undefined;
  try {
    if (flags.csv && !appendingToResume) await writeOut(io.stdout, csvHeader());
    for await (const batch of run.batches()) {
      let text = '';
      for (const r of batch) {
        first ??= r;
        done++;
        verdicts[r.verdict]++;
        if (p.json) text += `${JSON.stringify(r)}\n`;
        else if (flags.csv) text += csvRow(r);
        else text += single ? render.renderVerifyDetail(r, rOpts) : render.renderVerifyLine(r, rOpts);
      }
      await writeOut(io.stdout, text);
    }
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    // The output is gone (closed pipe, full disk): say so once; what was written stays.
    io.stderr.write(cliLine(p.lang, e.message));
    ctx.exitCode = ExitCode.internal;
    return;
  } finally {
    uncap();
    if (timer) clearInterval(timer);
    if (progressShown) io.stderr.write('\r\x1b[2K');
    io.signal.removeEventListener('abort', onAbort);
  }
  const interrupted = io.signal.aborted;
  if (!single && !p.quiet) {
    const s = run.stats;
    const summary = render.renderVerifySummary(
      { results: done, verdicts, duplicates: s.duplicates, resumed: s.resumed, connections: s.connections, transactions: s.transactions, ms: Date.now() - t0, pending: s.pending, interrupted, dedupeFull: s.dedupeFull },
      rOpts,
    );
    // The summary never mixes into machine-readable output.
    await writeOut(p.json || flags.csv ? io.stderr : io.stdout, summary);
  }
  if (interrupted) ctx.exitCode = ExitCode.interrupted;
  else if (single) ctx.exitCode = first ? exitCodeForResult(first) : ExitCode.internal;
  else ctx.exitCode = ExitCode.ok;
}
