// The AUTH phase (RFC 4954) on a greeted connection: the mechanism chosen from the EHLO
// offer, credentials sent only inside TLS unless the caller allows plaintext, every step
// recorded redacted (AUTH PLAIN <redacted>), every reply scrubbed of the password's forms,
// SCRAM's server signature verified. 235 = logged in; 535/534/538/454 end the session as
// explained outcomes at stage 'auth'. Never throws for what the peer does.
import { formatAuth, formatSaslResponse, REDACTED, type Command } from './command.js';
import type { Dialogue } from './dialogue.js';
import { fitReply } from './expected-replies.js';
import { replyOutcome } from './judge.js';
import type { Reply } from './reply-parser.js';
import { chooseMechanism, saslClient, secretForms, SUPPORTED_MECHANISMS, type ScramOptions } from './sasl.js';
import type { AuthResult, AuthStatus, OutcomeKind, Step } from './session-types.js';
import { say } from '../catalog/messages.js';

/** More 334 rounds than any supported mechanism needs means a broken or hostile server. */
const MAX_ROUNDS = 5;

const STATUS_BY_CODE: Record<number, AuthStatus> = { 535: 'failed', 534: 'too-weak', 538: 'encryption-required', 530: 'failed' };

/** What a refusal code means for a person, after the server's own words (message keys). */
const WHY: Record<number, string> = {
  535: 'posture.auth.why.535',
  534: 'posture.auth.why.534',
  538: 'posture.auth.why.538',
  454: 'posture.auth.why.454',
  432: 'posture.auth.why.432',
};

/** Replace every form of the secret in a string (the server might echo what it got). */
export function scrubText(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const x of secrets) if (out.includes(x)) out = out.split(x).join(REDACTED);
  return out;
}

/** Deep-scrub every string of a JSON-like value in place: nothing a result holds can carry the secret. */
export function scrubDeep(v: unknown, secrets: readonly string[], seen = new WeakSet<object>()): void {
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    const x = o[k];
    if (typeof x === 'string') o[k] = scrubText(x, secrets);
    else scrubDeep(x, secrets, seen);
  }
}

function redactReply(r: Reply, secrets: readonly string[], whole: boolean): Reply {
  if (whole) return { ...r, lines: r.lines.map(() => REDACTED), text: r.lines.map(() => REDACTED).join('\n') };
  return { ...r, lines: r.lines.map((l) => scrubText(l, secrets)), text: scrubText(r.text, secrets) };
}

export interface AuthDeps { scram?: ScramOptions }

