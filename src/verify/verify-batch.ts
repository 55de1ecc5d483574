// The reusable unit of verify for an outside worker (a BullMQ job): verify a batch of addresses
// (typically one domain's) against their mail servers and return every result at once, with
// the politeness decisions (connection slots and 421 back-off per server IP) injected as
// options.servers and what is known about the domains' catch-all passed in and handed back.
// Same pipeline, same verdicts as verify(); nothing printed, nothing kept between calls.
import type { InputEntry, VerifyOptions, VerifyStats } from './options.js';
import { checkVerifyOptions } from './options.js';
import { Verifier } from './pipeline.js';
import type { VerifyResult } from './verdict.js';

export interface BatchOutcome {
  /** One result per distinct input address (input order not kept). */
  results: VerifyResult[];
  stats: VerifyStats;
  /** Catch-all status learned or used per domain (true, false; absent: unknown). */
  catchAll: Record<string, boolean>;
}

/**
 * Verify `addresses` to the end (every session QUITs) and return the results. Pass
 * `options.servers` to share per-server limits with other workers, and `options.knownCatchAll`
 * (e.g. the `catchAll` of an earlier batch of the same domain) to skip a probe already answered.
 */
export async function verifyBatch(addresses: readonly InputEntry[], options: VerifyOptions): Promise<BatchOutcome> {
  checkVerifyOptions(options);
  const v = new Verifier(options);
  const results: VerifyResult[] = [];
  for await (const batch of v.run([addresses])) results.push(...batch);
  const catchAll: Record<string, boolean> = {};
  for (const r of results) {
    const domain = r.address.slice(r.address.lastIndexOf('@') + 1).toLowerCase();
    if (typeof r.catchAll === 'boolean') catchAll[domain] = r.catchAll;
  }
  return { results, stats: v.stats, catchAll };
}
