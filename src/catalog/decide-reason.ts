// The decision logic of reply-text recognition: collects every piece of evidence a reply offers
// (each matching pattern with its weight, the enhanced status code, the basic code at its stage)
// and decides one reason by a documented decision list (README "Reply-text recognition"). It
// returns the evidence with the decision. Pure: no I/O, never throws on peer text.
import { extractFacts, zoneOperator, type ReplyFacts } from './reply-facts.js';
import { D, getCatalog, hintMatches, patternMatches, type Catalog, type Compiled, type PatternData, type ProviderHint, type Reason } from './pattern-compiler.js';
import { normalize, withoutOptionalMarks, type ReplyInput } from './reply-normalize.js';
import { CONCEPTS, conceptMatches, type ConceptRule } from './concept-rules.js';
import type { Scan } from './word-scan.js';

/** One pattern that matched the text, as weighed by the decision. */
export interface PatternEvidence {
  id: string;
  reason: Reason;
  /** The pattern's priority plus the agreement bonuses of step 3. */
  weight: number;
  /** A weak cue (queue trailer, generic deferral): it only decides when nothing strong does. */
  weak?: true;
}

/** What recognition weighed, and which of it decided (`decidedBy`). */
export interface Evidence {
  patterns: PatternEvidence[];
  /** The enhanced status code's prior (RFC 3463 / IANA detail), with its weight. */
  enhanced?: { code: string; reason: Reason; weight: number };
  /** The basic code's prior at the stage it came at. */
  basic?: { code: number; stage?: string; reason: Reason };
  decidedBy: 'pattern' | 'enhanced' | 'basic' | 'positive' | 'none';
}

export interface TextClassification {
  reason: Reason;
  /** Who wrote the text: 'Gmail', 'Microsoft 365', 'Postfix', 'Spamhaus'... when it can be told. */
  provider?: string;
  /** The pattern that decided, when one did. */
  patternId?: string;
  meaning: string;
  action: string;
  /** The provider's own help or delisting page. */
  reference?: string;
  facts: ReplyFacts;
  /** True when no text pattern of the decided reason matched: the reason comes from the codes. */
  inferred: boolean;
  /** From the reply class when a code is known: 5xx true, 4xx false. */
  permanent: boolean | undefined;
  evidence: Evidence;
}

// Step 3 bonuses: a phrase the codes agree with outranks one they do not.
const AGREE_ENHANCED = 30;
const AGREE_BASIC = 5;
// Reasons that differ only in a detail the enhanced code states better than generic wording
// ("message size exceeds ..." under 5.2.3 is the per-recipient limit, exceedlimit).
const FAMILIES: Reason[][] = [
  ['mesgtoobig', 'exceedlimit'],
  ['userunknown', 'suspend'],
];

// Reasons a weak cue may still outrank (see PatternData.over): the search goes on past them.
const OVERRIDABLE = new Set<Reason>(['networkerror', 'systemerror', 'greylisted']);
// Reasons that say how an attempt ended, not why: a concept rule naming why outranks their
// generic wording (greylisting is a why of its own).
const PATH_REASONS = new Set<Reason>(['networkerror', 'systemerror']);
// A path-reason pattern of this priority or more states its own cause ("virus scanner timed
// out", "out of memory"): the concept rules do not outrank it.
const SPECIFIC_PATH = 50;

// An address code (X.1.1 user unknown, X.1.2 host unknown) is what many servers send for any
// refusal at RCPT. Text that states one of these reasons is the better evidence and decides
// against it, as in sisimai's reason order (reason/lib.go: these are tried before userunknown,
// and userunknown's probe gives way to their wording): "550 5.1.1 ... Mailbox full" is full.
// X.1.10 (null MX, RFC 7505) is one too: Microsoft 365 sends it for a recipient its directory does
// not hold ("550 5.1.10 Recipient not found"), so unknown-user wording decides against it as well.
const ADDRESS_CODES = new Set<Reason>(['userunknown', 'hostunknown']);
const YIELDING_CODES = new Set<Reason>([...ADDRESS_CODES, 'notaccept']);
const STATED_OVER_ADDRESS_CODE = new Set<Reason>([
  'mailboxfull', 'mesgtoobig', 'exceedlimit', 'suspend', 'hasmoved', 'norelaying', 'authfailure', 'blocked', 'rejected', 'notaccept',
]);

