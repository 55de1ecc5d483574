// `smtp-probe worker --queue redis://…`: answers the verify jobs of a queue until Ctrl-C
// (or SIGTERM): then no new jobs, those under way finish (--grace), the rest go back to the
// queue; exit 130. Progress on a TTY stderr; --verbose prints notes and each answer; a
// summary line at the end. Redis unreachable at start: one line, exit 3.
import { Command, InvalidArgumentError } from 'commander';
import { presentation, type CliContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { parseDuration, resolverFromFlags, type ResolverFlags } from '../options.js';
import { addQueueNameFlag, checkSourceIp, queueTarget, redisReachable, SOURCE_IP_HELP, type QueueFlags } from '../queue-flags.js';
import { defaultHelo } from './probe.js';
import { printable, printableLines } from '../../report/printable.js';
import { localize, t } from '../../catalog/messages.js';
import { UsageError } from '../../errors.js';

interface WorkerFlags extends ResolverFlags, QueueFlags {
  helo?: string;
  concurrency: number;
  jobs?: number;
  stalledInterval: number;
  grace: number;
}

const intArg = (name: string, min: number, max: number) => (v: string): number => {
  if (!/^[0-9]+$/.test(v.trim()) || Number(v) < min || Number(v) > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
  return Number(v);
};

export function workerCommand(ctx: CliContext): Command {
  const cmd = new Command('worker')
    .description('answer the verify jobs of a Redis queue (verify --queue); run any number, on any machines and IPs')
    .requiredOption('--queue <redis-url>', 'redis://[:password@]host[:port][/db], or rediss:// for TLS (the password is never printed)');
  addQueueNameFlag(cmd)
    .option('--source-ip <ip>', SOURCE_IP_HELP)
    .option('--helo <name>', 'EHLO name: this host\'s real FQDN (default: this machine\'s host name)')
    .option('--concurrency <n>', 'SMTP connections open at once from this worker (the per-server limit is shared by all workers)', intArg('--concurrency', 1, 1000), 10)
    .option('--jobs <n>', 'jobs held at once, each one batch of addresses (default: 2 × --concurrency)', intArg('--jobs', 1, 100_000))
    .option('--stalled-interval <duration>', 'a dead worker\'s jobs and connection slots come back after about this long', parseDuration, 30_000)
    .option('--grace <duration>', 'after Ctrl-C, jobs under way get this long to finish before they are handed back', parseDuration, 15_000)
    .addHelpText('after', `
Examples:
  smtp-probe worker --queue redis://:secret@10.0.0.5:6379/0 --helo mx1.my.example
  smtp-probe worker --queue rediss://:secret@redis.my.example:6380/0 --source-ip 192.0.2.10 --helo out1.my.example
  smtp-probe worker --queue redis://10.0.0.5 --source-ip 192.0.2.11 --helo out2.my.example --concurrency 20

The verification options (--port, --from, --batch, --per-host, --rate, TLS…) come from the
producer (verify --queue); the HELO name, source address, DNS servers (--resolver) and
concurrency are this worker's own. Workers trust the queue: run them only against a Redis
that only you can write to.`)
    .action(async (_opts: unknown, command: Command) => {
      const p = presentation(ctx, command);
      const flags = command.optsWithGlobals<WorkerFlags>();
      const { target, name, extra } = queueTarget(flags);
      const sourceIp = flags.sourceIp !== undefined ? await checkSourceIp(flags.sourceIp) : undefined;
      const helo = flags.helo ?? defaultHelo();
      const [{ runWorker }, { checkVerifyOptions }] = await Promise.all([import('../../queue/worker.js'), import('../../verify/options.js')]);
      try {
        checkVerifyOptions({ helo });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      if (!(await redisReachable(ctx, target, extra))) return;
      const resolve = await resolverFromFlags(flags, false);
      const io = ctx.io;
      const t0 = Date.now();
      let done = 0;
      const showProgress = io.stderrIsTTY && !p.quiet && !p.verbose;
      let shown = false;
      const draw = (): void => {
        const s = Math.max(1, (Date.now() - t0) / 1000);
        io.stderr.write(`\r\x1b[2K${t(p.lang, 'worker.progress', { name: printable(name), n: done, rate: (done / s).toFixed(1) })}`);
        shown = true;
      };
      const timer = showProgress ? setInterval(draw, 500) : undefined;
      timer?.unref();
      const stats = await runWorker({
        target, redis: extra, queueName: name, helo, concurrency: flags.concurrency,
        ...(flags.jobs ? { jobs: flags.jobs } : {}),
        ...(sourceIp ? { sourceIp } : {}),
        resolve, signal: io.signal, graceMs: flags.grace, stalledIntervalMs: flags.stalledInterval,
        onReady: () => io.stderr.write(`smtp-probe: ${sourceIp ? t(p.lang, 'worker.started-from', { redis: target.display, queue: name, ip: sourceIp }) : t(p.lang, 'worker.started', { redis: target.display, queue: name })}\n`),
        onEvent: (e) => {
          if (e.type === 'result') {
            done++;
            if (p.verbose) io.stderr.write(`smtp-probe: ${printable(e.result.address)} ${e.result.verdict} (${printable(e.result.reason)})\n`);
          } else if (e.type === 'warning') {
            if (shown) io.stderr.write('\r\x1b[2K');
            io.stderr.write(`smtp-probe: WARNING: ${printableLines(localize(p.lang, e.message))}\n`);
          } else if (p.verbose) io.stderr.write(`smtp-probe: ${printableLines(localize(p.lang, e.message))}\n`);
        },
      });
      if (timer) clearInterval(timer);
      if (shown) io.stderr.write('\r\x1b[2K');
      const v = stats.verdicts;
      if (!p.quiet) {
        const counts = (['deliverable', 'undeliverable', 'risky', 'unknown'] as const).map((k) => `${v[k]} ${t(p.lang, `verify.verdict.${k}`)}`).join(', ');
        io.stderr.write(`smtp-probe: ${t(p.lang, 'worker.stopped', { n: stats.done, counts, handedBack: stats.handedBack, failed: stats.failed, connections: stats.connections, backOffs: stats.polite.backOffs })}\n`);
      }
      ctx.exitCode = io.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
    });
  return cmd;
}
