// MTA-STS (RFC 8461) for a receiving domain: the `_mta-sts` TXT record (§3.1), the policy
// fetched over HTTPS (§3.2, §3.3), its mx patterns matched against the real MX hosts (§4.1),
// and the probe's own sessions judged as a policy-honouring sender would (§5). Pure over the
// injected Resolve and FetchPolicy; returns findings with a level, the evidence and a fix.
import { isDnsError, withQueryLog, type DnsErrorCode, type DnsQueryLog, type Resolve } from '../dns/resolver.js';
import type { TlsFacts } from '../smtp/tls-facts.js';
import type { FetchPolicy, FetchFailureKind } from './policy-fetch.js';
import type { Finding } from './types.js';

export type StsMode = 'enforce' | 'testing' | 'none';
/** RFC 8461 §3.2: max_age is at most 31557600 seconds (about a year). */
export const MAX_MAX_AGE = 31_557_600;
export const POLICY_PATH = '/.well-known/mta-sts.txt';

export interface StsTxt { record: string; id?: string; errors: string[] }

/** One TXT record per §3.1: "v=STSv1" first, then "id=" of 1-32 letters and digits. */
export function parseStsTxt(record: string): StsTxt {
  const errors: string[] = [];
  const fields = record.split(';').map((f) => f.trim());
  if (fields[fields.length - 1] === '') fields.pop();
  const out: StsTxt = { record, errors };
  if (fields[0] !== 'v=STSv1') errors.push('the record must begin with "v=STSv1"');
  const seen = new Set<string>();
  for (const f of fields.slice(1)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,31})=([\x21-\x3a\x3c\x3e-\x7e]{1,})$/.exec(f);
    if (!m) { errors.push(`"${f}" is not a key=value field`); continue; }
    const key = m[1] as string;
    if (seen.has(key)) errors.push(`"${key}" appears more than once`);
    seen.add(key);
    if (key === 'id') {
      if (/^[A-Za-z0-9]{1,32}$/.test(m[2] as string)) out.id = m[2] as string;
      else errors.push(`id "${m[2]}" must be 1 to 32 letters and digits`);
    }
  }
  if (!seen.has('id')) errors.push('the record has no id= field');
  return out;
}

export interface StsPolicy {
  version?: string;
  mode?: StsMode;
  maxAge?: number;
  mx: string[];
  errors: string[];
}