/** At MAIL FROM an unknown user or domain is the sender's: `rejected` (some servers send 5.1.1 for it). */
function senderSide(reason: Reason, stage: string | undefined): Reason | undefined {
  return stage === 'mail' && ADDRESS_CODES.has(reason) ? 'rejected' : undefined;
}

/** Whether a pattern may name a reason that an address code yields to (or an unknown user). */
function statesOverAddressCode(cp: Compiled): boolean {
  const p = cp.p;
  return (cp.stating ??= STATED_OVER_ADDRESS_CODE.has(p.reason) || p.reason === 'userunknown' || Object.values(p.stageReason ?? {}).some((r) => STATED_OVER_ADDRESS_CODE.has(r as Reason)));
}

function sameFamily(a: Reason, b: Reason): boolean {
  return FAMILIES.some((f) => f.includes(a) && f.includes(b));
}

function providerHint(c: Catalog, lower: string, scan: Scan | undefined, host: string | undefined): ProviderHint | undefined {
  const ids = scan ? c.hintIndex.candidates(scan, 1) : Array.from(c.hints.keys());
  for (const id of ids) {
    const h = c.hints[id];
    if (h && hintMatches(c, id, lower, scan !== undefined)) return h;
  }
  if (host) {
    const hl = host.toLowerCase();
    return c.hints.find((h) => matchesAny(h.res, hl));
  }
  return undefined;
}

const enhancedMemo = new Map<string, { reason: Reason; weight: number } | null>();

function enhancedPrior(c: Catalog, enhanced: string): { reason: Reason; weight: number } | undefined {
  let v = enhancedMemo.get(enhanced);
  if (v === undefined) {
    v = null;
    const [cls, subj, det] = enhanced.split('.');
    for (const key of [`${cls}.${subj}.${det}`, `X.${subj}.${det}`, `${cls}.${subj}.*`, `X.${subj}.*`]) {
      const r = c.enhanced.get(key.toUpperCase());
      if (r) {
        v = { reason: r.reason, weight: r.strong ? STRONG_CODE : 0 };
        break;
      }
    }
    // Codes come from peers: keep the memo bounded (the registry has a few hundred).
    if (enhancedMemo.size < 4096) enhancedMemo.set(enhanced, v);
  }
  return v ?? undefined;
}

/** The weight of a strong enhanced code: above generic wording, below a provider's own text. */
export const STRONG_CODE = 60;

const basicMemo = new Map<string, Reason | null>();

function basicReason(code: number, stage: string | undefined): Reason | undefined {
  const memoKey = stage ? `${code} ${stage}` : String(code);
  let v = basicMemo.get(memoKey);
  if (v === undefined) {
    v = null;
    const s = String(code);
    for (const key of [s, `${s[0]}xx`]) {
      let any: Reason | undefined;
      let staged: Reason | undefined;
      for (const e of D.basicFallback) {
        if (e.code.toLowerCase() !== key) continue;
        if (!e.stages) any ??= e.reason;
        else if (stage !== undefined && e.stages.includes(stage)) staged ??= e.reason;
      }
      const hit = staged ?? any;
      if (hit) {
        v = hit;
        break;
      }
    }
    if (basicMemo.size < 4096) basicMemo.set(memoKey, v);
  }
  return v ?? undefined;
}

function matchesAny(res: RegExp[], s: string): boolean {
  for (const r of res) if (r.test(s)) return true;
  return false;
}

/** Who wrote the text, from its wording or the host name: looked up only when needed. */
interface HintState { done: boolean; value: ProviderHint | undefined; c: Catalog; lower: string; scan: Scan | undefined; host: string | undefined }

function hintOf(h: HintState): ProviderHint | undefined {
  if (!h.done) {
    h.value = providerHint(h.c, h.lower, h.scan, h.host);
    h.done = true;
  }
  return h.value;
}

interface Candidate { cp: Compiled; reason: Reason; overridden: boolean; weight: number }

const conceptMemo = new Map<string, Compiled>();

/**
 * A concept rule as a candidate pattern: it weighs its priority, after every written pattern.
 * Its tie-break order is its place in the data, so an answer never depends on earlier calls.
 */
