// The probe's posture findings, from what the sessions did: AUTH (mechanism, failure, SCRAM
// server proof, credentials in plaintext), the open-relay test and VRFY/EXPN exposure. Each
// finding has a level, the evidence (the exchange as sent and answered) and what to do. An
// open relay turns the verdict into 'open-relay' (exit 8). Pure. The sentences are the
// message catalog's (data/messages.json, keys posture.*): English here, localised by renderers.
import type { AnnotatedSession } from './annotate.js';
import type { Verdict } from './verdict.js';
import type { Reply } from '../smtp/reply-parser.js';
import type { ExposureProbe, RelayVariantResult } from '../smtp/session-types.js';
import { say } from '../catalog/messages.js';

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


const tag = (r: Reply | undefined): string => (r ? `${r.code}${r.enhanced ? ` ${r.enhanced}` : ''} ${r.lines[0] ?? ''}`.trim() : 'no reply');

function variantEvidence(v: RelayVariantResult): string {
  const parts = [`[${v.id}] MAIL FROM:<${v.from}> → ${tag(v.mail)}`];
  if (v.mail && v.mail.code < 400) parts.push(`RCPT TO:<${v.rcpt}> → ${tag(v.rcptReply)}`);
  return parts.join('; ');
}

function exposureFinding(base: Omit<PostureFinding, 'level' | 'code' | 'message' | 'evidence'>, peer: string, e: ExposureProbe, control?: ExposureProbe): PostureFinding {
  const cmd = e.command;
  const key = cmd.toLowerCase();
  const evidence = [`${cmd} ${e.argument} → ${tag(e.reply)}`];
  const code = e.reply?.code ?? 0;
  switch (e.result) {
    case 'discriminates': return { ...base, level: 'warn', code: 'vrfy.discriminates', message: say('posture.vrfy.discriminates', { peer, code, argument: e.argument, controlCode: control?.reply?.code ?? 550, control: control?.argument ?? '' }), evidence, fix: say('posture.exposure.leaks-fix', { command: cmd }) };
    case 'leaks': return { ...base, level: 'warn', code: `${key}.leaks`, message: say(cmd === 'EXPN' ? 'posture.expn.leaks' : 'posture.vrfy.leaks', { peer, argument: e.argument, code }), evidence, fix: say('posture.exposure.leaks-fix', { command: cmd }) };
    case 'cannot-verify': return { ...base, level: 'ok', code: `${key}.cannot-verify`, message: say('posture.exposure.cannot-verify', { peer, command: cmd }), evidence };
    case 'disabled': return { ...base, level: 'ok', code: `${key}.disabled`, message: say('posture.exposure.disabled', { peer, command: cmd, code }), evidence };
    case 'refused': return { ...base, level: 'ok', code: `${key}.refused`, message: say('posture.exposure.refused', { peer, command: cmd, code }), evidence };
    default: return { ...base, level: 'info', code: `${key}.not-answered`, message: say('posture.exposure.unanswered', { command: cmd, peer, reasonMsg: e.message ?? (e.reply ? `${code}` : say('outcome.no-reply')) }), evidence };
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
      if (a.status === 'ok') out.push({ ...base, level: 'ok', code: 'auth.ok', message: say('posture.auth.ok', { peer, user: a.user, mechanism: a.mechanism ?? 'AUTH' }), evidence: ev });
      else if (a.status === 'server-not-verified') out.push({ ...base, level: 'error', code: 'auth.server-not-verified', message: say('posture.auth.not-verified', { peer }), evidence: ev, fix: say('posture.auth.not-verified-fix') });
      else if (a.status === 'not-offered' && s.outcome.stage !== 'auth') out.push({ ...base, level: 'info', code: 'auth.not-offered', message: a.message, evidence: ev });
      else out.push({ ...base, level: a.status === 'deferred' ? 'warn' : 'error', code: `auth.${a.status}`, message: say('posture.auth.failed', { peer, reasonMsg: a.message }), evidence: ev, ...(a.status === 'failed' ? { fix: say('posture.auth.failed-fix') } : {}) });
      if (a.status === 'ok' && a.serverVerified === false) out.push({ ...base, level: 'warn', code: 'auth.server-not-verified', message: say('posture.auth.not-verified', { peer }), evidence: ev, fix: say('posture.auth.not-verified-fix') });
      if (a.mechanism && s.encrypted === false && a.status !== 'plaintext-refused') out.push({ ...base, level: 'error', code: 'auth.plaintext', message: say('posture.auth.plaintext', { peer }), evidence: ev, fix: say('posture.auth.plaintext-fix') });
      for (const n of a.notes) out.push({ ...base, level: 'warn', code: 'auth.note', message: say('posture.auth.note', { peer, noteMsg: n }), evidence: [] });
    }
    // The control question is evidence for the others, not a finding of its own.
    const control = s.exposure?.find((e) => e.control);
    for (const e of s.exposure ?? []) {
      if (e.control) continue;
      const f = exposureFinding(base, peer, e, control);
      if (control?.reply && e.command === 'VRFY') f.evidence.push(`VRFY ${control.argument} → ${tag(control.reply)}`);
      out.push(f);
    }
    const rt = s.relayTest;
    if (rt) {
      const evidence = rt.variants.filter((v) => v.result !== 'not-run').map(variantEvidence);
      const accepted = rt.variants.filter((v) => v.result === 'accepted');
      if (rt.status === 'open') {
        const uncertain = accepted.every((v) => !v.certain);
        out.push({ ...base, level: 'error', code: 'relay.open', message: say(uncertain ? 'posture.relay.open-uncertain' : 'posture.relay.open', { peer, count: accepted.length, client: s.localAddress ?? 'this machine' }), evidence: accepted.map(variantEvidence), fix: say('posture.relay.open-fix') });
      } else if (rt.status === 'closed') out.push({ ...base, level: 'ok', code: 'relay.closed', message: say('posture.relay.closed', { peer, count: rt.variants.length }), evidence });
      else if (rt.status === 'incomplete') out.push({ ...base, level: 'warn', code: 'relay.incomplete', message: say('posture.relay.incomplete', { peer, reasonMsg: rt.reason ?? 'unknown' }), evidence, fix: say('posture.relay.incomplete-fix') });
      else out.push({ ...base, level: 'info', code: 'relay.skipped', message: say('posture.relay.skipped', { peer, reasonMsg: rt.reason ?? 'unknown' }), evidence: [] });
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
    line: say('verdict.open-relay', { findingMsg: first.message, evidence: first.evidence[0] ?? '' }),
    host: first.host, address: first.address, port: first.port,
    warnings: [say('verdict.dialogue-itself', { lineMsg: v.line }), ...open.slice(1).map((f) => f.message), ...v.warnings],
  };
}
