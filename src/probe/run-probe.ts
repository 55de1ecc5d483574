// The probe: target → mail hosts → one SMTP session per host and port (concurrently,
// bounded) → replies explained → verdict. Returns a plain, JSON-safe ProbeResult; never
// prints. Side effects (DNS, sockets, clock, progress) come in as deps. One deadline bounds the
// whole run: MX lookups, sessions and the follow-up checks (what it cut is named in warnings).
import net from 'node:net';
import type { Lang } from '../catalog/data.js';
import { resolveHost, resolveMailHosts, type Family, type MailHosts } from '../dns/mail-hosts.js';
import { say } from '../catalog/messages.js';
import { DEADLINE_REASON, withDeadline, type DeadlineResolve, type Resolve } from '../dns/resolver.js';
import type { CheckSummary } from '../checks/types.js';
import { runSession, type SessionEvent, type SessionResult, type TlsMode } from '../smtp/session.js';
import type { AuthSetup, QuitAfter } from '../smtp/session-types.js';
import type { Connect, Transport } from '../smtp/transport.js';
import type { TlsRange } from '../smtp/tls-facts.js';
import { annotateSession, type AnnotatedSession } from './annotate.js';
import { prepareRecognition } from '../catalog/match-text.js';
import { defaultRecipient, parseTarget, type Target } from './targets.js';
import { decideVerdict, type Verdict } from './verdict.js';
import { heloWarnings } from './helo.js';
import type { FollowUp } from './follow-up.js';
import type { SendingIp } from './sending-ip.js';
import type { DomainSecurity } from './domain-security.js';
import { applyPostureVerdict, postureFindings, type PostureFinding } from './posture-findings.js';
import type { ServerNames } from './server-names.js';

export const PROBE_SCHEMA_VERSION = 1;
/** Sessions open at once; MX hosts × ports beyond this wait their turn. */
export const MAX_CONCURRENT_SESSIONS = 12;
/** The whole run's deadline at --timeout 1 (every stage of the slowest session, plus DNS). */
export const RUN_TIMEOUT_MS = 240_000;

export interface PortSpec { port: number; implicitTls: boolean }

export interface ProbeOptions {
  ports: PortSpec[];
  tlsMode: TlsMode;
  tlsVerify: boolean;
  /** Extra trusted CA certificates (PEM), from --ca-file. */
  ca?: string;
  /** --tls-name: the identity every certificate must carry, and the SNI sent. */
  tlsName?: string;
  /** --tls-min/--tls-max: the TLS versions offered (to test what a server accepts). */
  tlsVersions?: TlsRange;
  helo: string;
  /** MAIL FROM; '' is the null sender. */
  from: string;
  /** RCPT TO; default: the target address, or postmaster@<domain>. */
  rcpts?: string[];
  family?: Family;
  timeoutScale: number;
  pipelining?: boolean;
  lang: Lang;
  maxHosts?: number;
  maxAddressesPerHost?: number;
  /** The target is a loopback world built on purpose (the demo): its MX resolving to this
   * machine is expected, so no "tests this machine" warning. */
  localExpected?: boolean;
  /** --auth: log in after STARTTLS (the password never reaches the result). */
  auth?: AuthSetup;
  /** --quit-after: stop every session at this stage (QUIT there). */
  quitAfter?: QuitAfter;
  /** --relay-test: try relaying through every session after its transaction (never DATA). */
  relayTest?: boolean;
  /** --vrfy / --expn: names to ask about. */
  vrfy?: string[];
  expn?: string[];
}

export interface ProbeDeps {
  resolve: Resolve;
  connect: Connect;
  now: () => number;
  onEvent?: (e: ProbeEvent) => void;
  random?: () => number;
  /** Ctrl-C: open connections are closed and no new session starts. */
  signal?: AbortSignal;
  /** The sender-side follow-up: given the sessions, the checks that explain a rejection. It must
   *  do its DNS through `ctx.resolve` (or `ctx.bound(other)`), which the run deadline bounds. */
  followUp?: (sessions: AnnotatedSession[], ctx: FollowUpContext) => Promise<FollowUp | undefined>;
  /** MTA-STS and TLS-RPT of a domain target (domain-security.ts), beside the follow-up. */
  security?: (domain: string, mailHosts: MailHosts, sessions: AnnotatedSession[]) => Promise<DomainSecurity>;
  /** Banner, EHLO and PTR names of each session's server compared (server-names.ts), over the run's resolver. */
  serverNames?: (sessions: AnnotatedSession[], resolve: Resolve) => Promise<ServerNames[]>;
}

