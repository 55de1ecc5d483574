// SMTP sessions with one address and port, split along the dialogue: greeting.ts (connect,
// banner, EHLO, STARTTLS, EHLO again), transaction.ts (MAIL + RCPT, one plan read in order,
// pipelined or not), farewell.ts (RSET, QUIT: the sync point), judge.ts (outcomes, pure).
// openSession() keeps a connection for many transactions (verify); runSession() is open,
// one transaction, close (the probe). Never DATA. What the peer does is data (Outcome).
import { Dialogue, Ended } from './dialogue.js';
import { leave } from './farewell.js';
import { greet } from './greeting.js';
import { authenticate, scrubDeep } from './smtp-auth.js';
import { secretForms } from './sasl.js';
import { probeExposure } from './exposure.js';
import { runRelayTest } from './relay-test.js';
import type { SessionDeps, SessionOptions, SessionResult, SessionSetup, SmtpSession, TransactionResult } from './session-types.js';
import { planTransaction, runTransaction, type TransactionPlan } from './transaction.js';

export type {
  OutcomeKind, Outcome, RcptResult, SessionDeps, SessionEvent, SessionOptions, SessionResult, SessionSetup,
  SmtpSession, Step, TlsMode, TransactionResult,
} from './session-types.js';
export { peerName } from './judge.js';
import { peerName } from './judge.js';
import { say } from '../catalog/messages.js';

/** One session: open, one transaction for o.rcpts, close (the probe's dialogue). */
export async function runSession(o: SessionOptions, deps: SessionDeps): Promise<SessionResult> {
  const { session: s, d } = await open(o, deps);
  try {
    if (s.usable) {
      // --quit-after mail: MAIL FROM alone; rcpt: MAIL and RCPT, then QUIT without RSET.
      await s.transaction(o.from, o.quitAfter === 'mail' ? [] : o.rcpts);
      if (o.quitAfter === 'mail' || o.quitAfter === 'rcpt') {
        const r = s.result;
        r.stoppedAfter = o.quitAfter;
        if (r.outcome.kind === 'ok' && o.quitAfter === 'mail') r.outcome = { ...r.outcome, stage: 'mail', message: say('posture.quit.mail', { peer: peerName(o.host, o.address, o.port), from: o.from }) };
        else if (r.outcome.kind === 'ok') r.outcome = { ...r.outcome, message: say('posture.quit.rcpt', { outcomeMsg: r.outcome.message }) };
      }
    }
    await optionalPhases(o, d);
  } finally {
    await s.close();
  }
  return s.result;
}

/**
 * After the main transaction: VRFY/EXPN (--vrfy, --expn), then the open-relay test. They
 * never change the session's outcome; when they cannot run, they say why (never silent).
 */
async function optionalPhases(o: SessionOptions, d: Dialogue): Promise<void> {
  const wantsExposure = (o.vrfy?.length ?? 0) + (o.expn?.length ?? 0) > 0;
  if (!wantsExposure && !o.relayTest) return;
  d.noticeIdleFailure();
  const r = d.result;
  const ended = r.stoppedAfter
    ? say('posture.optional.quit-first', { stage: r.stoppedAfter })
    : d.alive() ? undefined : say('posture.optional.ended', { reasonMsg: r.outcome.message });
  if (wantsExposure) {
    r.exposure = ended
      ? [...(o.vrfy ?? []).map((argument) => ({ command: 'VRFY' as const, argument, result: 'not-run' as const, message: ended })), ...(o.expn ?? []).map((argument) => ({ command: 'EXPN' as const, argument, result: 'not-run' as const, message: ended }))]
      : await probeExposure(d, o.vrfy ?? [], o.expn ?? []);
  }
  if (o.relayTest) {
    const authed = r.auth?.status === 'ok' ? say('posture.relay.authenticated') : undefined;
    const gone = d.alive() ? undefined : say('posture.optional.ended', { reasonMsg: d.goneWhy ?? r.outcome.message });
    r.relayTest = await runRelayTest(d, o.relayTest.localDomain, ended ?? authed ?? gone);
  }
}

/** Connect, read the banner, EHLO, STARTTLS when offered and EHLO again. Never rejects for what the peer does. */
export async function openSession(o: SessionSetup, deps: SessionDeps): Promise<SmtpSession> {
  return (await open(o, deps)).session;
}

async function open(o: SessionSetup, deps: SessionDeps): Promise<{ session: SmtpSession; d: Dialogue }> {
  const result: SessionResult = {
    host: o.host, address: o.address, port: o.port,
    tlsMode: o.implicitTls ? 'implicit' : 'none',
    encrypted: false,
    steps: [], rcpts: [], notes: [],
    outcome: { kind: 'ok', stage: 'quit', message: '' },
  };
  const d = new Dialogue(o, deps, result);
  const record = o.recordTransactions !== false;

  try {
    await greet(d);
    // AUTH after STARTTLS (or inside implicit TLS), then --quit-after auth.
    if (o.auth) {
      await authenticate(d);
      if (d.quitsAfter('auth')) d.stopAfter('auth', 'auth', say('posture.quit.auth', { peer: d.peer }));
    }
  } catch (e) {
    if (!(e instanceof Ended)) {
      if (d.transport) await leave(d, d.transport);
      throw e;
    }
  }
  // A greeting that did not end ready, or stopped on purpose, leaves now (QUIT when the connection allows it).
  if ((result.outcome.kind !== 'ok' || result.stoppedAfter) && d.transport) await leave(d, d.transport);
  if (o.auth) scrubDeep(result, secretForms(o.auth));

  /** Run one phase with its steps collected apart (and kept in result unless told otherwise). */
  const phase = async (plan: TransactionPlan): Promise<TransactionResult> => {
    const tx: TransactionResult = { rcpts: [], outcome: result.outcome, steps: [] };
    // Something the server sent while we were idle ends the session before anything is sent.
    d.noticeIdleFailure();
    if (!d.alive() || !d.transport) {
      tx.outcome = result.outcome;
      return tx;
    }
    const t = d.transport;
    d.sink = tx.steps;
    try {
      await runTransaction(d, t, plan, tx);
    } catch (e) {
      if (!(e instanceof Ended)) throw e;
    } finally {
      d.sink = result.steps;
      if (record) {
        result.steps.push(...tx.steps);
        result.rcpts.push(...tx.rcpts);
      }
    }
    tx.outcome = result.outcome;
    return tx;
  };

  let leaving: Promise<void> | undefined;
  const session: SmtpSession = {
    result,
    get usable() {
      if (d.noticeIdleFailure()) return false;
      return d.alive();
    },
    // Validate everything before anything is sent: bad input throws, nothing reaches the wire.
    transaction: (from, rcpts) => phase(planTransaction(from, rcpts)),
    addRecipients: (rcpts) => phase(planTransaction(undefined, rcpts)),
    close: async () => {
      if (d.transport && !d.closed) leaving ??= leave(d, d.transport);
      await leaving;
      // Nothing a result holds may carry a form of the password (the server could echo it).
      if (o.auth) scrubDeep(result, secretForms(o.auth));
      return result;
    },
  };
  return { session, d };
}
