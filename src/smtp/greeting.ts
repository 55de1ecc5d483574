// The greeting phase: connect (TLS first on 465) → banner → EHLO (HELO fallback) →
// STARTTLS → handshake → EHLO again. Each reply is judged against the command it answers;
// 421 anywhere is "closing, try later", a code the command cannot get is a protocol error.
// Leaves via Dialogue.end() (result.outcome says why) or returns ready for a transaction.
import { formatCommand } from './command.js';
import type { Dialogue } from './dialogue.js';
import { parseEhlo } from './ehlo.js';
import { fitReply } from './expected-replies.js';
import { replyOutcome } from './judge.js';
import { STAGE_TIMEOUT_MS } from './stages.js';
import type { TlsFacts } from './tls-facts.js';
import type { Transport } from './transport.js';
import { say } from '../catalog/messages.js';

/** Ports where mail is expected to be offered STARTTLS (RFC 3207; RFC 8314 §3.3 for 587). */
const STARTTLS_PORTS = new Set([25, 587]);

function checkTlsPolicy(d: Dialogue, f: TlsFacts): void {
  // Say which identity was checked and where it came from (RFC 6125 §6.2: an IP target's is its IP).
  if (f.checkedName !== undefined) f.identitySource = d.o.tls.servername ? 'tls-name' : f.checkedAs === 'ip' ? 'ip' : 'host';
  if (!d.o.tlsVerify) return;
  const peer = d.peer;
  if (!f.trusted) d.end({ kind: 'tls', stage: 'tls-handshake', message: say('tls.verify.untrusted', { peer, reasonMsg: f.trustError ?? say('probe.tls.unknown-reason') }) });
  if (f.nameMatches === false) {
    // The names the certificate does carry (values), rather than Node's English error text.
    const names = f.chain[0]?.subjectAltNames.join(', ') || f.chain[0]?.subject || '';
    const key = `tls.verify.mismatch${f.checkedAs === 'ip' ? '-ip' : ''}${names ? '-names' : ''}${f.identitySource === 'ip' ? '.hint' : ''}`;
    d.end({ kind: 'tls', stage: 'tls-handshake', message: say(key, { peer, name: f.checkedName, names }) });
  }
}

/** The name the certificate must carry: --tls-name, else the MX host name, else the IP itself (RFC 6125). */
export function tlsIdentity(d: Dialogue): string {
  return d.o.tls.servername ?? d.o.host;
}

async function ehlo(d: Dialogue, t: Transport): Promise<void> {
  const { o, result } = d;
  const { reads } = await d.talk(t, [{ stage: 'ehlo', expecting: 'EHLO', cmd: formatCommand('EHLO', o.helo) }], false);
  const r = reads[0];
  if (!r?.reply) return d.fail(r?.failure ?? { kind: 'network', message: say('outcome.no-reply') }, 'ehlo');
  const fit = fitReply('EHLO', r.reply);
  if (fit === 'success') {
    result.extensions = parseEhlo(r.reply);
    return;
  }
  if (fit === 'refusal' && r.reply.code >= 500 && o.tlsMode !== 'require') {
    // Old servers without ESMTP: fall back to HELO (RFC 5321 §3.2); no extensions then.
    result.notes.push(say('outcome.ehlo-fallback', { code: r.reply.code }));
    const h = await d.talk(t, [{ stage: 'helo', expecting: 'HELO', cmd: formatCommand('HELO', o.helo) }], false);
    const hr = h.reads[0];
    if (!hr?.reply) return d.fail(hr?.failure ?? { kind: 'network', message: say('outcome.no-reply') }, 'helo');
    const ho = replyOutcome(d.peer, 'helo', 'HELO', hr.reply, `HELO ${o.helo}`);
    if (ho) d.end(ho);
    result.extensions = undefined;
    return;
  }
  d.end(replyOutcome(d.peer, 'ehlo', 'EHLO', r.reply, `EHLO ${o.helo}`, fit) ?? { kind: 'protocol', stage: 'ehlo', message: say('outcome.no-ehlo-answer', { peer: d.peer }) });
}

