// `verify --queue … --status`: the counts of a queue's jobs (waiting, active, delayed, failed),
// the results stored and not yet collected by a producer, and the workers seen in the last
// 15 seconds (by their heartbeats). Plain data; the CLI renders it.
import { Queue } from 'bullmq';
import { bullConnection, openRedis, type RedisExtra } from './connection.js';
import { PREFIX, queueKeys } from './jobs.js';
import type { RedisTarget } from './redis-url.js';

export interface QueueStatus {
  schemaVersion: 1;
  queue: string;
  redis: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  /** Results stored by workers that no producer has collected yet. */
  uncollected: number;
  workers: string[];
}

export async function queueStatus(target: RedisTarget, queueName: string, extra: RedisExtra = {}): Promise<QueueStatus> {
  const keys = queueKeys(queueName);
  const queue = new Queue(queueName, { connection: bullConnection(target, extra), prefix: PREFIX });
  queue.on('error', () => {});
  const redis = openRedis(target, extra);
  try {
    const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
    const [uncollected, workers] = await Promise.all([
      redis.llen(keys.done),
      redis.zrangebyscore(keys.workers, Date.now() - 15_000, '+inf'),
    ]);
    return {
      schemaVersion: 1, queue: queueName, redis: target.display,
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0,
      uncollected, workers,
    };
  } finally {
    await queue.close().catch(() => {});
    redis.disconnect();
  }
}
