// The probe's posture findings, from what the sessions did: AUTH (mechanism, failure, SCRAM
// server proof, credentials in plaintext), the open-relay test and VRFY/EXPN exposure. Each
// finding has a level, the evidence (the exchange as sent and answered) and what to do. An
// open relay turns the verdict into 'open-relay' (exit 8). Pure. Every English text of these
// findings is in TEXT below, in one place, until it moves to the message catalog.
import type { AnnotatedSession } from './annotate.js';
import type { Verdict } from './verdict.js';
import type { Reply } from '../smtp/reply-parser.js';
import type { ExposureProbe, RelayVariantResult } from '../smtp/session-types.js';

export type PostureLevel = 'ok' | 'info' | 'warn' | 'error';

export interface PostureFinding {
  level: PostureLevel;
  /** Stable identifier: relay.open, relay.closed, vrfy.leaks, auth.failed, … */
  code: string;
  host: string;
  address: string;
  port: number;
  message: string;
  /** The commands and replies the finding rests on, as sent and received. */
  evidence: string[];
  fix?: string;
}

const TEXT = {
  relayOpen: (peer: string, n: number, client: string) => `${peer} is an OPEN RELAY: it accepted ${n} relay attempt(s) to a domain it has no business with, from a client at ${client}`,
  relayOpenUncertain: ' (only address tricks that are formally local were accepted: a catch-all server may take them for itself, but it may also route them onward)',
  relayOpenFix: 'restrict relaying to authenticated users and your own networks (Postfix: smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination; check mynetworks); turn off the percent hack and bang paths (allow_percent_hack = no, swap_bangpath = no); if this client address is one of your trusted networks, probe from outside them',
  relayClosed: (peer: string, n: number) => `${peer} refused all ${n} relay attempts (plain, percent hack, source route, quoted local part, bang path…)`,
  relayIncomplete: (peer: string, why: string) => `the relay test of ${peer} did not finish: ${why}`,
  relayIncompleteFix: 'run it again (--relay-test); a server that drops the connection after a few refused recipients may need a test from another address',
  relaySkipped: (peer: string, why: string) => `the relay test of ${peer} was not run: ${why}`,
  leaks: (peer: string, cmd: string, arg: string, code: number) => `${peer} answers ${cmd} ${arg} with ${code}: it confirms ${cmd === 'EXPN' ? 'the members of a list' : 'which users exist'} to anyone who asks (address harvesting, RFC 5321 §7.3)`,
  discriminates: (peer: string, detail: string) => `${peer} answers VRFY differently for existing and unknown users: ${detail} (address harvesting, RFC 5321 §7.3)`,
  leaksFix: (cmd: string) => `answer ${cmd} with 252 ("cannot verify") or turn it off (Postfix: disable_vrfy_command = yes; Exim: no acl for ${cmd}; Sendmail: PrivacyOptions=noverb,novrfy,noexpn)`,
  cannotVerify: (peer: string, cmd: string) => `${peer} answers ${cmd} with 252 (cannot verify): it does not confirm users, as RFC 5321 §3.5.3 recommends`,
  disabled: (peer: string, cmd: string, code: number) => `${peer} has ${cmd} turned off (${code})`,
  refused: (peer: string, cmd: string, code: number) => `${peer} refuses ${cmd} (${code}): no user is confirmed`,
  exposureUnknown: (peer: string, cmd: string, why: string) => `${cmd} on ${peer} was not answered: ${why}`,
  authOk: (peer: string, user: string, mech: string) => `${peer} logged ${user} in with ${mech}`,
  authFailed: (peer: string, msg: string) => `AUTH on ${peer} failed: ${msg}`,
  authFailedFix: 'check the user name and password (SMTP_PROBE_PASSWORD), that the account may submit mail here, and the mechanism (--auth-mech)',
  authNotVerified: (peer: string) => `${peer} did not prove that it knows the password (SCRAM server signature missing or wrong): it may not be the server you think`,
  authNotVerifiedFix: 'check that the host name and certificate are the ones you expect (--tls-verify); a man in the middle could be answering',
  authPlaintext: (peer: string) => `the credentials were sent to ${peer} over a session that is not encrypted (--auth-plaintext): anyone on the path could read them`,
  authPlaintextFix: 'offer STARTTLS (or port 465) and only offer AUTH inside TLS (Postfix: smtpd_tls_auth_only = yes); change the password',
  authNote: (peer: string, note: string) => `${peer}: ${note}`,
} as const;

const tag = (r: Reply | undefined): string => (r ? `${r.code}${r.enhanced ? ` ${r.enhanced}` : ''} ${r.lines[0] ?? ''}`.trim() : 'no reply');

function variantEvidence(v: RelayVariantResult): string {
  const parts = [`[${v.id}] MAIL FROM:<${v.from}> → ${tag(v.mail)}`];
  if (v.mail && v.mail.code < 400) parts.push(`RCPT TO:<${v.rcpt}> → ${tag(v.rcptReply)}`);
  return parts.join('; ');
}

