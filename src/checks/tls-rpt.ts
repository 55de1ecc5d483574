// SMTP TLS Reporting (RFC 8460) for a receiving domain: the `_smtp._tls` TXT record, its
// syntax (§3: "v=TLSRPTv1; rua=<uri>[,<uri>]") and each rua URI (mailto: with an address,
// or https:). Where senders send their reports of failed TLS (MTA-STS, DANE). Pure over the
// injected Resolve; returns findings with a level, the evidence and a fix.
import { say } from '../catalog/messages.js';
import { isDnsError, withQueryLog, type DnsErrorCode, type DnsQueryLog, type Resolve } from '../dns/resolver.js';
import type { Finding } from './types.js';

export interface RuaUri { uri: string; scheme: 'mailto' | 'https' | 'other'; valid: boolean; error?: string }

export interface TlsRptRecord { record: string; rua: RuaUri[]; errors: string[] }

export interface TlsRptResult {
  domain: string;
  name: string;
  status: 'ok' | 'fail' | 'none' | 'error';
  summary: string;
  records: string[];
  rua: RuaUri[];
  errors: string[];
  dnsError?: DnsErrorCode;
  findings: Finding[];
  queries: DnsQueryLog[];
}

function parseUri(raw: string): RuaUri {
  const uri = raw.trim();
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/.exec(uri);
  const scheme = m?.[1]?.toLowerCase();
  if (scheme === 'mailto') {
    // RFC 6068: mailto:addr (percent-encoded); one address with an @ and a domain.
    let addr = (m?.[2] ?? '').split('?')[0] ?? '';
    try { addr = decodeURIComponent(addr); } catch { return { uri, scheme: 'mailto', valid: false, error: say('tlsrpt.uri.percent') }; }
    const ok = /^[^\s@,;<>]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(addr);
    return ok ? { uri, scheme: 'mailto', valid: true } : { uri, scheme: 'mailto', valid: false, error: say('tlsrpt.uri.not-address', { address: addr }) };
  }
  if (scheme === 'https') {
    try {
      const u = new URL(uri);
      if (!u.hostname.includes('.')) return { uri, scheme: 'https', valid: false, error: say('tlsrpt.uri.host') };
      return { uri, scheme: 'https', valid: true };
    } catch {
      return { uri, scheme: 'https', valid: false, error: say('tlsrpt.uri.url') };
    }
  }
  return { uri, scheme: 'other', valid: false, error: say('tlsrpt.uri.scheme') };
}

/** One TXT record (§3): "v=TLSRPTv1" first, then "rua=" with comma-separated URIs; extensions allowed. */
export function parseTlsRpt(record: string): TlsRptRecord {
  const errors: string[] = [];
  const fields = record.split(';').map((f) => f.trim());
  if (fields[fields.length - 1] === '') fields.pop();
  const out: TlsRptRecord = { record, rua: [], errors };
  if (fields[0] !== 'v=TLSRPTv1') errors.push(say('tlsrpt.version'));
  let ruaSeen = false;
  for (const f of fields.slice(1)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,31})\s*=\s*(.+)$/.exec(f);
    if (!m) { errors.push(say('sts.not-key-value', { field: f })); continue; }
    if (m[1] !== 'rua') continue;
    if (ruaSeen) { errors.push(say('tlsrpt.rua-repeated')); continue; }
    ruaSeen = true;
    // §3: URIs are comma-separated; a literal comma or semicolon inside one must be %-encoded.
    out.rua = (m[2] as string).split(',').map(parseUri);
  }
  if (!ruaSeen) errors.push(say('tlsrpt.no-rua'));
  for (const u of out.rua.filter((x) => !x.valid)) errors.push(say('tlsrpt.bad-rua', { uri: u.uri, errorMsg: u.error ?? '' }));
  return out;
}

export async function checkTlsRpt(domainIn: string, deps: { resolve: Resolve }): Promise<TlsRptResult> {
  const domain = domainIn.toLowerCase().replace(/\.$/, '');
  const name = `_smtp._tls.${domain}`;
  const queries: DnsQueryLog[] = [];
  const resolve = withQueryLog(deps.resolve, queries);
  const base = { domain, name, queries };
  let records: string[] = [];
  try {
    records = await resolve(name, 'TXT');
  } catch (e) {
    const code = isDnsError(e) ? e.dnsCode : 'EBADRESP';
    if (code !== 'ENOTFOUND' && code !== 'ENODATA') {
      return { ...base, status: 'error', summary: say('tlsrpt.lookup-failed', { name, code }), records: [], rua: [], errors: [], dnsError: code, findings: [{ level: 'error', code: 'tls-rpt.dns-error', message: say('tlsrpt.dns-error', { name, code }) }] };
    }
  }
  // §3: records that do not begin with v=TLSRPTv1 are discarded; more than one is an error.
  const rpt = records.filter((r) => /^v=TLSRPTv1(;|\s|$)/.test(r));
  if (rpt.length === 0) {
    return {
      ...base, status: 'none', summary: say('sts.summary.none'), records, rua: [], errors: [],
      findings: [{ level: 'info', code: 'tls-rpt.none', message: say('tlsrpt.none', { domain, name }), fix: say('tlsrpt.none.fix', { domain, name }) }],
    };
  }
  if (rpt.length > 1) {
    const errors = [`${rpt.length} records begin with v=TLSRPTv1; exactly one is allowed, so senders ignore them all`];
    return { ...base, status: 'fail', summary: errors[0] as string, records, rua: [], errors, findings: [{ level: 'error', code: 'tls-rpt.multiple-records', message: say('common.subject-text', { subjectMsg: name, textMsg: errors[0] ?? '' }), fix: say('tlsrpt.keep-one') }] };
  }
  const parsed = parseTlsRpt(rpt[0] as string);
  if (parsed.errors.length > 0) {
    return {
      ...base, status: 'fail', summary: say('tlsrpt.invalid'), records, rua: parsed.rua, errors: parsed.errors,
      findings: [{ level: 'error', code: 'tls-rpt.bad-record', message: say('sts.bad-txt', { name, errorsMsg: parsed.errors.join('; ') }), fix: say('tlsrpt.bad-record.fix', { domain }) }],
    };
  }
  return {
    ...base, status: 'ok', summary: say('tlsrpt.ok', { uris: parsed.rua.map((u) => u.uri).join(', ') }), records, rua: parsed.rua, errors: [],
    findings: [{ level: 'ok', code: 'tls-rpt.ok', message: say('tlsrpt.ok', { uris: parsed.rua.map((u) => u.uri).join(', ') }) }],
  };
}
