// The SPF record tree of a domain without a client IP: every include:/redirect= followed (siblings
// concurrently), each term's DNS cost under RFC 7208 §4.6.4, the total against the limit of 10,
// void lookups against 2, MX host counts, loops, broken or missing includes, syntax problems.
// Worst case, not one evaluation: every term an evaluation could reach is counted. Pure over the
// injected Resolve; bounded (MAX_WALK_RECORDS records, MAX_WALK_QUERIES queries); findings come
// out in tree order whatever order the answers arrive in; it never throws for DNS trouble.
import { isDnsError, type Resolve } from '../dns/resolver.js';
import { say } from '../catalog/messages.js';
import type { Finding } from './types.js';
import { hasMacro, truncateDomain } from './spf-macro.js';
import { isQueryableName } from './spf-eval.js';
import {
  isDnsTerm, parseSpfRecord, reachableTerms, selectSpfRecords, SPF_LOOKUP_LIMIT, SPF_VOID_LIMIT,
  type ParsedSpfRecord, type SpfTerm,
} from './spf-record.js';

export interface SpfTreeTerm {
  /** The term as written. */
  term: string;
  /** 1 for include a mx ptr exists redirect (they query DNS), 0 otherwise (§4.6.4). */
  cost: number;
  /** `cost` plus the cost of the record it leads to (include/redirect). */
  totalCost: number;
  /** Its query came back NXDOMAIN or empty: a void lookup (§4.6.4). */
  void?: boolean;
  /** Never evaluated: a term after "all", or redirect= beside "all" (§5.1). */
  ignored?: boolean;
  /** What was found (MX host count, "depends on macros", ...). */
  note?: string;
  /** What is wrong with it, in words. */
  problem?: string;
  /** The record an include:/redirect= leads to. */
  child?: SpfTreeNode;
}

export type SpfTreeStatus =
  | 'ok'
  /** no SPF record at the name (an include/redirect target without one is a permerror) */
  | 'none'
  | 'multiple'
  | 'syntax'
  | 'dns-error'
  | 'loop'
  | 'invalid-domain'
  /** not fetched: the name depends on macros, or the walk's record budget ran out */
  | 'not-followed';

export interface SpfTreeNode {
  domain: string;
  reachedBy: 'top' | 'include' | 'redirect';
  status: SpfTreeStatus;
  /** The SPF record (the first, when there are several). */
  record?: string;
  /** All "v=spf1" records at the name when there is more than one. */
  records?: string[];
  problem?: string;
  terms: SpfTreeTerm[];
  /** DNS-querying terms this record and everything below it cost. */
  lookups: number;
  /** Void lookups in this record and below. */
  voids: number;
}

export interface SpfWalk {
  root: SpfTreeNode;
  lookups: number;
  voids: number;
  /** What an evaluation reaching the broken part would return: permerror beats temperror. */
  verdict: 'ok' | 'none' | 'permerror' | 'temperror';
  findings: Finding[];
}

export interface SpfWalkOptions {
  resolve: Resolve;
  /** Stop fetching records after this many (hostile trees); the costs still count every term. */
  maxRecords?: number;
  /** Stop querying after this many lookups in all (a 10 KB record of a: terms). */
  maxQueries?: number;
}

export const MAX_WALK_RECORDS = 40;
export const MAX_WALK_QUERIES = 150;
const MAX_MX_HOSTS = 10;

interface WalkState {
  resolve: Resolve;
  budget: number;
  queryBudget: number;
  permerror: boolean;
  temperror: boolean;
  truncated: boolean;
}

type Answer<T> = { kind: 'ok'; value: T } | { kind: 'void'; why: string } | { kind: 'error'; why: string } | { kind: 'skipped' };