/** Log in when the setup asks for it; on failure the dialogue ends (Ended) with result.outcome at 'auth'. */
export async function authenticate(d: Dialogue, deps: AuthDeps = {}): Promise<void> {
  const a = d.o.auth;
  const t = d.transport;
  if (!a || !t) return;
  const { result, peer } = d;
  const offered = result.extensions?.auth ?? [];
  const auth: AuthResult = { user: a.user, offered, status: 'error', message: '', notes: [] };
  result.auth = auth;
  const secrets = secretForms(a);
  // Typed as a declaration so TypeScript knows control ends here (narrowing after a call).
  const stop: (status: AuthStatus, kind: OutcomeKind, message: string, reply?: Reply) => never = (status, kind, message, reply) => {
    auth.status = status;
    auth.message = message;
    if (reply) auth.reply = reply;
    return d.end({ kind, stage: 'auth', message, ...(reply ? { reply } : {}) });
  };

  if (!result.encrypted && !a.allowPlaintext) {
    stop('plaintext-refused', 'tls', say('posture.auth.plaintext-refused', { peer }));
  }
  if (offered.length === 0 && a.optional) {
    // Port 25 (with --port all) usually offers no AUTH: said, and the dialogue goes on without it.
    auth.status = 'not-offered';
    auth.message = say('posture.auth.not-offered-optional', { peer, port: d.o.port });
    result.notes.push(auth.message);
    return;
  }
  if (offered.length === 0) {
    stop('not-offered', 'rejected', say(!result.extensions ? 'posture.auth.not-offered-no-ehlo' : result.encrypted ? 'posture.auth.not-offered' : 'posture.auth.not-offered-plaintext', { peer }));
  }
  const mechanism = chooseMechanism(offered, a.mechanism);
  if (!mechanism) {
    stop('no-mechanism', 'rejected', a.mechanism
      ? say('posture.auth.mech-not-offered', { peer, offered: offered.join(' '), mechanism: a.mechanism.toUpperCase() })
      : say('posture.auth.no-common-mech', { peer, offered: offered.join(' '), supported: SUPPORTED_MECHANISMS.join(', ') }));
  }
  auth.mechanism = mechanism;
  const client = saslClient(mechanism, a, deps.scram);
  const startIndex = d.sink.length;

  try {
    let cmd: Command = formatAuth(mechanism, client.initial());
    for (let round = 0; round <= MAX_ROUNDS; round++) {
      const { reads } = await d.talk(t, [{ stage: 'auth', expecting: 'AUTH', cmd }], false);
      const r = reads[0];
      if (!r?.reply) {
        auth.message = r?.failure?.message ?? say('outcome.no-reply');
        return d.fail(r?.failure ?? { kind: 'network', message: say('outcome.no-reply') }, 'auth');
      }
      const raw = r.reply;
      const reply = redactReply(raw, secrets, client.secretChallenges && raw.code === 334);
      const step = [...d.sink].reverse().find((s: Step) => s.stage === 'auth' && s.reply === raw);
      if (step) step.reply = reply;
      const fit = fitReply('AUTH', raw);
      if (raw.code === 235) {
        auth.status = 'ok';
        auth.reply = reply;
        auth.message = say('posture.auth.accepted', { peer, user: a.user, mechanism });
        if (client.serverVerified !== undefined) auth.serverVerified = client.serverVerified;
        else if (mechanism.startsWith('SCRAM')) {
          auth.serverVerified = false;
          auth.notes.push(say('posture.auth.no-server-signature'));
        }
        auth.notes.push(...client.notes);
        return;
      }
      if (raw.code === 334 && fit === 'success') {
        if (round === MAX_ROUNDS) {
          cmd = formatSaslResponse('*');
          await cancel(d, cmd);
          stop('error', 'protocol', say('posture.auth.rounds', { peer, n: MAX_ROUNDS, mechanism }));
        }
        const next = client.challenge(raw.lines[0] ?? '');
        if ('cancel' in next) {
          await cancel(d, formatSaslResponse('*'));
          auth.notes.push(...client.notes);
          if (client.serverVerified === false) {
            auth.serverVerified = false;
            stop('server-not-verified', 'protocol', say('posture.auth.cancelled-unverified', { peer, reasonMsg: next.cancel }));
          }
          stop('error', 'protocol', say('posture.auth.cancelled', { peer, reasonMsg: next.cancel }));
        }
        cmd = formatSaslResponse(next.send);
        continue;
      }
      // A refusal, a 421, or a code AUTH cannot get.
      const o = replyOutcome(peer, 'auth', 'AUTH', reply, say('outcome.what.credentials', { user: a.user, mechanism }), fit);
      if (!o) stop('error', 'protocol', say('posture.auth.odd-code', { peer, code: raw.code }), reply);
      const status: AuthStatus = raw.code >= 400 && raw.code < 500 && raw.code !== 432 ? 'deferred' : STATUS_BY_CODE[raw.code] ?? (fit === 'refusal' ? 'failed' : 'error');
      const why = WHY[raw.code];
      auth.notes.push(...client.notes);
      const explained = why && (o.kind === 'rejected' || o.kind === 'deferred')
        ? say(o.kind === 'rejected' ? 'posture.auth.refused' : 'posture.auth.deferred', { peer, user: a.user, mechanism, code: `${raw.code}${raw.enhanced ? ` ${raw.enhanced}` : ''}`, whyMsg: say(why) })
        : o.message;
      stop(status, o.kind, explained, reply);
    }
  } finally {
    // Defence in depth: whatever a step or failure of this phase holds is scrubbed again.
    for (const s of d.sink.slice(startIndex)) scrubDeep(s, secrets);
    scrubDeep(result.outcome, secrets);
  }
}

/** '*' cancels an exchange (RFC 4954 §4); the server answers 501. Its reply is recorded, not judged. */
async function cancel(d: Dialogue, cmd: Command): Promise<void> {
  if (!d.transport) return;
  await d.talk(d.transport, [{ stage: 'auth', expecting: 'AUTH', cmd }], false);
}