export interface FollowUpContext {
  /** deps.resolve under the run deadline. */
  resolve: Resolve;
  /** Puts another resolver (the who-am-I lookup's) under the same deadline. */
  bound: (resolve: Resolve) => Resolve;
  deadlineAt: number;
}

/** Time the follow-up gets past the run deadline to turn its cut lookups into results. */
export const FOLLOW_UP_GRACE_MS = 1_000;

export type ProbeEvent = { type: 'resolve'; target: string } | SessionEvent | { type: 'checks' };

export interface ProbeResult {
  schemaVersion: typeof PROBE_SCHEMA_VERSION;
  target: Target;
  mailHosts: MailHosts;
  /** What was sent: sender, recipients, HELO, ports. */
  envelope: { helo: string; from: string; rcpts: string[]; ports: PortSpec[]; tlsMode: TlsMode; authUser?: string; quitAfter?: QuitAfter; tlsVersions?: TlsRange };
  sessions: AnnotatedSession[];
  warnings: string[];
  checks: CheckSummary[];
  /** Why the checks ran (the rejection they follow up), when they ran. */
  checksTrigger?: string;
  /** The IP the checks judged, and where it came from. */
  sendingIp?: SendingIp;
  /** MTA-STS and TLS-RPT, for a domain target with mail hosts. */
  security?: DomainSecurity;
  /** AUTH, open-relay and VRFY/EXPN findings (--auth, --relay-test, --vrfy/--expn). */
  findings?: PostureFinding[];
  /** Each session's banner name, EHLO name and PTR, compared. */
  serverNames?: ServerNames[];
  verdict: Verdict;
  startedAt: string;
  ms: number;
}

/** --port 25,587,465 | all | 2525/tls: 465 is implicit TLS unless said otherwise. */
export function portSpec(port: number, mode?: 'tls' | 'plain'): PortSpec {
  return { port, implicitTls: mode ? mode === 'tls' : port === 465 };
}