async function ask<T>(st: WalkState, p: () => Promise<T>): Promise<Answer<T>> {
  if (st.queryBudget <= 0) {
    st.truncated = true;
    return { kind: 'skipped' };
  }
  st.queryBudget--;
  try {
    return { kind: 'ok', value: await p() };
  } catch (e) {
    if (isDnsError(e) && (e.dnsCode === 'ENOTFOUND' || e.dnsCode === 'ENODATA')) return { kind: 'void', why: e.message };
    return { kind: 'error', why: isDnsError(e) ? e.message : String((e as Error)?.message ?? e) };
  }
}

/** Findings of one record or term, kept apart so the report lists them in tree order. */
type Sink = Finding[];

function add(st: WalkState, sink: Sink, level: Finding['level'], code: string, message: string, fix?: string): void {
  sink.push({ level, code, message, ...(fix ? { fix } : {}) });
  if (level === 'error') st.permerror = true;
}

/** Each node's own findings, then its terms' (and their subtrees'), in record order. */
const nodeFindings = new WeakMap<SpfTreeNode, Sink>();
const termFindings = new WeakMap<SpfTreeTerm, Sink>();

function flatten(node: SpfTreeNode, out: Finding[]): void {
  out.push(...(nodeFindings.get(node) ?? []));
  for (const t of node.terms) {
    out.push(...(termFindings.get(t) ?? []));
    if (t.child) flatten(t.child, out);
  }
}

/** The name an include/redirect/a/mx/exists term points at, or null when macros make it unknowable here. */
function staticTarget(spec: string | undefined, domain: string): string | null {
  if (spec === undefined) return domain;
  if (hasMacro(spec)) return null;
  // "%%", "%_", "%-" are the only escapes left without "%{"; expand them by hand.
  return truncateDomain(spec.replace(/%([%_-])/g, (_, c: string) => (c === '%' ? '%' : c === '_' ? ' ' : '%20')));
}

