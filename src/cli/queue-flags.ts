// The scale-out flags shared by `verify` and `worker`: --queue (the Redis URL, whose password
// is never printed), --queue-name, --source-ip (checked to be one of this host's addresses by
// binding to it), and the one-line refusal when Redis cannot be reached (exit 3).
import net from 'node:net';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { checkRedis, type RedisExtra } from '../queue/connection.js';
import { checkQueueName, DEFAULT_QUEUE } from '../queue/jobs.js';
import { parseRedisUrl, type RedisTarget } from '../queue/redis-url.js';
import type { CliContext } from './context.js';
import { ExitCode } from './exit-codes.js';
import { printable } from '../report/printable.js';

export interface QueueFlags {
  queue?: string;
  queueName: string;
  sourceIp?: string;
}

export function addQueueNameFlag(cmd: Command): Command {
  return cmd.option('--queue-name <name>', 'the queue (several runs with different options can share one Redis)', DEFAULT_QUEUE);
}

export const SOURCE_IP_HELP = 'send every SMTP connection from this address of this host (one worker per IP on a machine with several)';

/** The parsed --queue URL and --queue-name; UsageError (no password in it) when malformed. */
export function queueTarget(flags: QueueFlags): { target: RedisTarget; name: string; extra: RedisExtra } {
  if (!flags.queue) throw new UsageError('--queue redis://host:port/db is required');
  const target = parseRedisUrl(flags.queue);
  const bad = checkQueueName(flags.queueName);
  if (bad) throw new UsageError(bad);
  // rediss:// trusts the system's CAs and NODE_EXTRA_CA_CERTS; SMTP_PROBE_REDIS_CA adds one file.
  const caFile = process.env.SMTP_PROBE_REDIS_CA;
  let extra: RedisExtra = {};
  if (caFile) {
    try {
      extra = { ca: readFileSync(caFile) };
    } catch (e) {
      throw new UsageError(`cannot read SMTP_PROBE_REDIS_CA=${caFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return { target, name: flags.queueName, extra };
}

/** Connect and PING once: false (after one line on stderr, exit code 3 set) when Redis is not usable. */
export async function redisReachable(ctx: CliContext, target: RedisTarget, extra: RedisExtra): Promise<boolean> {
  const why = await checkRedis(target, extra);
  if (why === undefined) return true;
  ctx.io.stderr.write(`smtp-probe: ${printable(why)}\n`);
  ctx.exitCode = ExitCode.network;
  return false;
}

/** --source-ip must be an IP this host can send from: we bind to it once to find out. */
export async function checkSourceIp(ip: string): Promise<string> {
  const v = ip.trim().replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(v) === 0) throw new UsageError(`--source-ip "${printable(ip)}" is not an IP address`);
  await new Promise<void>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (e: NodeJS.ErrnoException) => reject(new UsageError(`--source-ip ${v} is not an address of this host (${e.code ?? e.message})`)));
    s.listen(0, v, () => s.close(() => resolve()));
  });
  return v;
}