function conceptCompiled(rule: ConceptRule): Compiled {
  let cp = conceptMemo.get(rule.id);
  if (!cp) {
    const p: PatternData = { id: rule.id, reason: rule.reason, match: [], priority: rule.priority, source: rule.source };
    if (rule.weak) p.weak = true;
    const order = D.patterns.length + CONCEPTS.rules.findIndex((r) => r.id === rule.id);
    cp = { p, prio: rule.priority, order, res: [], all: [], not: [] };
    conceptMemo.set(rule.id, cp);
  }
  return cp;
}

function textFor(reason: Reason, permanent: boolean | undefined): { meaning: string; action: string } {
  const r = D.reasons[reason];
  return { meaning: r.meaning, action: permanent === false && r.temporaryAction ? r.temporaryAction : r.action };
}

/**
 * The decision list (first rule that applies decides):
 *  1. A 2xx/3xx reply is positive: no reason.
 *  2. Evidence: every pattern whose regexes, code, stage and provider guards match; the
 *     enhanced code's prior (strong details such as X.1.1, X.2.2, X.3.4 weigh STRONG_CODE);
 *     the basic code's prior at the stage.
 *  3. Each pattern weighs its priority, +30 when a strong enhanced code names the same reason,
 *     +5 when the basic code's prior does.
 *  4. A strong pattern (not weak) or the strong enhanced code, whichever weighs most, decides
 *     (ties: the pattern with the higher priority, then file order). When a generic pattern
 *     wins but the strong code names a reason of the same family (mesgtoobig/exceedlimit,
 *     userunknown/suspend), the code's reason is taken: it states the detail. An address code
 *     (X.1.1, X.1.2, X.1.10) yields to a written pattern stating another reason (STATED_OVER_ADDRESS_CODE;
 *     X.1.2 also to an unknown user at RCPT, X.1.10 to an unknown user anywhere), and a disabled
 *     account then stays suspend.
 *  5. Only weak cues matched: a strong enhanced code decides, else the heaviest weak cue; a weak
 *     cue never outweighs a strong code, whatever its priority.
 *     Before 4-5, when no strong pattern matched, the concept rules (concept-rules.ts) join the
 *     candidates at their priority (5-9, below every pattern), with the same code bonuses; the
 *     single-word rules are weak cues. At MAIL FROM, an unknown user or domain read by any rule
 *     or code is the sender's: `rejected` (senderSide).
 *  6. No pattern: the enhanced code's prior, then the basic code's at the stage, `inferred`.
 *  7. Nothing: `undefined`.
 */