async function startTls(d: Dialogue, t: Transport): Promise<void> {
  const { o, result, peer } = d;
  const { reads } = await d.talk(t, [{ stage: 'starttls', expecting: 'STARTTLS', cmd: formatCommand('STARTTLS') }], false);
  const r = reads[0];
  if (!r?.reply) return d.fail(r?.failure ?? { kind: 'network', message: say('outcome.no-reply') }, 'starttls');
  const fit = fitReply('STARTTLS', r.reply);
  if (fit === 'success') {
    d.event('tls-handshake');
    const hs = d.newStep('tls-handshake');
    const up = await t.upgradeTls({ ...o.tls, servername: tlsIdentity(d) }, d.deadline('tls-handshake'));
    hs.ms = d.deps.now() - hs.startedAt;
    if (!up.ok) {
      hs.failure = { kind: up.kind, message: up.message };
      return d.fail(up, 'tls-handshake');
    }
    hs.tls = true;
    result.tlsMode = 'starttls';
    result.encrypted = true;
    result.tls = up.facts;
    result.extensions = undefined; // RFC 3207 §4.2: forget what was learnt in plaintext
    d.lastAnswered = 'starttls';
    checkTlsPolicy(d, up.facts);
    // swaks: TLS quits right after the negotiation, before the second EHLO.
    if (d.quitsAfter('tls')) d.stopAfter('tls', 'tls-handshake', say('posture.quit.tls-up', { peer, protocol: up.facts.protocol ?? 'TLS' }));
    await ehlo(d, t);
    return;
  }
  // 421 (closing), an impossible code, a malformed reply: the session ends here, never "continue without TLS".
  if (fit !== 'refusal') d.end(replyOutcome(peer, 'starttls', 'STARTTLS', r.reply, 'STARTTLS', fit) as NonNullable<ReturnType<typeof replyOutcome>>);
  if (o.tlsMode === 'require') d.end({ kind: 'tls', stage: 'starttls', message: `${peer} offered STARTTLS but refused it (${r.reply.code}); --tls require stops here`, reply: r.reply });
  result.notes.push(`${peer} offered STARTTLS but refused it (${r.reply.code}); continued without TLS: this session is not encrypted`);
}

/** Connect, banner, EHLO, STARTTLS when offered and EHLO again. Ends the dialogue (throws Ended) unless ready. */
export async function greet(d: Dialogue): Promise<void> {
  const { o, result, deps } = d;
  // Connect (and, on 465, the TLS handshake).
  d.event('connect');
  const cstep = d.newStep('connect');
  const c = await deps.connect(
    { host: o.host, address: o.address, port: o.port, implicitTls: o.implicitTls, tls: { ...o.tls, servername: tlsIdentity(d) } },
    Math.min(Date.now() + (STAGE_TIMEOUT_MS.connect + (o.implicitTls ? STAGE_TIMEOUT_MS['tls-handshake'] : 0)) * o.timeoutScale, o.runDeadline),
  );
  cstep.ms = deps.now() - cstep.startedAt;
  if (!c.ok) {
    cstep.failure = { kind: c.kind, message: c.message };
    return d.fail(c, 'connect');
  }
  const t = c.transport;
  d.transport = t;
  cstep.tls = t.isTls;
  result.encrypted = t.isTls;
  if (t.localAddress) result.localAddress = t.localAddress.replace(/^::ffff:/, '');
  if (c.tls) {
    result.tls = c.tls;
    checkTlsPolicy(d, c.tls);
  }

  // Banner: never send anything before it (RFC 5321 §4.3.1; early talkers get refused).
  d.event('banner');
  const bstep = d.newStep('banner');
  const b = await t.readReply(d.deadline('banner'));
  bstep.ms = deps.now() - bstep.startedAt;
  if (!b.ok) {
    bstep.failure = { kind: b.kind, message: b.message, ...(b.line !== undefined ? { line: b.line } : {}) };
    return d.fail(b, 'banner');
  }
  bstep.reply = b.reply;
  const bo = replyOutcome(d.peer, 'banner', 'banner', b.reply, 'the connection');
  if (bo) d.end(bo.reply?.code === 421 ? { ...bo, message: say('outcome.banner-421', { peer: d.peer }) } : bo);
  d.lastAnswered = 'banner';
  // swaks: CONNECT and BANNER both quit once the banner is in (nothing may be sent before it).
  if (d.quitsAfter('connect', 'banner')) d.stopAfter(o.quitAfter ?? 'banner', 'banner', say('posture.quit.banner', { peer: d.peer, code: b.reply.code, stage: o.quitAfter ?? 'banner' }));

  await ehlo(d, t);

  // STARTTLS when offered (RFC 3207), then EHLO again: the plaintext EHLO is forgotten.
  if (!o.implicitTls && o.tlsMode !== 'none') {
    if (result.extensions?.starttls) await startTls(d, t);
    else if (o.tlsMode === 'require') d.end({ kind: 'tls', stage: 'ehlo', message: `${d.peer} does not offer STARTTLS; --tls require stops here` });
    else if (STARTTLS_PORTS.has(o.port)) {
      result.notes.push(`${d.peer} does not offer STARTTLS on port ${o.port}: mail to it travels unencrypted (or someone on the path stripped STARTTLS from the EHLO reply)`);
    }
  }
  result.outcome = { kind: 'ok', stage: 'ehlo', message: `${d.peer} is ready for a mail transaction` };
  const last = result.extensions ? 'EHLO' : 'HELO';
  if (d.quitsAfter('tls')) {
    d.stopAfter('tls', result.extensions ? 'ehlo' : 'helo', say(o.implicitTls ? 'posture.quit.tls-implicit' : 'posture.quit.tls-none', { peer: d.peer, command: last }));
  }
  if (d.quitsAfter('ehlo') || (d.quitsAfter('auth') && !o.auth)) {
    d.stopAfter(o.quitAfter ?? 'ehlo', result.extensions ? 'ehlo' : 'helo', say('posture.quit.ehlo', { peer: d.peer, command: last, stage: o.quitAfter ?? 'ehlo' }));
  }
}