async function walkTerm(st: WalkState, t: SpfTerm, domain: string, path: string[], ignored: boolean): Promise<SpfTreeTerm> {
  const cost = !ignored && isDnsTerm(t) ? 1 : 0;
  const out: SpfTreeTerm = { term: t.text, cost, totalCost: cost, ...(ignored ? { ignored: true } : {}) };
  const sink: Sink = [];
  termFindings.set(out, sink);
  if (ignored || cost === 0) return out;
  const spec = t.kind === 'modifier' ? t.value : t.domainSpec;
  const target = staticTarget(spec, domain);
  if (target === null) {
    out.note = 'depends on the sender or the IP (macros): not looked up without them';
    return out;
  }
  const name = t.kind === 'mechanism' ? t.name : 'redirect';
  if (name !== 'include' && name !== 'redirect' && name !== 'ptr' && !isQueryableName(target)) {
    // As in evaluation: a name no query can be built from does not exist, so it never matches.
    out.note = `"${target}" is not a valid domain name: never matches`;
    return out;
  }
  switch (name) {
    case 'include':
    case 'redirect': {
      const child = await walkRecord(st, target, name, path);
      out.child = child;
      out.totalCost += child.lookups;
      if (child.status === 'none') {
        out.void = child.problem?.startsWith('void') ?? false;
        out.problem = say('spf.tree.no-record', { target, term: t.text, section: name === 'include' ? '§5.2' : '§6.1' });
        add(st, sink, 'error', `spf.${name}-none`, say('common.subject-text', { subjectMsg: domain, textMsg: out.problem }), say('spf.tree.no-record.fix', { term: t.text }));
      }
      return out;
    }
    case 'a': {
      const [a4, a6] = await Promise.all([ask(st, () => st.resolve(target, 'A')), ask(st, () => st.resolve(target, 'AAAA'))]);
      if (a4.kind === 'skipped' || a6.kind === 'skipped') {
        out.note = 'not looked up: the walk\'s query budget ran out';
      } else if (a4.kind === 'error' || a6.kind === 'error') {
        out.problem = say('spf.tree.dns-error', { errorMsg: a4.kind === 'error' ? a4.why : (a6 as { why: string }).why });
        st.temperror = true;
        add(st, sink, 'warn', 'spf.dns-error', say('spf.tree.dns-error-term', { domain, term: t.text, problemMsg: out.problem }));
      } else if (a4.kind === 'void' && a6.kind === 'void') {
        out.void = true;
        out.note = `${target} has no A or AAAA record (a void lookup)`;
      } else {
        const n4 = a4.kind === 'ok' ? a4.value.length : 0;
        const n6 = a6.kind === 'ok' ? a6.value.length : 0;
        out.note = `${n4} IPv4, ${n6} IPv6 address(es)${n4 === 0 || n6 === 0 ? `; clients of the other family get a void lookup` : ''}`;
      }
      return out;
    }
    case 'mx': {
      const r = await ask(st, () => st.resolve(target, 'MX'));
      if (r.kind === 'skipped') {
        out.note = 'not looked up: the walk\'s query budget ran out';
      } else if (r.kind === 'error') {
        out.problem = say('spf.tree.dns-error', { errorMsg: r.why });
        st.temperror = true;
        add(st, sink, 'warn', 'spf.dns-error', say('spf.tree.dns-error-term', { domain, term: t.text, problemMsg: out.problem }));
      } else if (r.kind === 'void') {
        out.void = true;
        out.note = `${target} has no MX records (a void lookup; mx never falls back to A, §5.4)`;
      } else {
        const hosts = r.value.map((m) => m.exchange).filter((h) => h !== '' && h !== '.');
        if (r.value.length > MAX_MX_HOSTS) {
          out.problem = say('spf.tree.mx-too-many', { target, n: r.value.length, max: MAX_MX_HOSTS, term: t.text });
          add(st, sink, 'error', 'spf.mx-too-many', say('common.subject-text', { subjectMsg: domain, textMsg: out.problem }), say('spf.tree.mx-too-many.fix'));
        } else {
          out.note = hosts.length === 0
            ? `${target} has a null MX (RFC 7505): matches nothing`
            : `${hosts.length} MX host(s); their address lookups do not count toward the 10 (§4.6.4)`;
        }
      }
      return out;
    }
    case 'exists': {
      const r = await ask(st, () => st.resolve(target, 'A'));
      if (r.kind === 'void') { out.void = true; out.note = `${target} does not exist (a void lookup)`; }
      else if (r.kind === 'error') { out.problem = say('spf.tree.dns-error', { errorMsg: r.why }); st.temperror = true; }
      else if (r.kind === 'skipped') out.note = 'not looked up: the walk\'s query budget ran out';
      return out;
    }
    case 'ptr':
      out.note = 'looks up the client IP\'s PTR names: deprecated (RFC 7208 §5.5)';
      return out;
  }
  return out;
}

function recordFindings(st: WalkState, sink: Sink, domain: string, rec: ParsedSpfRecord): void {
  for (const f of [...rec.errors, ...rec.warnings]) {
    sink.push({ ...f, message: `${domain}: ${f.message}` });
    if (f.level === 'error') st.permerror = true;
  }
}

