// MTA-STS (RFC 8461) for a receiving domain: the `_mta-sts` TXT record (§3.1), the policy
// fetched over HTTPS (§3.2, §3.3), its mx patterns matched against the real MX hosts (§4.1),
// and the probe's own sessions judged as a policy-honouring sender would (§5). Pure over the
// injected Resolve and FetchPolicy; returns findings with a level, the evidence and a fix.
import { say } from '../catalog/messages.js';
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
  if (fields[0] !== 'v=STSv1') errors.push(say('sts.txt.version'));
  const seen = new Set<string>();
  for (const f of fields.slice(1)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,31})=([\x21-\x3a\x3c\x3e-\x7e]{1,})$/.exec(f);
    if (!m) { errors.push(say('sts.not-key-value', { field: f })); continue; }
    const key = m[1] as string;
    if (seen.has(key)) errors.push(say('sts.repeated', { key }));
    seen.add(key);
    if (key === 'id') {
      if (/^[A-Za-z0-9]{1,32}$/.test(m[2] as string)) out.id = m[2] as string;
      else errors.push(say('sts.bad-id', { id: m[2] ?? '' }));
    }
  }
  if (!seen.has('id')) errors.push(say('sts.no-id'));
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
    if (!m) { p.errors.push(say('sts.not-line', { line: line.slice(0, 80) })); continue; }
    const key = m[1] as string;
    const value = (m[2] as string).trim();
    if (key !== 'mx' && seen.has(key)) { p.errors.push(say('sts.repeated-first', { key })); continue; }
    seen.add(key);
    if (key === 'version') {
      p.version = value;
      if (value !== 'STSv1') p.errors.push(say('sts.bad-version', { value }));
    } else if (key === 'mode') {
      if (value === 'enforce' || value === 'testing' || value === 'none') p.mode = value;
      else p.errors.push(say('sts.bad-mode', { value }));
    } else if (key === 'max_age') {
      if (/^\d{1,10}$/.test(value) && Number(value) <= MAX_MAX_AGE) p.maxAge = Number(value);
      else p.errors.push(say('sts.bad-max-age', { value, max: MAX_MAX_AGE }));
    } else if (key === 'mx') {
      if (/^(\*\.)?([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{1,63}\.?$/.test(value)) p.mx.push(value.toLowerCase().replace(/\.$/, ''));
      else p.errors.push(say('sts.bad-mx', { value }));
    }
  }
  if (!seen.has('version')) p.errors.push(say('sts.no-version-line'));
  if (!seen.has('mode')) p.errors.push(say('sts.no-mode-line'));
  if (!seen.has('max_age')) p.errors.push(say('sts.no-max-age-line'));
  if ((p.mode === 'enforce' || p.mode === 'testing') && p.mx.length === 0) p.errors.push(say('sts.needs-mx', { mode: p.mode }));
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
  'mta-sts.txt-without-policy': say('sts.short.txt-without-policy'),
  'mta-sts.policy-without-txt': say('sts.short.policy-without-txt'),
  'mta-sts.policy-bad-certificate': say('sts.short.policy-bad-certificate'),
  'mta-sts.policy-redirect': say('sts.short.policy-redirect'),
  'mta-sts.policy-too-large': say('sts.short.policy-too-large'),
  'mta-sts.bad-txt': say('sts.short.bad-txt'),
  'mta-sts.bad-policy': say('sts.short.bad-policy'),
  'mta-sts.mx-not-covered': say('sts.short.mx-not-covered'),
  'mta-sts.session-not-verified': say('sts.short.session-not-verified'),
  'mta-sts.short-max-age': say('sts.short.short-max-age'),
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
  if (!t) return { ...base, verified: false, reason: say('sts.session.no-tls') };
  if (!t.trusted) return { ...base, verified: false, reason: say('sts.session.untrusted', { reasonMsg: t.trustError ?? say('probe.tls.unknown-reason') }) };
  if (t.nameMatches === false) return { ...base, verified: false, reason: say('sts.session.mismatch', { name: t.checkedName ?? s.host, reasonMsg: t.nameError ?? say('sts.session.name-mismatch') }) };
  if (t.expired) return { ...base, verified: false, reason: say('sts.session.expired') };
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
  if (stsRecords.length > 1) txt.errors.push(say('sts.txt.many', { n: stsRecords.length }));
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
    if (!/^text\/plain\s*(;|$)/i.test(fetched.contentType ?? '')) policy.errors.push(fetched.contentType ? say('sts.media-type', { type: `"${fetched.contentType}"` }) : say('sts.media-missing'));
  } else {
    policy.failure = { kind: fetched.kind, message: fetched.message, ...(fetched.status ? { status: fetched.status } : {}), ...(fetched.location ? { location: fetched.location } : {}) };
  }
  const policyValid = policy.fetched && policy.errors.length === 0;
  const hasTxt = stsRecords.length > 0;
  const policyHostExists = !(fetched.ok === false && fetched.kind === 'dns');

  // --- Findings ---------------------------------------------------------------------------
  if (txtAnswer.dnsError) {
    findings.push({ level: 'error', code: 'mta-sts.dns-error', message: say('sts.dns-error', { name: txtName, code: txtAnswer.dnsError ?? '' }) });
  } else if (!hasTxt && !policy.fetched && !policyHostExists) {
    findings.push({ level: 'info', code: 'mta-sts.none', message: say('sts.none', { domain, name: txtName, host: policyHost }), fix: say('sts.none.fix') });
  }
  if (txt.errors.length > 0) {
    findings.push({ level: 'error', code: 'mta-sts.bad-txt', message: say('sts.bad-txt', { name: txtName, errorsMsg: txt.errors.join('; ') }), fix: say('sts.bad-txt.fix') });
  }
  if (hasTxt && !policy.fetched) {
    const f = policy.failure;
    const code = f?.kind === 'tls' ? 'mta-sts.policy-bad-certificate' : f?.kind === 'redirect' ? 'mta-sts.policy-redirect' : f?.kind === 'too-large' ? 'mta-sts.policy-too-large' : 'mta-sts.txt-without-policy';
    const fix = f?.kind === 'tls'
      ? say('sts.fix.certificate', { host: policyHost })
      : f?.kind === 'redirect'
        ? say('sts.fix.redirect', { url: policy.url })
        : f?.kind === 'too-large' ? say('sts.fix.too-large') : say('sts.fix.serve-or-remove', { url: policy.url, name: txtName });
    findings.push({ level: 'error', code, message: say('sts.unfetched', { name: txtName, reasonMsg: f?.message ?? say('probe.tls.unknown-reason') }), fix });
  } else if (!hasTxt && !txtAnswer.dnsError && (policy.fetched || (policy.failure && policy.failure.kind !== 'dns'))) {
    findings.push({
      level: 'warn', code: 'mta-sts.policy-without-txt',
      message: policy.fetched ? say('sts.policy-without-txt', { url: policy.url, name: txtName }) : say('sts.host-without-txt', { host: policyHost, reasonMsg: policy.failure?.message ?? '', name: txtName }),
      fix: say('sts.policy-without-txt.fix', { name: txtName }),
    });
    if (policy.failure?.kind === 'tls') findings.push({ level: 'warn', code: 'mta-sts.policy-bad-certificate', message: policy.failure.message, fix: say('sts.fix.certificate', { host: policyHost }) });
  }
  if (policy.fetched && policy.errors.length > 0) {
    findings.push({ level: 'error', code: 'mta-sts.bad-policy', message: say('sts.bad-policy', { url: policy.url, errorsMsg: policy.errors.join('; ') }), fix: say('sts.bad-policy.fix') });
  }
  if (policy.maxAge !== undefined && policy.maxAge < 86_400 && policy.mode !== 'none') {
    findings.push({ level: 'warn', code: 'mta-sts.short-max-age', message: say('sts.short-max-age', { seconds: policy.maxAge }), fix: say('sts.short-max-age.fix') });
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
        message: say(enforce ? 'sts.mx-not-covered.enforce' : 'sts.mx-not-covered.testing', { host: m.host, patterns: policy.mx.join(', ') || 'none' }),
        fix: say('sts.mx-not-covered.fix', { host: m.host, name: txtName }),
      });
    }
  }

  const sessions = (deps.sessions ?? []).filter((s) => mxHosts.includes(norm(s.host))).map(judgeSession);
  if (mode === 'enforce' || mode === 'testing') {
    for (const s of sessions.filter((x) => !x.verified)) {
      const enforce = mode === 'enforce';
      findings.push({
        level: enforce ? 'error' : 'warn', code: 'mta-sts.session-not-verified',
        message: say(enforce ? 'sts.session-not-verified.enforce' : 'sts.session-not-verified.testing', { host: s.host, address: s.address, port: s.port, reasonMsg: s.reason ?? '', mode }),
        fix: say('sts.session-not-verified.fix', { host: s.host }),
      });
    }
  }

  const errors = findings.filter((f) => f.level === 'error');
  const status: MtaStsResult['status'] = txtAnswer.dnsError ? 'error'
    : errors.length > 0 ? 'fail'
      : findings.some((f) => f.level === 'warn') ? 'warn'
        : txtValid && policyValid ? 'ok' : 'none';
  if (status === 'ok') findings.push({ level: 'ok', code: 'mta-sts.ok', message: say(sessions.length ? 'sts.ok-verified' : 'sts.ok', { id: txt.id ?? '', mode: policy.mode ?? '', maxAge: policy.maxAge ?? '' }) });
  const problems = [...new Set(findings.filter((f) => f.level === 'error' || f.level === 'warn').map((f) => SHORT[f.code] ?? f.code))];
  const summary = status === 'ok' ? say('sts.summary.ok', { mode: policy.mode ?? '' })
    : status === 'none' ? say('sts.summary.none')
      : status === 'error' ? say('sts.summary.error')
        : policy.mode ? say('sts.summary.mode', { mode: policy.mode, problemsMsg: problems.join('; ') }) : problems.join('; ');
  return { domain, status, summary, txt, policy, mxCoverage, sessions, findings, queries };
}