function exposureFinding(base: Omit<PostureFinding, 'level' | 'code' | 'message' | 'evidence'>, peer: string, e: ExposureProbe): PostureFinding {
  const cmd = e.command;
  const key = cmd.toLowerCase();
  const evidence = [`${cmd} ${e.argument} → ${tag(e.reply)}`];
  const code = e.reply?.code ?? 0;
  switch (e.result) {
    case 'discriminates': return { ...base, level: 'warn', code: 'vrfy.discriminates', message: TEXT.discriminates(peer, e.message ?? ''), evidence, fix: TEXT.leaksFix(cmd) };
    case 'leaks': return { ...base, level: 'warn', code: `${key}.leaks`, message: TEXT.leaks(peer, cmd, e.argument, code), evidence, fix: TEXT.leaksFix(cmd) };
    case 'cannot-verify': return { ...base, level: 'ok', code: `${key}.cannot-verify`, message: TEXT.cannotVerify(peer, cmd), evidence };
    case 'disabled': return { ...base, level: 'ok', code: `${key}.disabled`, message: TEXT.disabled(peer, cmd, code), evidence };
    case 'refused': return { ...base, level: 'ok', code: `${key}.refused`, message: TEXT.refused(peer, cmd, code), evidence };
    default: return { ...base, level: 'info', code: `${key}.not-answered`, message: TEXT.exposureUnknown(peer, cmd, e.message ?? (e.reply ? `${code}` : 'no reply')), evidence };
  }
}

export function postureFindings(sessions: readonly AnnotatedSession[]): PostureFinding[] {
  const out: PostureFinding[] = [];
  for (const s of sessions) {
    const base = { host: s.host, address: s.address, port: s.port };
    const peer = `${s.host}[${s.address}]:${s.port}`;
    const a = s.auth;
    if (a) {
      const ev = s.steps.filter((x) => x.stage === 'auth').flatMap((x) => [...(x.sent !== undefined ? [`-> ${x.sent}`] : []), ...(x.reply ? [`<- ${tag(x.reply)}`] : [])]);
      if (a.status === 'ok') out.push({ ...base, level: 'ok', code: 'auth.ok', message: TEXT.authOk(peer, a.user, a.mechanism ?? 'AUTH'), evidence: ev });
      else if (a.status === 'server-not-verified') out.push({ ...base, level: 'error', code: 'auth.server-not-verified', message: TEXT.authNotVerified(peer), evidence: ev, fix: TEXT.authNotVerifiedFix });
      else if (a.status === 'not-offered' && s.outcome.stage !== 'auth') out.push({ ...base, level: 'info', code: 'auth.not-offered', message: a.message, evidence: ev });
      else out.push({ ...base, level: a.status === 'deferred' ? 'warn' : 'error', code: `auth.${a.status}`, message: TEXT.authFailed(peer, a.message), evidence: ev, ...(a.status === 'failed' ? { fix: TEXT.authFailedFix } : {}) });
      if (a.status === 'ok' && a.serverVerified === false) out.push({ ...base, level: 'warn', code: 'auth.server-not-verified', message: TEXT.authNotVerified(peer), evidence: ev, fix: TEXT.authNotVerifiedFix });
      if (a.mechanism && s.encrypted === false && a.status !== 'plaintext-refused') out.push({ ...base, level: 'error', code: 'auth.plaintext', message: TEXT.authPlaintext(peer), evidence: ev, fix: TEXT.authPlaintextFix });
      for (const n of a.notes) out.push({ ...base, level: 'warn', code: 'auth.note', message: TEXT.authNote(peer, n), evidence: [] });
    }
    // The control question is evidence for the others, not a finding of its own.
    const control = s.exposure?.find((e) => e.control);
    for (const e of s.exposure ?? []) {
      if (e.control) continue;
      const f = exposureFinding(base, peer, e);
      if (control?.reply && e.command === 'VRFY') f.evidence.push(`VRFY ${control.argument} → ${tag(control.reply)}`);
      out.push(f);
    }
    const rt = s.relayTest;
    if (rt) {
      const evidence = rt.variants.filter((v) => v.result !== 'not-run').map(variantEvidence);
      const accepted = rt.variants.filter((v) => v.result === 'accepted');
      if (rt.status === 'open') {
        const uncertain = accepted.every((v) => !v.certain) ? TEXT.relayOpenUncertain : '';
        out.push({ ...base, level: 'error', code: 'relay.open', message: `${TEXT.relayOpen(peer, accepted.length, s.localAddress ?? 'this machine')}${uncertain}`, evidence: accepted.map(variantEvidence), fix: TEXT.relayOpenFix });
      } else if (rt.status === 'closed') out.push({ ...base, level: 'ok', code: 'relay.closed', message: TEXT.relayClosed(peer, rt.variants.length), evidence });
      else if (rt.status === 'incomplete') out.push({ ...base, level: 'warn', code: 'relay.incomplete', message: TEXT.relayIncomplete(peer, rt.reason ?? 'unknown'), evidence, fix: TEXT.relayIncompleteFix });
      else out.push({ ...base, level: 'info', code: 'relay.skipped', message: TEXT.relaySkipped(peer, rt.reason ?? 'unknown'), evidence: [] });
    }
  }
  return out;
}

/** An open relay outranks every other outcome: the verdict says so first (exit 8); the dialogue's own line becomes a warning. */
export function applyPostureVerdict(v: Verdict, findings: readonly PostureFinding[]): Verdict {
  const open = findings.filter((f) => f.code === 'relay.open');
  if (open.length === 0) return v;
  const first = open[0] as PostureFinding;
  return {
    ...v,
    kind: 'open-relay',
    line: `${first.message}${open.length > 1 ? ` (and ${open.length - 1} more session(s))` : ''}: ${first.evidence[0] ?? ''}`,
    host: first.host, address: first.address, port: first.port,
    warnings: [`the dialogue itself: ${v.line}`, ...v.warnings],
  };
}