async function walkRecord(st: WalkState, domain: string, reachedBy: SpfTreeNode['reachedBy'], path: string[]): Promise<SpfTreeNode> {
  const node: SpfTreeNode = { domain, reachedBy, status: 'ok', terms: [], lookups: 0, voids: 0 };
  const sink: Sink = [];
  nodeFindings.set(node, sink);
  const key = domain.toLowerCase();
  if (path.includes(key)) {
    node.status = 'loop';
    node.problem = `loop: ${[...path, key].join(' → ')}`;
    add(st, sink, 'error', 'spf.loop', say('spf.tree.loop', { from: path[path.length - 1], reachedBy, domain, path: [...path, key].join(' → ') }), say('spf.tree.loop.fix', { reachedBy }));
    return node;
  }
  if (!isQueryableName(domain)) {
    node.status = 'invalid-domain';
    node.problem = say('spf.not-valid-domain', { domain });
    add(st, sink, 'error', 'spf.invalid-target', node.problem);
    return node;
  }
  const r = st.budget <= 0 ? { kind: 'skipped' as const } : (st.budget--, await ask(st, () => st.resolve(domain, 'TXT')));
  if (r.kind === 'skipped') {
    st.truncated = true;
    node.status = 'not-followed';
    node.problem = 'not fetched: the walk\'s record or query budget ran out';
    return node;
  }
  if (r.kind === 'error') {
    node.status = 'dns-error';
    node.problem = r.why;
    st.temperror = true;
    add(st, sink, 'warn', 'spf.dns-error', say('spf.tree.txt-failed', { domain, errorMsg: r.why }));
    return node;
  }
  const spf = r.kind === 'ok' ? selectSpfRecords(r.value) : [];
  if (spf.length === 0) {
    node.status = 'none';
    node.problem = r.kind === 'void' ? `void lookup: ${r.why}` : 'TXT records exist, but none starts with "v=spf1"';
    if (reachedBy !== 'top') node.voids = r.kind === 'void' ? 1 : 0;
    return node;
  }
  node.record = spf[0];
  if (spf.length > 1) {
    node.status = 'multiple';
    node.records = spf;
    node.problem = `${spf.length} SPF records: RFC 7208 §4.5 makes that a permerror`;
    add(st, sink, 'error', 'spf.multiple-records', say('spf.tree.multiple', { domain, n: spf.length }), say('spf.tree.multiple.fix'));
    return node;
  }
  const rec = parseSpfRecord(spf[0] as string);
  recordFindings(st, sink, domain, rec);
  if (!rec.valid) node.status = 'syntax';
  const reachable = new Set(reachableTerms(rec));
  const nextPath = [...path, key];
  node.terms = await Promise.all(rec.terms.map((t) => walkTerm(st, t, domain, nextPath, !reachable.has(t) && (t.kind === 'mechanism' || t.name === 'redirect'))));
  node.lookups = node.terms.reduce((n, t) => n + t.totalCost, 0);
  node.voids = node.terms.reduce((n, t) => n + (t.child ? t.child.voids : t.void ? 1 : 0), 0);
  return node;
}

/** Walk the SPF tree of `domain` (no IP: costs are the worst case over all IPs). */
export async function walkSpf(domain: string, opts: SpfWalkOptions): Promise<SpfWalk> {
  const st: WalkState = {
    resolve: opts.resolve, budget: opts.maxRecords ?? MAX_WALK_RECORDS, queryBudget: opts.maxQueries ?? MAX_WALK_QUERIES,
    permerror: false, temperror: false, truncated: false,
  };
  const d = domain.trim().replace(/\.$/, '');
  const root = await walkRecord(st, d, 'top', []);
  const findings: Finding[] = [];
  flatten(root, findings);
  if (st.truncated) {
    add(st, findings, 'warn', 'spf.walk-truncated',
      say('spf.tree.truncated', { records: opts.maxRecords ?? MAX_WALK_RECORDS, queries: opts.maxQueries ?? MAX_WALK_QUERIES }));
  }
  if (root.lookups > SPF_LOOKUP_LIMIT) {
    add(st, findings, 'error', 'spf.too-many-lookups',
      say('spf.tree.too-many-lookups', { n: root.lookups, max: SPF_LOOKUP_LIMIT, next: SPF_LOOKUP_LIMIT + 1 }),
      say('spf.tree.too-many-lookups.fix'));
  }
  if (root.voids > SPF_VOID_LIMIT) {
    add(st, findings, 'error', 'spf.void-lookups', say('spf.tree.void-lookups', { n: root.voids, max: SPF_VOID_LIMIT }),
      say('spf.tree.void-lookups.fix'));
  }
  const verdict: SpfWalk['verdict'] = root.status === 'none' ? 'none' : st.permerror ? 'permerror' : st.temperror || root.status === 'dns-error' ? 'temperror' : 'ok';
  return { root, lookups: root.lookups, voids: root.voids, verdict, findings };
}
