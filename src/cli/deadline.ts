// The total deadlines of the check commands (`auth`, `blocklist`; the probe has its run
// deadline), and how a run that reached one says so: a JSON field and one warning line.
// Each lookup keeps its own --dns-timeout; this bounds the whole command, whatever the chain.
import type { ChalkInstance } from 'chalk';
import type { Lang } from '../catalog/data.js';
import { t } from '../catalog/messages.js';
import { DEADLINE_REASON, withDeadline, type DeadlineResolve, type Resolve } from '../dns/resolver.js';

/** `auth`: SPF (up to 10 sequential lookups and their includes), DKIM, DMARC, reverse DNS. */
export const AUTH_DEADLINE_MS = 30_000;
/** `blocklist`: every zone is asked at once; a listing asks for its TXT too. */
export const BLOCKLIST_DEADLINE_MS = 20_000;

export interface DeadlineReport { ms: number; reached: boolean; lookupsCut: number }

export interface CommandDeadline {
  resolve: Resolve;
  report(): DeadlineReport;
}

export function commandDeadline(resolve: Resolve, ms: number): CommandDeadline {
  const d: DeadlineResolve = withDeadline(resolve, Date.now() + ms);
  return { resolve: d.resolve, report: () => ({ ms, reached: d.skipped() > 0, lookupsCut: d.skipped() }) };
}

/** The warning under a human report when the deadline cut lookups; '' otherwise. */
export function deadlineNote(r: DeadlineReport, c: ChalkInstance, lang: Lang = 'en'): string {
  if (!r.reached) return '';
  return `${c.yellow(`! ${t(lang, 'deadline.cli', { reasonMsg: DEADLINE_REASON, seconds: r.ms / 1000, n: r.lookupsCut })}`)}\n`;
}