/** Run `fn` over `items` with at most `limit` at once, results in input order. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T);
      } catch (e) {
        failed = true; // a bug: start nothing more, and let the rest finish before reporting
        throw e;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const err = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (err) throw err.reason;
  return out;
}

/** `p`'s value, or undefined once `deadlineAt` (epoch ms) passes or Ctrl-C comes; a rejection counts as undefined. */
function beforeDeadline<T>(p: Promise<T>, deadlineAt: number, signal?: AbortSignal): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const late = new Promise<undefined>((r) => {
    timer = setTimeout(() => r(undefined), Math.max(0, deadlineAt - Date.now()));
    onAbort = () => r(undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([p.catch(() => undefined), late]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  });
}

export async function runProbe(input: string | Target, o: ProbeOptions, deps: ProbeDeps): Promise<ProbeResult> {
  const t0 = deps.now();
  const startedAt = new Date().toISOString();
  const target = typeof input === 'string' ? parseTarget(input) : input;
  const rcpts = o.rcpts && o.rcpts.length > 0 ? o.rcpts : [defaultRecipient(target)];
  const runDeadline = Date.now() + RUN_TIMEOUT_MS * o.timeoutScale;
  // Every lookup of the run (MX, addresses, the checks') counts against the run deadline.
  const deadlines: DeadlineResolve[] = [];
  const bound = (r: Resolve): Resolve => {
    const d = withDeadline(r, runDeadline);
    deadlines.push(d);
    return d.resolve;
  };
  const resolve = bound(deps.resolve);
  const hostOpts = {
    resolve,
    ...(o.family ? { family: o.family } : {}),
    ...(deps.random ? { random: deps.random } : {}),
    ...(o.maxHosts ? { maxHosts: o.maxHosts } : {}),
    ...(o.maxAddressesPerHost ? { maxAddressesPerHost: o.maxAddressesPerHost } : {}),
    ...(o.localExpected ? { localExpected: true } : {}),
  };

  deps.onEvent?.({ type: 'resolve', target: target.input });
  const hostsP = target.kind === 'ip' ? resolveHost(target.ip, hostOpts) : resolveMailHosts(target.domain, hostOpts);
  // The reply-text index is needed only at the end; build it while the first DNS answer travels.
  prepareRecognition();
  const mailHosts = await hostsP;

  // Ctrl-C closes every open connection, so each session ends at once with what it has.
  const open = new Set<Transport>();
  const connect: Connect = async (to, deadlineAt) => {
    const r = await deps.connect(to, deadlineAt);
    if (r.ok) {
      if (deps.signal?.aborted) r.transport.close();
      else open.add(r.transport);
    }
    return r;
  };
  const onAbort = (): void => { for (const t of open) t.close(); };
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await probeHosts();
  } finally {
    // One signal may serve many probes (a library caller, verify): leave nothing attached.
    deps.signal?.removeEventListener('abort', onAbort);
  }

  async function probeHosts(): Promise<ProbeResult> {

    // One session per host and port; within a host, the next address only when the
    // previous one could not be reached (what a sending MTA does).
    const jobs = mailHosts.hosts.flatMap((host) => o.ports.map((p) => ({ host, p })));
    const sessionsPerJob = await pool(jobs, MAX_CONCURRENT_SESSIONS, async ({ host, p }) => {
      const out: SessionResult[] = [];
      for (const address of host.addresses) {
        if (deps.signal?.aborted) break;
        if (o.family && net.isIP(address) !== o.family) continue;
        const s = await runSession(
          {
            host: host.name, address, port: p.port, implicitTls: p.implicitTls,
            tlsMode: o.tlsMode, tlsVerify: o.tlsVerify,
            tls: { ...(o.ca ? { ca: o.ca } : {}), ...(o.tlsName ? { servername: o.tlsName } : {}), ...(o.tlsVersions ? { versions: o.tlsVersions } : {}) },
            helo: o.helo, from: o.from, rcpts, timeoutScale: o.timeoutScale, runDeadline,
            ...(o.pipelining === false ? { pipelining: false } : {}),
            // Port 25 receives mail and rarely offers AUTH: there its absence is said, not fatal.
            ...(o.auth ? { auth: p.port === 25 ? { ...o.auth, optional: true } : o.auth } : {}),
            ...(o.quitAfter ? { quitAfter: o.quitAfter } : {}),
            ...(o.vrfy?.length ? { vrfy: o.vrfy } : {}),
            ...(o.expn?.length ? { expn: o.expn } : {}),
            ...(o.relayTest ? { relayTest: { localDomain: target.kind === 'ip' ? `[${net.isIPv6(target.ip) ? `IPv6:${target.ip}` : target.ip}]` : target.domain } } : {}),
          },
          { connect, now: deps.now, ...(deps.onEvent ? { onEvent: deps.onEvent } : {}) },
        );
        out.push(s);
        if (!(s.outcome.stage === 'connect' && (s.outcome.kind === 'network' || s.outcome.kind === 'timeout'))) break;
      }
      return out;
    });
    const sessions = sessionsPerJob.flat().map((s) => annotateSession(s, o.lang));

    const warnings = [...heloWarnings(o.helo), ...mailHosts.notes];
    if (mailHosts.omittedHosts > 0) warnings.push(say('probe.warn.more-hosts', { n: mailHosts.omittedHosts, limit: mailHosts.limits.maxHosts }));
    for (const h of mailHosts.hosts) {
      warnings.push(...h.notes.map((n) => say('common.subject-text', { subjectMsg: h.name, textMsg: n })));
      if (h.omittedAddresses > 0) warnings.push(say('probe.warn.more-addresses', { name: h.name, n: h.omittedAddresses, limit: mailHosts.limits.maxAddressesPerHost }));
      if (h.error && h.addresses.length === 0) warnings.push(say('common.subject-text', { subjectMsg: h.name, textMsg: h.error.message }));
    }

    const result: ProbeResult = {
      schemaVersion: PROBE_SCHEMA_VERSION,
      target,
      mailHosts,
      envelope: { helo: o.helo, from: o.from, rcpts, ports: o.ports, tlsMode: o.tlsMode, ...(o.auth ? { authUser: o.auth.user } : {}), ...(o.quitAfter ? { quitAfter: o.quitAfter } : {}), ...(o.tlsVersions ? { tlsVersions: o.tlsVersions } : {}) },
      sessions,
      warnings,
      checks: [],
      verdict: decideVerdict({ target, mailHosts, sessions, ports: o.ports, rcpts, checks: [] }),
      startedAt,
      ms: 0,
    };
    // Bounded by the run deadline: a policy host that never answers cannot hold the result.
    const securityP = deps.security && target.kind === 'domain' && (mailHosts.kind === 'mx' || mailHosts.kind === 'implicit') && !deps.signal?.aborted
      ? beforeDeadline(deps.security(target.domain, mailHosts, sessions), runDeadline, deps.signal)
      : undefined;
    const namesP = deps.serverNames && !deps.signal?.aborted ? beforeDeadline(deps.serverNames(sessions, resolve), runDeadline, deps.signal) : undefined;
    if (deps.followUp && !deps.signal?.aborted) {
      const f = await followUpWithin(deps.followUp, sessions, warnings);
      if (f) {
        result.checks = f.checks;
        result.checksTrigger = f.trigger;
        if (f.sendingIp) result.sendingIp = f.sendingIp;
        result.verdict = decideVerdict({ target, mailHosts, sessions, ports: o.ports, rcpts, checks: result.checks });
      }
    }
    const names = await namesP;
    if (names) result.serverNames = names;
    const security = await securityP;
    if (security) result.security = security;
    else if (securityP && !deps.signal?.aborted) result.warnings.push(say('probe.warn.security-unfinished', { reasonMsg: DEADLINE_REASON }));
    const findings = postureFindings(sessions);
    if (findings.length > 0) {
      result.findings = findings;
      result.verdict = applyPostureVerdict(result.verdict, findings);
    }
    const cut = deadlines.reduce((n, d) => n + d.skipped(), 0);
    if (cut > 0) warnings.push(say('probe.warn.lookups-cut', { n: cut, reasonMsg: DEADLINE_REASON, seconds: Math.round((RUN_TIMEOUT_MS * o.timeoutScale) / 1000) }));
    result.ms = deps.now() - t0;
    return result;
  }

  /** The follow-up under the run deadline (plus a short grace) and Ctrl-C; its failure is a warning. */
  async function followUpWithin(run: NonNullable<ProbeDeps['followUp']>, sessions: AnnotatedSession[], warnings: string[]): Promise<FollowUp | undefined> {
    if (Date.now() >= runDeadline) {
      warnings.push(say('probe.warn.checks-skipped', { reasonMsg: DEADLINE_REASON }));
      return undefined;
    }
    deps.onEvent?.({ type: 'checks' });
    let timer: NodeJS.Timeout | undefined;
    let onStop: (() => void) | undefined;
    const stop = new Promise<{ stopped: 'deadline' | 'interrupted' }>((resolveStop) => {
      timer = setTimeout(() => resolveStop({ stopped: 'deadline' }), Math.max(0, runDeadline - Date.now()) + FOLLOW_UP_GRACE_MS);
      onStop = () => resolveStop({ stopped: 'interrupted' });
      deps.signal?.addEventListener('abort', onStop, { once: true });
    });
    const work = run(sessions, { resolve, bound, deadlineAt: runDeadline }).then(
      (f) => ({ f }),
      (e: unknown) => ({ error: e instanceof Error ? e.message : String(e) }),
    );
    try {
      const r = await Promise.race([work, stop]);
      if ('f' in r) return r.f;
      if ('error' in r) warnings.push(say('probe.warn.checks-failed', { errorMsg: String(r.error) }));
      else if (r.stopped === 'deadline') warnings.push(say('probe.warn.checks-deadline', { reasonMsg: DEADLINE_REASON }));
      else warnings.push(say('probe.warn.checks-interrupted'));
      return undefined;
    } finally {
      clearTimeout(timer);
      if (onStop) deps.signal?.removeEventListener('abort', onStop);
    }
  }
}

