// The open-relay test (--relay-test): after the main dialogue, each variant of
// data/relay-variants.json (plain, null sender, local sender, percent hack, source route,
// quoted local part, bang path…) as MAIL FROM, RCPT TO (when MAIL was accepted), RSET — one
// at a time, RSET after every variant, never DATA. A 2xx to RCPT is relaying (open); the
// session's own outcome, and so the main verdict's ground, is left untouched.
import relayJson from '../../data/relay-variants.json' with { type: 'json' };
import { formatCommand, formatRawPath, type Command } from './command.js';
import type { Dialogue } from './dialogue.js';
import { exchangeOne } from './exposure.js';
import { fitReply } from './expected-replies.js';
import type { RelayTestResult, RelayVariantResult } from './session-types.js';
import { say } from '../catalog/messages.js';

export interface RelayVariant { id: string; from: string; rcpt: string; certain: boolean; description: string }

export const RELAY_DATA = relayJson as { foreignRecipientDomain: string; foreignSenderDomain: string; localPart: string; variants: RelayVariant[] };

/** The variants with {user}, {sender}, {foreign}, {local} and {ip} filled in; duplicates dropped. */
export function relayVariants(localDomain: string, ip: string): RelayVariant[] {
  const literal = ip.includes(':') ? `IPv6:${ip}` : ip;
  const fill = (tpl: string): string => tpl
    .replaceAll('{user}', RELAY_DATA.localPart)
    .replaceAll('{sender}', RELAY_DATA.foreignSenderDomain)
    .replaceAll('{foreign}', RELAY_DATA.foreignRecipientDomain)
    .replaceAll('{local}', localDomain)
    .replaceAll('{ip}', literal);
  const seen = new Set<string>();
  const out: RelayVariant[] = [];
  for (const v of RELAY_DATA.variants) {
    const x = { ...v, from: fill(v.from), rcpt: fill(v.rcpt) };
    const key = `${x.from}\n${x.rcpt}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(x);
  }
  return out;
}

/** Run every variant on the open connection; `skip` names why the test cannot run at all. */
export async function runRelayTest(d: Dialogue, localDomain: string, skip?: string): Promise<RelayTestResult> {
  const variants = relayVariants(localDomain, d.o.address);
  const result: RelayTestResult = { status: 'closed', localDomain, variants: [] };
  if (skip) return { ...result, status: 'skipped', reason: skip };
  // Every command is formatted before anything is sent; a variant too long for this domain
  // (RFC 5321 §4.5.3.1.3: 256-octet paths) is reported as not run, never sent cut.
  const planned: { v: RelayVariant; mail: Command; rcpt: Command }[] = [];
  const unwritable: RelayVariantResult[] = [];
  for (const v of variants) {
    try {
      planned.push({ v, mail: formatRawPath('MAIL', v.from), rcpt: formatRawPath('RCPT', v.rcpt) });
    } catch (e) {
      unwritable.push(notRun(v, `not sent: ${(e as Error).message}`));
    }
  }
  const rset: Command = formatCommand('RSET');
  const t = d.transport;
  d.part = 'relay-test';
  // A variant whose MAIL or RCPT met trouble (hang-up, timeout, stray reply) ends as an error
  // when a reply came and as not run when none did; the test's reason names the last trouble.
  const troubled = (r: RelayVariantResult, x: { reply?: unknown; trouble?: string }): boolean => {
    if (!x.trouble) return false;
    r.result = x.reply ? 'error' : 'not-run';
    r.message = x.trouble;
    result.reason = x.trouble;
    return true;
  };
  try {
    // The main transaction is still open: close it first, so each variant starts clean.
    if (t && d.alive() && d.transactionOpen) {
      const x = await exchangeOne(d, t, { stage: 'rset', expecting: 'RSET', cmd: rset });
      if (x.trouble) return { ...result, status: 'incomplete', reason: x.trouble, variants: variants.map((v) => notRun(v, x.trouble)) };
      d.transactionOpen = false;
    }
    for (const p of planned) {
      const v = p.v;
      const base = { id: v.id, from: v.from, rcpt: v.rcpt, certain: v.certain };
      if (!t || !d.alive()) {
        result.variants.push(notRun(v, result.reason));
        continue;
      }
      const r: RelayVariantResult = { ...base, result: 'not-run' };
      result.variants.push(r);
      const m = await exchangeOne(d, t, { stage: 'mail', expecting: 'MAIL', cmd: p.mail });
      if (m.reply) r.mail = m.reply;
      if (troubled(r, m)) continue;
      const mailOk = fitReply('MAIL', m.reply!) === 'success';
      d.transactionOpen = mailOk;
      if (!mailOk) r.result = 'sender-refused';
      else {
        const x = await exchangeOne(d, t, { stage: 'rcpt', expecting: 'RCPT', cmd: p.rcpt, address: v.rcpt });
        if (x.reply) r.rcptReply = x.reply;
        if (troubled(r, x)) continue;
        r.result = fitReply('RCPT', x.reply!) === 'success' ? 'accepted' : 'refused';
      }
      // RSET after every variant (RFC 5321 §4.1.1.5), accepted or not: nothing stays open.
      const z = await exchangeOne(d, t, { stage: 'rset', expecting: 'RSET', cmd: rset });
      if (z.reply) r.rset = z.reply;
      if (z.trouble || fitReply('RSET', z.reply!) !== 'success') {
        d.gone = true; // a server that will not reset cannot be trusted with another variant
        result.reason = z.trouble ?? `${d.peer} refused RSET (${z.reply?.code ?? '?'})`;
      } else d.transactionOpen = false;
    }
  } finally {
    d.part = undefined;
  }
  result.variants.push(...unwritable);
  if (result.variants.some((v) => v.result === 'accepted')) result.status = 'open';
  else if (result.variants.some((v) => (v.result === 'not-run' && !v.message?.startsWith('not sent:')) || v.result === 'error')) result.status = 'incomplete';
  else if (!result.variants.some((v) => v.result === 'refused')) {
    // No RCPT was ever tried: the relay rules were not reached, so "closed" would be a guess.
    result.status = 'incomplete';
    result.reason = say('posture.relay.every-mail-refused', { peer: d.peer });
  }
  return result;
}

function notRun(v: RelayVariant, why: string | undefined): RelayVariantResult {
  return { id: v.id, from: v.from, rcpt: v.rcpt, certain: v.certain, result: 'not-run', ...(why ? { message: why } : {}) };
}
