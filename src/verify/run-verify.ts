// verify()'s public entry: recipient verification for one address or millions, as an async
// iteration of results (or batches of them), and verifyOne() for a single address. The run
// itself is pipeline.ts (intake → MX routing → host queue → host workers → settled results);
// verifyBatch() (verify-batch.ts) is the unit an outside worker (BullMQ) calls. Never DATA.
import { checkVerifyOptions, type VerifyInput, type VerifyOptions, type VerifyRun } from './options.js';
import { Verifier } from './pipeline.js';
import type { VerifyResult } from './verdict.js';

export {
  checkVerifyOptions, DEFAULTS, randomLocalPart, SUBMISSION_PORTS,
  type InputItem, type VerifyEvent, type VerifyInput, type VerifyOptions, type VerifyRun, type VerifyStats,
} from './options.js';
export type { ServerPoliteness } from './servers.js';
export { ServerSlots } from './servers.js';

/**
 * Verify addresses. Results come as they are known (not in input order). Ctrl-C (signal):
 * transactions under way finish (briefly), sessions QUIT, and the iteration ends with every
 * answer already obtained; unanswered addresses are counted in stats.pending.
 */
export function verify(addresses: VerifyInput, options: VerifyOptions): VerifyRun {
  checkVerifyOptions(options);
  const v = new Verifier(options);
  let started = false;
  const once = (): AsyncGenerator<VerifyResult[]> => {
    if (started) throw new Error('a verify() run can be iterated once');
    started = true;
    return v.run(addresses);
  };
  return {
    stats: v.stats,
    batches: () => ({ [Symbol.asyncIterator]: once }),
    [Symbol.asyncIterator]: () => (async function* () {
      for await (const batch of { [Symbol.asyncIterator]: once }) yield* batch;
    })(),
  };
}

/** One address, one result (a convenience over verify()); runs to the end so the session QUITs. */
export async function verifyOne(address: string, options: VerifyOptions): Promise<VerifyResult | undefined> {
  let first: VerifyResult | undefined;
  for await (const r of verify([address], options)) first ??= r;
  return first;
}

export { resultOf } from './result.js';
export { verifyBatch, type BatchOutcome } from './verify-batch.js';
