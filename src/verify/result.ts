// The result object of one address, its keys in the documented order: what the output
// (JSON Lines, CSV, text) writes. Pure.
import { VERIFY_SCHEMA_VERSION, type Decision, type VerifyResult } from './verdict.js';
import type { AddressFlags } from './flags.js';

/** A result with its keys in the documented order (address, verdict, reason first). */
export function resultOf(address: string, input: string | undefined, d: Decision, flags: AddressFlags): VerifyResult {
  const r: VerifyResult = {
    schemaVersion: VERIFY_SCHEMA_VERSION, address, ...(input !== undefined ? { input } : {}),
    verdict: d.verdict, reason: d.reason, catchAll: d.catchAll, mx: d.mx, reply: d.reply, flags,
    message: d.message, temporary: d.temporary, stage: d.stage,
  };
  if (d.retryAfterSeconds !== undefined) r.retryAfterSeconds = d.retryAfterSeconds;
  if (d.provider !== undefined) r.provider = d.provider;
  if (d.greylistRetried) r.greylistRetried = true;
  if (d.skippedMx !== undefined && d.skippedMx.length > 0) r.skippedMx = d.skippedMx;
  return r;
}
