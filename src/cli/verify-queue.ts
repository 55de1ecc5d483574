// The scale-out side of `verify`: --queue (the producer: the run goes through Redis to
// `smtp-probe worker`s), --status (the queue's counts), and --source-ip for the in-process
// run (connections bound to one of this host's addresses). Kept apart from verify.ts so the
// in-process command does not load BullMQ.
import net from 'node:net';
import type { Family } from '../dns/mail-hosts.js';
import { UsageError } from '../errors.js';
import type { Connect } from '../smtp/transport.js';
import type { VerifyInput, VerifyOptions, VerifyRun } from '../verify/options.js';
import type { CliContext, Presentation } from './context.js';
import { ExitCode } from './exit-codes.js';
import { checkSourceIp, queueTarget, redisReachable, type QueueFlags } from './queue-flags.js';
import { printable } from '../report/printable.js';
import { t } from '../catalog/messages.js';

export interface ScaleOut {
  /** The producer, when --queue is given. */
  queue?: (addresses: VerifyInput, options: VerifyOptions) => VerifyRun;
  /** --source-ip in-process. */
  connect?: Connect;
  family?: Family;
}

/** What --queue / --source-ip change; null when Redis is unreachable (said, exit code set). */
export async function scaleOutOf(ctx: CliContext, flags: QueueFlags & { ipv4?: boolean; ipv6?: boolean }): Promise<ScaleOut | undefined | null> {
  if (flags.queue !== undefined) {
    if (flags.sourceIp !== undefined) throw new UsageError('--source-ip is a worker\'s flag with --queue (smtp-probe worker --source-ip IP): the producer opens no SMTP connection');
    const { target, name, extra } = queueTarget(flags);
    if (!(await redisReachable(ctx, target, extra))) return null;
    const { queueVerify } = await import('../queue/producer.js');
    return { queue: (addresses, options) => queueVerify(addresses, options, { target, redis: extra, queueName: name }) };
  }
  if (flags.sourceIp === undefined) return undefined;
  const ip = await checkSourceIp(flags.sourceIp);
  const family = net.isIP(ip) as Family;
  if ((family === 4 && flags.ipv6) || (family === 6 && flags.ipv4)) throw new UsageError(`--source-ip ${ip} is IPv${family}: it cannot send over IPv${family === 4 ? 6 : 4}`);
  const { sourceBoundConnect } = await import('../queue/polite-connect.js');
  return { connect: sourceBoundConnect(ip), family };
}

/** --status: the counts of the queue, as text or (--json) one object. */
export async function printQueueStatus(ctx: CliContext, p: Presentation, flags: QueueFlags & { file?: string }, args: string[]): Promise<void> {
  if (flags.queue === undefined) throw new UsageError('--status goes with --queue redis://…');
  if (args.length > 0 || flags.file !== undefined) throw new UsageError('--status takes no addresses');
  const { target, name, extra } = queueTarget(flags);
  if (!(await redisReachable(ctx, target, extra))) return;
  const { queueStatus } = await import('../queue/status.js');
  const s = await queueStatus(target, name, extra);
  if (p.json) ctx.io.stdout.write(`${JSON.stringify(s)}\n`);
  else {
    const rows: [string, string][] = [
      [t(p.lang, 'status.queue.waiting'), String(s.waiting)],
      [t(p.lang, 'status.queue.active'), String(s.active)],
      [t(p.lang, 'status.queue.delayed'), String(s.delayed)],
      [t(p.lang, 'status.queue.failed'), String(s.failed)],
      [t(p.lang, 'status.queue.uncollected'), `${s.uncollected} (${t(p.lang, 'queue.status.uncollected-note')})`],
      [t(p.lang, 'status.queue.workers'), `${s.workers.length}${s.workers.length > 0 ? `: ${s.workers.map((w) => printable(w)).join(', ')}` : ''}`],
    ];
    const width = Math.max(...rows.map(([label]) => [...label].length));
    ctx.io.stdout.write([
      t(p.lang, 'queue.status.title', { queue: printable(s.queue), redis: printable(s.redis) }),
      ...rows.map(([label, value]) => `  ${label}${' '.repeat(width - [...label].length + 2)}${value}`),
      '',
    ].join('\n'));
  }
  ctx.exitCode = ExitCode.ok;
}