/** The policy body (§3.2): "key: value" lines, CRLF or LF; unknown keys are ignored. */
export function parseStsPolicy(body: string): StsPolicy {
  const p: StsPolicy = { mx: [], errors: [] };
  const seen = new Set<string>();
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^([A-Za-z0-9_.-]+)[ \t]*:[ \t]*(.*)$/.exec(line);
    if (!m) { p.errors.push(`"${line.slice(0, 80)}" is not a "key: value" line`); continue; }
    const key = m[1] as string;
    const value = (m[2] as string).trim();
    if (key !== 'mx' && seen.has(key)) { p.errors.push(`"${key}" appears more than once (the first counts)`); continue; }
    seen.add(key);
    if (key === 'version') {
      p.version = value;
      if (value !== 'STSv1') p.errors.push(`version is "${value}", not "STSv1"`);
    } else if (key === 'mode') {
      if (value === 'enforce' || value === 'testing' || value === 'none') p.mode = value;
      else p.errors.push(`mode "${value}" is not enforce, testing or none`);
    } else if (key === 'max_age') {
      if (/^\d{1,10}$/.test(value) && Number(value) <= MAX_MAX_AGE) p.maxAge = Number(value);
      else p.errors.push(`max_age "${value}" is not a number of seconds from 0 to ${MAX_MAX_AGE}`);
    } else if (key === 'mx') {
      if (/^(\*\.)?([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{1,63}\.?$/.test(value)) p.mx.push(value.toLowerCase().replace(/\.$/, ''));
      else p.errors.push(`mx "${value}" is not a host name or a *.wildcard`);
    }
  }
  if (!seen.has('version')) p.errors.push('the policy has no "version: STSv1" line');
  if (!seen.has('mode')) p.errors.push('the policy has no "mode:" line');
  if (!seen.has('max_age')) p.errors.push('the policy has no "max_age:" line');
  if ((p.mode === 'enforce' || p.mode === 'testing') && p.mx.length === 0) p.errors.push(`mode ${p.mode} needs at least one "mx:" line`);
  return p;
}

/** §4.1: a pattern is a name, or "*." and a name where the wildcard is exactly one leftmost label. */
export function mxPatternMatches(pattern: string, host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const pt = pattern.toLowerCase().replace(/\.$/, '');
  if (!pt.startsWith('*.')) return h === pt;
  const rest = pt.slice(1); // ".example.com"
  if (!h.endsWith(rest)) return false;
  const label = h.slice(0, h.length - rest.length);
  return label.length > 0 && !label.includes('.');
}

export interface MxCoverage { host: string; covered: boolean; pattern?: string }

/** What a session of the probe showed about TLS with one MX, judged under the policy. */
export interface SessionTls { host: string; address: string; port: number; tls?: TlsFacts }
export interface SessionJudgement {
  host: string; address: string; port: number;
  /** TLS was used, the chain is trusted and the certificate matches the MX name. */
  verified: boolean;
  reason?: string;
}

export interface MtaStsResult {
  domain: string;
  /** 'ok' nothing wrong · 'warn' risky · 'fail' senders honouring the policy would not deliver · 'none' no MTA-STS · 'error' undecided. */
  status: 'ok' | 'warn' | 'fail' | 'none' | 'error';
  summary: string;
  txt: { name: string; records: string[]; id?: string; errors: string[]; dnsError?: DnsErrorCode };
  policy: {
    url: string;
    fetched: boolean;
    failure?: { kind: FetchFailureKind; message: string; status?: number; location?: string };
    status?: number;
    contentType?: string | null;
    text?: string;
    version?: string;
    mode?: StsMode;
    maxAge?: number;
    mx: string[];
    errors: string[];
  };
  mxCoverage: MxCoverage[];
  sessions: SessionJudgement[];
  findings: Finding[];
  queries: DnsQueryLog[];
}

export interface MtaStsDeps {
  resolve: Resolve;
  fetchPolicy: FetchPolicy;
  /** The domain's MX host names (the probe's mail hosts); looked up when absent. */
  mxHosts?: string[];
  /** The probe's sessions to port 25 of those hosts, to judge their TLS. */
  sessions?: SessionTls[];
}

/** The one-line summary's words for each problem (the findings carry the evidence). */
const SHORT: Readonly<Record<string, string>> = {
  'mta-sts.txt-without-policy': 'a TXT record but no policy',
  'mta-sts.policy-without-txt': 'a policy but no TXT record',
  'mta-sts.policy-bad-certificate': "the policy host's certificate is refused",
  'mta-sts.policy-redirect': 'the policy URL redirects',
  'mta-sts.policy-too-large': 'the policy is larger than 64 KiB',
  'mta-sts.bad-txt': 'the TXT record is not valid',
  'mta-sts.bad-policy': 'the policy is not valid',
  'mta-sts.mx-not-covered': 'an MX is not covered by the policy',
  'mta-sts.session-not-verified': 'a session was not TLS-verified',
  'mta-sts.short-max-age': 'max_age is under a day',
};

const norm = (s: string): string => s.toLowerCase().replace(/\.$/, '');

async function txtRecords(resolve: Resolve, name: string): Promise<{ records: string[]; dnsError?: DnsErrorCode }> {
  try {
    return { records: await resolve(name, 'TXT') };
  } catch (e) {
    const code = isDnsError(e) ? e.dnsCode : 'EBADRESP';
    return code === 'ENOTFOUND' || code === 'ENODATA' ? { records: [] } : { records: [], dnsError: code };
  }
}

/** Judge one session as an MTA-STS sender would (§5): TLS, a trusted chain, the MX name. */
export function judgeSession(s: SessionTls): SessionJudgement {
  const base = { host: s.host, address: s.address, port: s.port };
  const t = s.tls;
  if (!t) return { ...base, verified: false, reason: 'the session did not use TLS (no STARTTLS, or it failed)' };
  if (!t.trusted) return { ...base, verified: false, reason: `the certificate is not trusted (${t.trustError ?? 'unknown reason'})` };
  if (t.nameMatches === false) return { ...base, verified: false, reason: `the certificate does not match ${t.checkedName ?? s.host} (${t.nameError ?? 'name mismatch'})` };
  if (t.expired) return { ...base, verified: false, reason: 'the certificate has expired' };
  return { ...base, verified: true };
}

export async function checkMtaSts(domainIn: string, deps: MtaStsDeps): Promise<MtaStsResult> {
  const domain = norm(domainIn);
  const queries: DnsQueryLog[] = [];
  const resolve = withQueryLog(deps.resolve, queries);
  const findings: Finding[] = [];
  const policyHost = `mta-sts.${domain}`;
  const txtName = `_mta-sts.${domain}`;

  const mxP = deps.mxHosts
    ? Promise.resolve(deps.mxHosts)
    : resolve(domain, 'MX').then((r) => r.map((m) => m.exchange)).catch(() => [] as string[]);
  // The TXT and the policy are independent: fetch both, so a policy without a TXT is seen too.
  const [txtAnswer, fetched, mxHostsRaw] = await Promise.all([txtRecords(resolve, txtName), deps.fetchPolicy(policyHost, POLICY_PATH), mxP]);
  const mxHosts = mxHostsRaw.map(norm).filter((h) => h !== '');

  // §3.1: records not beginning with v=STSv1 are ignored; more than one means no policy.
  const stsRecords = txtAnswer.records.filter((r) => /^v=STSv1(;|\s|$)/.test(r));
  const txt: MtaStsResult['txt'] = { name: txtName, records: txtAnswer.records, errors: [], ...(txtAnswer.dnsError ? { dnsError: txtAnswer.dnsError } : {}) };
  if (stsRecords.length > 1) txt.errors.push(`${stsRecords.length} records begin with v=STSv1; exactly one is allowed, so senders see no policy`);
  else if (stsRecords.length === 1) {
    const parsed = parseStsTxt(stsRecords[0] as string);
    txt.errors.push(...parsed.errors);
    if (parsed.id) txt.id = parsed.id;
  }
  const txtValid = stsRecords.length === 1 && txt.errors.length === 0;

  const policy: MtaStsResult['policy'] = { url: `https://${policyHost}${POLICY_PATH}`, fetched: false, mx: [], errors: [] };
  if (fetched.ok) {
    policy.fetched = true;
    policy.status = fetched.status;
    policy.contentType = fetched.contentType;
    policy.text = fetched.body;
    const parsed = parseStsPolicy(fetched.body);
    Object.assign(policy, parsed.version !== undefined ? { version: parsed.version } : {}, parsed.mode ? { mode: parsed.mode } : {}, parsed.maxAge !== undefined ? { maxAge: parsed.maxAge } : {});
    policy.mx = parsed.mx;
    policy.errors = parsed.errors;
    // §3.2: the media type is text/plain (parameters such as charset are fine).
    if (!/^text\/plain\s*(;|$)/i.test(fetched.contentType ?? '')) policy.errors.push(`the media type is ${fetched.contentType ? `"${fetched.contentType}"` : 'missing'}, not text/plain`);
  } else {
    policy.failure = { kind: fetched.kind, message: fetched.message, ...(fetched.status ? { status: fetched.status } : {}), ...(fetched.location ? { location: fetched.location } : {}) };
  }
  const policyValid = policy.fetched && policy.errors.length === 0;
  const hasTxt = stsRecords.length > 0;
  const policyHostExists = !(fetched.ok === false && fetched.kind === 'dns');

  // --- Findings ---------------------------------------------------------------------------
  if (txtAnswer.dnsError) {
    findings.push({ level: 'error', code: 'mta-sts.dns-error', message: `the ${txtName} TXT lookup failed (${txtAnswer.dnsError}); MTA-STS could not be judged` });
  } else if (!hasTxt && !policy.fetched && !policyHostExists) {
    findings.push({ level: 'info', code: 'mta-sts.none', message: `${domain} publishes no MTA-STS (no ${txtName} TXT record, no ${policyHost})`, fix: 'optional: MTA-STS (RFC 8461) lets senders require verified TLS to your MX hosts' });
  }
  if (txt.errors.length > 0) {
    findings.push({ level: 'error', code: 'mta-sts.bad-txt', message: `the ${txtName} record is not valid: ${txt.errors.join('; ')}`, fix: 'publish exactly one TXT record like "v=STSv1; id=20240101T000000" (1-32 letters and digits)' });
  }
  if (hasTxt && !policy.fetched) {
    const f = policy.failure;
    const code = f?.kind === 'tls' ? 'mta-sts.policy-bad-certificate' : f?.kind === 'redirect' ? 'mta-sts.policy-redirect' : f?.kind === 'too-large' ? 'mta-sts.policy-too-large' : 'mta-sts.txt-without-policy';
    const fix = f?.kind === 'tls'
      ? `serve ${policyHost} with a certificate from a public CA that names ${policyHost}`
      : f?.kind === 'redirect'
        ? `serve the policy itself at ${policy.url} with status 200; senders do not follow redirects`
        : f?.kind === 'too-large' ? 'keep the policy under 64 KiB' : `serve the policy at ${policy.url}, or remove the ${txtName} record`;
    findings.push({ level: 'error', code, message: `${txtName} announces a policy, but it could not be fetched: ${f?.message ?? 'unknown reason'}`, fix });
  } else if (!hasTxt && !txtAnswer.dnsError && (policy.fetched || (policy.failure && policy.failure.kind !== 'dns'))) {
    findings.push({
      level: 'warn', code: 'mta-sts.policy-without-txt',
      message: policy.fetched ? `${policy.url} serves a policy, but there is no ${txtName} TXT record, so senders never fetch it` : `${policyHost} exists (${policy.failure?.message ?? ''}), but there is no ${txtName} TXT record`,
      fix: `publish "v=STSv1; id=<a new id>" at ${txtName} if the policy is meant to be used`,
    });
    if (policy.failure?.kind === 'tls') findings.push({ level: 'warn', code: 'mta-sts.policy-bad-certificate', message: policy.failure.message, fix: `serve ${policyHost} with a certificate from a public CA that names ${policyHost}` });
  }
  if (policy.fetched && policy.errors.length > 0) {
    findings.push({ level: 'error', code: 'mta-sts.bad-policy', message: `the policy at ${policy.url} is not valid: ${policy.errors.join('; ')}`, fix: 'lines "version: STSv1", "mode: enforce|testing|none", "max_age: <seconds>", and one "mx: <host or *.domain>" per MX, served as text/plain' });
  }
  if (policy.maxAge !== undefined && policy.maxAge < 86_400 && policy.mode !== 'none') {
    findings.push({ level: 'warn', code: 'mta-sts.short-max-age', message: `max_age is ${policy.maxAge} s (less than a day): senders re-fetch the policy often and are barely protected between fetches`, fix: 'use a max_age of at least 604800 (a week) once the policy is stable' });
  }

  const mode = policyValid ? policy.mode : undefined;
  const mxCoverage: MxCoverage[] = mxHosts.map((host) => {
    const pattern = policy.mx.find((pt) => mxPatternMatches(pt, host));
    return { host, covered: pattern !== undefined, ...(pattern ? { pattern } : {}) };
  });
  if (policy.fetched && (policy.mode === 'enforce' || policy.mode === 'testing')) {
    for (const m of mxCoverage.filter((x) => !x.covered)) {
      const enforce = policy.mode === 'enforce';
      findings.push({
        level: enforce ? 'error' : 'warn', code: 'mta-sts.mx-not-covered',
        message: `MX ${m.host} matches no mx: line of the policy (${policy.mx.join(', ') || 'none'})${enforce ? '; with mode enforce, senders that honour MTA-STS will not deliver there' : '; with mode testing, senders only report it (TLS-RPT)'}`,
        fix: `add "mx: ${m.host}" (or a *. pattern covering it) to the policy, and change the id in ${txtName}`,
      });
    }
  }

  const sessions = (deps.sessions ?? []).filter((s) => mxHosts.includes(norm(s.host))).map(judgeSession);
  if (mode === 'enforce' || mode === 'testing') {
    for (const s of sessions.filter((x) => !x.verified)) {
      const enforce = mode === 'enforce';
      findings.push({
        level: enforce ? 'error' : 'warn', code: 'mta-sts.session-not-verified',
        message: `${s.host} [${s.address}]:${s.port}: ${s.reason}; under mode ${mode} a sender ${enforce ? 'would not deliver there' : 'would report a failure'}`,
        fix: `offer STARTTLS on ${s.host} with a certificate from a public CA whose name is ${s.host}`,
      });
    }
  }

  const errors = findings.filter((f) => f.level === 'error');
  const status: MtaStsResult['status'] = txtAnswer.dnsError ? 'error'
    : errors.length > 0 ? 'fail'
      : findings.some((f) => f.level === 'warn') ? 'warn'
        : txtValid && policyValid ? 'ok' : 'none';
  if (status === 'ok') findings.push({ level: 'ok', code: 'mta-sts.ok', message: `policy id ${txt.id}, mode ${policy.mode}, max_age ${policy.maxAge}; every MX is covered${sessions.length ? ' and every probed session was TLS-verified' : ''}` });
  const problems = [...new Set(findings.filter((f) => f.level === 'error' || f.level === 'warn').map((f) => SHORT[f.code] ?? f.code))];
  const summary = status === 'ok' ? `mode ${policy.mode}, every MX covered`
    : status === 'none' ? 'not published'
      : status === 'error' ? 'could not be decided (DNS trouble)'
        : `${policy.mode ? `mode ${policy.mode}: ` : ''}${problems.join('; ')}`;
  return { domain, status, summary, txt, policy, mxCoverage, sessions, findings, queries };
}
