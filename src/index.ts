// The library API. Everything here returns plain data (the same objects the CLI prints
// with --json); nothing prints, nothing reads process.argv. DNS goes to the system's
// resolvers unless `resolver` (IP[:PORT] strings) or a `resolve` function is given.
import { checkAuth as checkAuthCore, type AuthOptions, type AuthResult } from './checks/auth.js';
import { checkBlocklists as checkBlocklistsCore, type BlocklistResult, type CheckBlocklistsOptions } from './checks/dnsbl.js';
import { createDns2Resolver, DEFAULT_DNS_TIMEOUT_MS } from './dns/dns2-resolver.js';
import { withCache, type Resolve } from './dns/resolver.js';
import { parseServer, systemServers } from './dns/system-servers.js';
import { runFollowUp, type ChecksWhen } from './probe/follow-up.js';
import { runProbe, type ProbeOptions, type ProbeResult } from './probe/run-probe.js';
import { compareAllServerNames } from './probe/server-names.js';
import { connectTransport } from './smtp/transport.js';

export { explainInput, explainInput as explain, explainInputs, explainCode, explainEnhanced, explainReply } from './catalog/explain.js';
export type { Explanation, CodeExplanation, EnhancedExplanation } from './catalog/explain.js';
export { compareCodes } from './catalog/compare.js';
export type { Comparison } from './catalog/compare.js';
export { classifyReply } from './catalog/match-text.js';
export type { Reason, TextClassification, ReplyFacts } from './catalog/match-text.js';
export { ReplyReader, parsePastedReply } from './smtp/reply-parser.js';
export { printable } from './report/printable.js';
export type { Reply, ReaderEvent } from './smtp/reply-parser.js';
export { LANGS } from './catalog/data.js';
export type { Lang } from './catalog/data.js';
export { UsageError, SmtpProbeError } from './errors.js';
export { DnsError } from './dns/resolver.js';
export type { Resolve, RRType, RecordMap, DnsErrorCode } from './dns/resolver.js';
export type { ProbeResult, ProbeOptions, PortSpec } from './probe/run-probe.js';
export type { Verdict, VerdictKind } from './probe/verdict.js';
export type { CheckSummary, Finding, CheckStatus, CheckName } from './checks/types.js';
export type { AuthResult } from './checks/auth.js';
export type { BlocklistResult, ZoneResult } from './checks/dnsbl.js';
export { verify, verifyOne, verifyBatch, ServerSlots } from './verify/run-verify.js';
export type { VerifyOptions, VerifyRun, VerifyStats, VerifyEvent, VerifyInput, BatchOutcome, ServerPoliteness } from './verify/run-verify.js';
export type { VerifyResult, VerdictKind as VerifyVerdictKind, VerifyReason, VerifyReply } from './verify/verdict.js';
export { parseAddress } from './verify/address.js';
export type { MailAddress, ParsedAddress } from './verify/address.js';
export type { AddressFlags, ExtraLists } from './verify/flags.js';
export { VERSION } from './version.js';

export interface DnsOptions {
  /** DNS servers as "IP" or "IP:PORT"; default: the system's. */
  resolver?: readonly string[];
  /** Per-lookup deadline in ms (default 5000). */
  dnsTimeoutMs?: number;
  /** Bring your own resolver (takes precedence over `resolver`). */
  resolve?: Resolve;
}

function resolverOf(o: DnsOptions): Resolve {
  if (o.resolve) return o.resolve;
  const servers = o.resolver && o.resolver.length > 0 ? o.resolver.map(parseServer) : systemServers();
  return withCache(createDns2Resolver({ servers, timeoutMs: o.dnsTimeoutMs ?? DEFAULT_DNS_TIMEOUT_MS }));
}

export interface ProbeApiOptions extends Partial<ProbeOptions>, DnsOptions {
  /** Sender-side checks after a rejection: auto (default), always, never. */
  checks?: ChecksWhen;
  /** The sending IP the checks judge. */
  ip?: string;
  dkimSelectors?: string[];
  signal?: AbortSignal;
}

/** Probe a domain, host, IP or address; resolves to the object `smtp-probe <target> --json` prints. */
export async function probe(target: string, options: ProbeApiOptions = {}): Promise<ProbeResult> {
  const resolve = resolverOf(options);
  const o: ProbeOptions = {
    ports: options.ports ?? [{ port: 25, implicitTls: false }],
    tlsMode: options.tlsMode ?? 'auto',
    tlsVerify: options.tlsVerify ?? false,
    helo: options.helo ?? 'localhost',
    from: options.from ?? '',
    timeoutScale: options.timeoutScale ?? 1,
    lang: options.lang ?? 'en',
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.rcpts ? { rcpts: options.rcpts } : {}),
    ...(options.family ? { family: options.family } : {}),
    ...(options.pipelining === false ? { pipelining: false } : {}),
  };
  return runProbe(target, o, {
    resolve,
    connect: connectTransport,
    now: () => Date.now(),
    ...(options.signal ? { signal: options.signal } : {}),
    serverNames: compareAllServerNames,
    // The checks' DNS goes through ctx: the run deadline bounds it.
    followUp: (sessions, ctx) => runFollowUp(sessions, {
      when: options.checks ?? 'auto', from: o.from, helo: o.helo,
      ...(options.ip ? { ip: options.ip } : {}),
      ...(options.dkimSelectors ? { selectors: options.dkimSelectors } : {}),
    }, { resolve: ctx.resolve, resolverAt: (ip) => ctx.bound(createDns2Resolver({ servers: [{ address: ip, port: 53 }], timeoutMs: 3_000 })) }),
  });
}

/** DNS blocklist check of an IP or a domain; the object `smtp-probe blocklist --json` prints. */
export function checkBlocklists(subject: string, options: Omit<CheckBlocklistsOptions, 'resolve'> & DnsOptions = {}): Promise<BlocklistResult> {
  return checkBlocklistsCore(subject, { ...options, resolve: resolverOf(options) });
}

/** SPF, DKIM, DMARC (and reverse DNS with an IP) of a sending domain; what `smtp-probe auth --json` prints. */
export function checkAuth(domain: string, options: Omit<AuthOptions, 'resolve'> & DnsOptions = {}): Promise<AuthResult> {
  return checkAuthCore(domain, { ...options, resolve: resolverOf(options) });
}