export function decide(input: ReplyInput, useIndex: boolean): TextClassification {
  const c = getCatalog();
  const n = normalize(input);
  let lower = n.text.toLowerCase();
  // Turkish capital dotted I lower-cases to "i" + U+0307, which would split the word in two.
  if (lower.includes('\u0307')) lower = lower.replace(/i\u0307/g, 'i');
  lower = withoutOptionalMarks(lower);
  // The indexed path reads the words once (indexes and zone cues); the reference path, none.
  const scan = useIndex ? c.lexicon.scan(lower) : undefined;
  const facts = extractFacts(n.text, lower, scan?.flags);
  const cls = n.code !== undefined ? Math.floor(n.code / 100) : n.enhanced ? Number(n.enhanced[0]) : undefined;
  const permanent = cls === 5 ? true : cls === 4 ? false : undefined;
  const hs: HintState = { done: false, value: undefined, c, lower, scan, host: input.host };
  const evidence: Evidence = { patterns: [], decidedBy: 'none' };

  if (cls === 2 || cls === 3) {
    evidence.decidedBy = 'positive';
    const out: TextClassification = {
      reason: 'undefined',
      meaning: 'The reply is positive: the server accepted the command.',
      action: 'Nothing to fix.',
      facts,
      inferred: false,
      permanent: undefined,
      evidence,
    };
    const h = hintOf(hs);
    if (h) out.provider = h.name;
    return out;
  }

  let enh = n.enhanced ? enhancedPrior(c, n.enhanced) : undefined;
  if (enh && senderSide(enh.reason, n.stage)) enh = { reason: 'rejected', weight: enh.weight };
  if (n.enhanced && enh && enh.reason !== 'undefined') evidence.enhanced = { code: n.enhanced, reason: enh.reason, weight: enh.weight };
  const basic = n.code !== undefined ? basicReason(n.code, n.stage) : undefined;
  if (n.code !== undefined && basic && basic !== 'undefined') {
    evidence.basic = n.stage ? { code: n.code, stage: n.stage, reason: basic } : { code: n.code, reason: basic };
  }
  const strongCode = evidence.enhanced && evidence.enhanced.weight > 0 ? evidence.enhanced : undefined;

  // Step 2-3: every matching pattern, weighed.
  const cands: Candidate[] = [];
  const ids = scan ? c.index.candidates(scan, 0) : Array.from(c.patterns.keys());
  // Patterns come in descending priority, so once nothing left can outweigh what is already
  // decided (the best pattern, or a strong code), the rest are not tested: the answer is the
  // same and recognition stays as fast as first-match was. A path reason (networkerror,
  // systemerror, greylisted) keeps looking for a weak cue that outranks it.
  const maxBonus = (strongCode ? AGREE_ENHANCED : 0) + (basic && basic !== 'undefined' ? AGREE_BASIC : 0);
  // Under an address code a pattern stating another reason is read whatever its weight: it may
  // decide (see STATED_OVER_ADDRESS_CODE); the others are bounded by the code as usual.
  const addressCode = strongCode !== undefined && YIELDING_CODES.has(strongCode.reason);
  let bar = strongCode ? strongCode.weight : -Infinity;
  let lead: Candidate | undefined;
  for (const id of ids) {
    const cp = c.patterns[id];
    if (!cp) continue;
    const open = lead !== undefined && OVERRIDABLE.has(lead.reason);
    if (cp.prio + maxBonus <= bar && !open && !addressCode) break;
    const p = cp.p;
    const stating = addressCode && statesOverAddressCode(cp);
    // This pattern's own bound: the code bonus only helps the reason the code names.
    if (!open && !stating && cp.prio + (strongCode && (p.reason === strongCode.reason || p.stageReason) ? AGREE_ENHANCED : 0) + (basic && basic !== 'undefined' ? AGREE_BASIC : 0) <= bar) continue;
    if (cp.codes && n.code !== undefined && !cp.codes.test(String(n.code))) continue;
    if (cp.enhanced && (n.enhanced === undefined || !cp.enhanced.test(n.enhanced))) continue;
    if (cp.stages && n.stage && !cp.stages.has(n.stage)) continue;
    if (p.needsProvider && hintOf(hs)?.name !== p.provider) continue;
    if (!patternMatches(c, id, lower, scan !== undefined)) continue;
    const override = n.stage ? (p.stageReason?.[n.stage] ?? senderSide(p.reason, n.stage)) : undefined;
    const reason = override ?? p.reason;
    let weight = cp.prio;
    if (strongCode && strongCode.reason === reason) weight += AGREE_ENHANCED;
    if (basic === reason) weight += AGREE_BASIC;
    const k: Candidate = { cp, reason, overridden: override !== undefined, weight };
    cands.push(k);
    if (!p.weak && (!lead || weight > lead.weight)) lead = k;
    if (lead && lead.weight > bar) bar = lead.weight;
    evidence.patterns.push(p.weak ? { id: p.id, reason, weight, weak: true } : { id: p.id, reason, weight });
  }

  // Step 2b: no written pattern gave strong evidence, or only a generic path reason did
  // ("connection refused", "temporary local problem"): the concept rules (concept-rules.ts).
  const pathLead = lead !== undefined && PATH_REASONS.has(lead.reason) && !lead.cp.p.provider && lead.cp.prio < SPECIFIC_PATH;
  if (!lead || pathLead) {
    for (const rule of conceptMatches(lower)) {
      const cp = conceptCompiled(rule);
      const reason = senderSide(rule.reason, n.stage) ?? rule.reason;
      let weight = cp.prio;
      if (strongCode && strongCode.reason === reason) weight += AGREE_ENHANCED;
      if (basic === reason) weight += AGREE_BASIC;
      // As for patterns: evidence that cannot outweigh a strong code naming another reason is
      // not weighed (it could otherwise let a weak cue's `over` beat the code).
      if (strongCode && strongCode.reason !== reason && weight <= strongCode.weight) continue;
      cands.push({ cp, reason, overridden: reason !== rule.reason, weight });
      evidence.patterns.push(rule.weak ? { id: rule.id, reason, weight, weak: true } : { id: rule.id, reason, weight });
    }
  }

  // Step 4-5.
  let best: Candidate | undefined;
  for (const k of cands) {
    if (k.cp.p.weak) continue;
    if (!best || k.weight > best.weight || (k.weight === best.weight && (k.cp.prio > best.cp.prio || (k.cp.prio === best.cp.prio && k.cp.order < best.cp.order)))) best = k;
  }
  // A weak cue still outranks the path reasons it names in `over` (a message that expired after
  // refused connections expired; one that expired after "user unknown" did not).
  if (best) {
    const b = best;
    const over = cands.filter((k) => k.cp.p.weak && k.cp.p.over?.includes(b.reason));
    if (over.length) best = over.reduce((x, y) => (y.weight > x.weight ? y : x));
  }
  // A concept naming why (a block, an unknown user) outranks a generic path reason that only
  // says how the attempt ended: "Connection refused: sending server is listed" is a block.
  if (best && pathLead && PATH_REASONS.has(best.reason)) {
    const why = cands.filter((k) => k.cp.p.id.startsWith('concept.') && !k.cp.p.weak && !OVERRIDABLE.has(k.reason));
    if (why.length) best = why.reduce((x, y) => (y.weight > x.weight ? y : x));
  }
  const stated =
    addressCode && best !== undefined && !best.cp.p.weak && !best.cp.p.id.startsWith('concept.') &&
    (STATED_OVER_ADDRESS_CODE.has(best.reason) ||
      (best.reason === 'userunknown' && ((strongCode?.reason === 'hostunknown' && n.stage === 'rcpt') || strongCode?.reason === 'notaccept')));
  // A weak cue never outweighs a strong code, whatever its priority (step 5).
  const strongWins = strongCode !== undefined && !stated && (best ? best.cp.p.weak === true || strongCode.weight > best.weight : true);
  if (!best && !strongCode) {
    for (const k of cands) if (!best || k.weight > best.weight || (k.weight === best.weight && k.cp.order < best.cp.order)) best = k;
  }

  let reason: Reason;
  let winner: Candidate | undefined;
  if (strongWins && strongCode) {
    reason = strongCode.reason;
    evidence.decidedBy = 'enhanced';
  } else if (best) {
    winner = best;
    reason = best.reason;
    evidence.decidedBy = 'pattern';
    // A disabled account stays disabled under X.1.1 (sisimai tries suspend first).
    if (strongCode && !best.cp.p.provider && strongCode.reason !== reason && sameFamily(strongCode.reason, reason) && !(stated && reason === 'suspend')) {
      reason = strongCode.reason;
      evidence.decidedBy = 'enhanced';
    }
  } else {
    // Step 6-7: the codes alone.
    reason = evidence.enhanced?.reason ?? evidence.basic?.reason ?? 'undefined';
    evidence.decidedBy = evidence.enhanced ? 'enhanced' : evidence.basic ? 'basic' : 'none';
  }

  const textMatched = cands.some((k) => k.reason === reason && !k.cp.p.weak) || (winner !== undefined && winner.reason === reason);
  const base = textFor(reason, permanent);
  const own = winner && winner.reason === reason && !winner.overridden ? winner.cp.p : undefined;
  const out: TextClassification = {
    reason,
    meaning: own?.meaning ?? base.meaning,
    action: own?.action ?? base.action,
    facts,
    inferred: !textMatched && (n.code !== undefined || n.enhanced !== undefined),
    permanent,
    evidence,
  };
  if (winner && winner.reason === reason) out.patternId = winner.cp.p.id;
  const zoneOp = own?.providerFromZone && facts.zones?.length ? facts.zones.map(zoneOperator).find(Boolean) : undefined;
  const provider = own?.provider ?? zoneOp?.name ?? hintOf(hs)?.name;
  if (provider) out.provider = provider;
  const reference = own?.reference ?? zoneOp?.reference ?? (provider ? c.providerRefs.get(provider) : undefined);
  if (reference) out.reference = reference;
  return out;
}
