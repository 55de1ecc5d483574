// Organizational domains for DMARC, both ways the RFCs define them: RFC 7489 §3.2 (the
// Public Suffix List, through tldts) and RFC 9989 §4.10 (the DNS Tree Walk over _dmarc
// records). Holds the label arithmetic and the walk's decision rules; the DNS lookups of the
// walk come in as a function (dmarc.ts knows the record syntax). Never prints, never caches
// across runs, never reads process.*.
import { getDomain } from 'tldts';

/** Lower case, no trailing dot: the form every comparison here uses. */
export function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.+$/, '');
}

/**
 * RFC 7489 §3.2: the Organizational Domain is the public suffix plus one label. The whole
 * list is used (ICANN and private sections), as OpenDMARC and mailauth load it. A name that
 * is itself a public suffix (or a single label) is its own organizational domain.
 */
export function orgDomainPsl(domain: string): string {
  const d = normalizeDomain(domain);
  const org = getDomain(d, { allowPrivateDomains: true, extractHostname: false, validateHostname: false, detectIp: false });
  return org ?? d;
}

/** RFC 9989 §4.10 caps the walk: at most 8 lookups, so a long name jumps to 7 labels. */
export const TREE_WALK_MAX_QUERIES = 8;

/**
 * The names the RFC 9989 §4.10 DNS Tree Walk asks for, in order: the domain itself, then
 * (if it has 8 or more labels) its last 7 labels, then one label fewer each step down to
 * the top-level label. "If x < 8, remove the left-most label; if x >= 8, remove the
 * left-most labels until 7 remain" (§4.10 step 5). Example for 13 labels: 8 names.
 */
export function treeWalkTargets(domain: string): string[] {
  const labels = normalizeDomain(domain).split('.').filter((l) => l.length > 0);
  if (labels.length === 0) return [];
  const out = [labels.join('.')];
  let n = labels.length >= TREE_WALK_MAX_QUERIES ? TREE_WALK_MAX_QUERIES - 1 : labels.length - 1;
  for (; n >= 1; n--) out.push(labels.slice(labels.length - n).join('.'));
  return out;
}

/** What one walk step found at _dmarc.<target> (only what the walk's rules look at). */
export type WalkAnswer =
  | { kind: 'record'; psd?: 'y' | 'n' | 'u' }
  | { kind: 'none' }
  | { kind: 'multiple' }
  | { kind: 'error'; code: string };

export interface WalkStep { target: string; answer: WalkAnswer }

export interface TreeWalkOrgDomain {
  orgDomain: string;
  /** Which rule decided (RFC 9989 §4.10.2), for the report. */
  rule: 'psd=n' | 'psd=y' | 'fewest-labels' | 'no-record' | 'error';
  steps: WalkStep[];
}

/**
 * RFC 9989 §4.10.2 over the answers of a walk started at `steps[0].target`:
 * - a single record with psd=n: that domain is the Organizational Domain;
 * - a single record with psd=y other than the starting domain's: the domain one label
 *   below it (toward the starting domain) is;
 * - otherwise the record found with the fewest labels;
 * - no record at all: the starting domain is its own Organizational Domain.
 * Multiple records at one name are discarded (§4.10 step 7). A lookup that failed
 * temporarily before the deciding step makes the answer uncertain: rule 'error'.
 */
export function decideTreeWalk(start: string, steps: readonly WalkStep[]): TreeWalkOrgDomain {
  const startLabels = normalizeDomain(start).split('.');
  let fewest: string | undefined;
  let failed = false;
  const seen: WalkStep[] = [];
  for (const step of steps) {
    seen.push(step);
    const a = step.answer;
    if (a.kind === 'error') { failed = true; continue; }
    if (a.kind !== 'record') continue;
    if (a.psd === 'n') return { orgDomain: step.target, rule: 'psd=n', steps: seen };
    if (a.psd === 'y') {
      if (step.target === normalizeDomain(start)) return { orgDomain: step.target, rule: 'psd=y', steps: seen };
      const n = step.target.split('.').length + 1;
      return { orgDomain: startLabels.slice(startLabels.length - n).join('.'), rule: 'psd=y', steps: seen };
    }
    fewest = step.target;
  }
  if (fewest) return { orgDomain: fewest, rule: failed ? 'error' : 'fewest-labels', steps: seen };
  return { orgDomain: normalizeDomain(start), rule: failed ? 'error' : 'no-record', steps: seen };
}

/**
 * The whole walk: every target is asked at once (the names depend only on the labels, so
 * the walk costs one DNS round trip, not eight), then decided in the RFC's order.
 */
export async function orgDomainTreeWalk(domain: string, lookup: (target: string) => Promise<WalkAnswer>): Promise<TreeWalkOrgDomain> {
  const targets = treeWalkTargets(domain);
  const answers = await Promise.all(targets.map((t) => lookup(t)));
  return decideTreeWalk(domain, targets.map((target, i) => ({ target, answer: answers[i]! })));
}
