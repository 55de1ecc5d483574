// SMTP sessions with one address and port: connect, banner, EHLO (HELO fallback), STARTTLS,
// EHLO again; then MAIL + RCPT transactions (pipelined when offered, RSET between), RSET, QUIT.
// openSession() keeps a connection for many transactions (verify); runSession() is open, one
// transaction, close (the probe). Never DATA. What the peer does is data (Outcome); every stage
// has a deadline on its total time, and every failure names its stage and peer.
import { encodeCommand, formatCommand, type Command, type Verb } from './command.js';
import { parseEhlo, type Extensions } from './ehlo.js';
import type { Reply } from './reply-parser.js';
import { STAGE_LABEL, STAGE_TIMEOUT_MS, type Stage } from './stages.js';
import type { TlsFacts } from './tls-facts.js';
import type { Connect, Failure, TlsClientOptions, Transport } from './transport.js';

export type TlsMode = 'auto' | 'require' | 'none';
export type OutcomeKind = 'ok' | 'rejected' | 'deferred' | 'no-such-user' | 'timeout' | 'network' | 'tls' | 'protocol' | 'limit';

export interface Step {
  stage: Stage;
  /** The command line sent (absent for connect/banner). */
  sent?: string;
  reply?: Reply;
  /** The exchange happened inside TLS. */
  tls: boolean;
  startedAt: number;
  ms: number;
  failure?: Failure;
  /** Sent in one flight with its neighbours (PIPELINING, RFC 2920). */
  pipelined?: true;
}

export interface RcptResult { address: string; accepted: boolean; reply?: Reply }

export interface Outcome {
  kind: OutcomeKind;
  stage: Stage;
  message: string;
  reply?: Reply;
}

export interface SessionResult {
  host: string;
  address: string;
  port: number;
  tlsMode: 'starttls' | 'implicit' | 'none';
  steps: Step[];
  extensions?: Extensions;
  tls?: TlsFacts;
  rcpts: RcptResult[];
  outcome: Outcome;
  /** Things worth a warning that only the session saw (HELO fallback, STARTTLS refused…). */
  notes: string[];
  /** The local address our connection came from (the sending IP when it is public). */
  localAddress?: string;
}

/** Everything about a connection; the envelope comes per transaction. */
export interface SessionSetup {
  host: string;
  address: string;
  port: number;
  implicitTls: boolean;
  tlsMode: TlsMode;
  tlsVerify: boolean;
  tls: TlsClientOptions;
  helo: string;
  /** Multiplies every stage deadline (--timeout). */
  timeoutScale: number;
  /** Epoch ms by which the whole run must end. */
  runDeadline: number;
  /** Use PIPELINING when the server offers it (default true). */
  pipelining?: boolean;
  /**
   * Keep every transaction's steps in result.steps and its recipients in result.rcpts
   * (default true). A long-lived verification session turns it off so its memory stays
   * flat: each transaction's own result still carries them.
   */
  recordTransactions?: boolean;
}

export interface SessionOptions extends SessionSetup {
  /** '' is the null reverse-path <>. */
  from: string;
  rcpts: string[];
}

export type SessionEvent = { type: 'stage'; host: string; address: string; port: number; stage: Stage };

export interface SessionDeps {
  connect: Connect;
  now: () => number;
  onEvent?: (e: SessionEvent) => void;
}

/** One MAIL transaction (or more RCPTs added to it), as the server answered it. */
export interface TransactionResult {
  /** The reply to MAIL FROM (absent for addRecipients, or when none came). */
  mail?: Reply;
  /** A result per recipient that got a reply, in the order sent; later ones got none. */
  rcpts: RcptResult[];
  /** ok, or why the transaction (or the connection) ended: the first refusal, 421, a timeout… */
  outcome: Outcome;
  /** The steps of this transaction (RSET, MAIL, RCPT…), whether or not the session keeps them. */
  steps: Step[];
}

/** An open SMTP connection, greeted (EHLO, STARTTLS), ready for transactions. */
export interface SmtpSession {
  /** The session so far: steps (setup, and transactions unless recordTransactions is off), TLS, extensions, outcome. */
  readonly result: SessionResult;
  /** The connection is up and can carry a(nother) transaction. */
  readonly usable: boolean;
  /**
   * MAIL FROM + RCPT TO for each recipient; RSET first when a transaction is open. With
   * PIPELINING all of it goes in one flight. Throws (UsageError) only for bad input, before sending.
   */
  transaction(from: string, rcpts: readonly string[]): Promise<TransactionResult>;
  /** More RCPT TO in the transaction already open (e.g. a catch-all probe). */
  addRecipients(rcpts: readonly string[]): Promise<TransactionResult>;
  /** RSET when a transaction is open, QUIT, close. Idempotent. */
  close(): Promise<SessionResult>;
}

const NON_ASCII = /[^\x00-\x7f]/;

class Ended extends Error {}

export function peerName(host: string, address: string, port: number): string {
  const a = address.includes(':') ? `[${address}]` : `[${address}]`;
  return `${host}${a}:${port}`;
}

/** One session: open, one transaction for o.rcpts, close (the probe's dialogue). */
export async function runSession(o: SessionOptions, deps: SessionDeps): Promise<SessionResult> {
  const s = await openSession(o, deps);
  try {
    if (s.usable) await s.transaction(o.from, o.rcpts);
  } finally {
    await s.close();
  }
  return s.result;
}

/** Connect, read the banner, EHLO, STARTTLS when offered and EHLO again. Never rejects for what the peer does. */
export async function openSession(o: SessionSetup, deps: SessionDeps): Promise<SmtpSession> {
  const peer = peerName(o.host, o.address, o.port);
  const record = o.recordTransactions !== false;
  const result: SessionResult = {
    host: o.host, address: o.address, port: o.port,
    tlsMode: o.implicitTls ? 'implicit' : 'none',
    steps: [], rcpts: [], notes: [],
    outcome: { kind: 'ok', stage: 'quit', message: '' },
  };
  let transport: Transport | undefined;
  let transactionOpen = false;
  let closed = false;
  /** Where steps of the current phase go: result.steps, or only the transaction's own list. */
  let sink: Step[] = result.steps;

  const deadline = (stage: Stage): number => Math.min(Date.now() + STAGE_TIMEOUT_MS[stage] * o.timeoutScale, o.runDeadline);
  const stageEvent = (stage: Stage): void => deps.onEvent?.({ type: 'stage', host: o.host, address: o.address, port: o.port, stage });

  const end = (kind: OutcomeKind, stage: Stage, message: string, reply?: Reply): never => {
    result.outcome = reply ? { kind, stage, message, reply } : { kind, stage, message };
    throw new Ended();
  };

  const failureOutcome = (f: Failure, stage: Stage): never => {
    const label = STAGE_LABEL[stage];
    switch (f.kind) {
      case 'timeout': return end('timeout', stage, `conversation with ${peer} timed out while ${label}`);
      case 'refused': return end('network', stage, `connection to ${peer} refused: nothing listens on port ${o.port}, or a firewall rejects it`);
      case 'unreachable': return end('network', stage, `${peer} is unreachable: ${f.message}`);
      case 'reset': return end('network', stage, `lost connection with ${peer} while ${label}: the server reset the connection`);
      case 'closed': return end('network', stage, `lost connection with ${peer} while ${label}: ${f.message}`);
      case 'protocol': return end('protocol', stage, `${peer} answered with something that is not SMTP while ${label}${f.line ? `: "${f.line}"` : ''}`);
      case 'limit': return end('limit', stage, `${peer} sent too much while ${label}: ${f.message}`);
      case 'tls': return end('tls', stage, `TLS with ${peer} failed while ${label}: ${f.message}`);
      default: return end('network', stage, `network trouble with ${peer} while ${label}: ${f.message}`);
    }
  };

  /** The connection can still carry commands (the farewell, another transaction). */
  const alive = (): boolean => {
    const out = result.outcome;
    if (!transport || closed) return false;
    if (['network', 'timeout', 'protocol', 'limit'].includes(out.kind)) return false;
    if (out.kind === 'tls' && out.stage === 'tls-handshake' && !result.tls) return false;
    return out.reply?.code !== 421;
  };

  /** Read one reply for a step already recorded (sent), filling in reply and time. */
  const readInto = async (step: Step, t: Transport): Promise<Reply> => {
    const r = await t.readReply(deadline(step.stage));
    step.ms = deps.now() - step.startedAt;
    if (!r.ok) {
      step.failure = { kind: r.kind, message: r.message, ...(r.line !== undefined ? { line: r.line } : {}) };
      return failureOutcome(r, step.stage);
    }
    step.reply = r.reply;
    return r.reply;
  };

  const newStep = (stage: Stage, cmd?: Command): Step => {
    const step: Step = { stage, tls: transport?.isTls ?? false, startedAt: deps.now(), ms: 0 };
    if (cmd) step.sent = cmd.line;
    sink.push(step);
    return step;
  };

  const exchange = async (t: Transport, stage: Stage, verb: Verb, arg?: string, params?: string[]): Promise<Reply> => {
    stageEvent(stage);
    const cmd = formatCommand(verb, arg, params);
    const step = newStep(stage, cmd);
    t.write(encodeCommand(cmd));
    return readInto(step, t);
  };

  /** Refused or deferred: record the outcome, then leave politely (QUIT) in close(). */
  const judge = (stage: Stage, reply: Reply, what: string): void => {
    if (reply.code >= 400 && reply.code < 500) end('deferred', stage, `${peer} deferred ${what} (${reply.code}${reply.enhanced ? ` ${reply.enhanced}` : ''})`, reply);
    if (reply.code >= 500) end('rejected', stage, `${peer} rejected ${what} (${reply.code}${reply.enhanced ? ` ${reply.enhanced}` : ''})`, reply);
  };

  const checkTlsPolicy = (f: TlsFacts): void => {
    if (!o.tlsVerify) return;
    if (!f.trusted) end('tls', 'tls-handshake', `the certificate of ${peer} is not trusted (${f.trustError ?? 'unknown reason'}); --tls-verify stops here`);
    if (f.nameMatches === false) end('tls', 'tls-handshake', `the certificate of ${peer} does not match ${f.checkedName}; --tls-verify stops here`);
  };

  // ---- Setup: connect, banner, EHLO, STARTTLS, EHLO again. ----
  try {
    // Connect (and, on 465, the TLS handshake).
    stageEvent('connect');
    const cstep = newStep('connect');
    const c = await deps.connect(
      { host: o.host, address: o.address, port: o.port, implicitTls: o.implicitTls, tls: { ...o.tls, servername: o.tls.servername ?? o.host } },
      Math.min(Date.now() + (STAGE_TIMEOUT_MS.connect + (o.implicitTls ? STAGE_TIMEOUT_MS['tls-handshake'] : 0)) * o.timeoutScale, o.runDeadline),
    );
    cstep.ms = deps.now() - cstep.startedAt;
    if (!c.ok) {
      cstep.failure = { kind: c.kind, message: c.message };
      failureOutcome(c, 'connect');
      throw new Ended(); // unreachable: failureOutcome throws
    }
    transport = c.transport;
    cstep.tls = transport.isTls;
    if (transport.localAddress) result.localAddress = transport.localAddress.replace(/^::ffff:/, '');
    if (c.tls) {
      result.tls = c.tls;
      checkTlsPolicy(c.tls);
    }

    // Banner: never send anything before it (RFC 5321 §4.3.1; early talkers get refused).
    stageEvent('banner');
    const banner = await readInto(newStep('banner'), transport);
    if (banner.code === 421) end('deferred', 'banner', `${peer} is not accepting connections right now (421)`, banner);
    if (banner.code >= 500) end('rejected', 'banner', `${peer} refused to talk to me (${banner.code})`, banner);
    if (banner.code >= 400) end('deferred', 'banner', `${peer} deferred the connection (${banner.code})`, banner);
    if (banner.code !== 220) end('protocol', 'banner', `${peer} greeted with ${banner.code} instead of 220`, banner);

    const ehlo = async (t: Transport): Promise<void> => {
      const r = await exchange(t, 'ehlo', 'EHLO', o.helo);
      if (r.code === 250) {
        result.extensions = parseEhlo(r);
        return;
      }
      if (r.code === 421) end('deferred', 'ehlo', `${peer} is closing the connection (421)`, r);
      if (r.code >= 500 && o.tlsMode !== 'require') {
        // Old servers without ESMTP: fall back to HELO (RFC 5321 §3.2); no extensions then.
        result.notes.push(`EHLO was refused (${r.code}); fell back to HELO, so no extensions (no STARTTLS, no PIPELINING)`);
        const h = await exchange(t, 'helo', 'HELO', o.helo);
        judge('helo', h, `HELO ${o.helo}`);
        result.extensions = undefined;
        return;
      }
      judge('ehlo', r, `EHLO ${o.helo}`);
    };
    await ehlo(transport);

    // STARTTLS when offered (RFC 3207), then EHLO again: the plaintext EHLO is forgotten.
    if (!o.implicitTls && o.tlsMode !== 'none') {
      if (result.extensions?.starttls) {
        const r = await exchange(transport, 'starttls', 'STARTTLS');
        if (r.code === 220) {
          stageEvent('tls-handshake');
          const hs = newStep('tls-handshake');
          const up = await transport.upgradeTls({ ...o.tls, servername: o.tls.servername ?? o.host }, deadline('tls-handshake'));
          hs.ms = deps.now() - hs.startedAt;
          if (!up.ok) {
            hs.failure = { kind: up.kind, message: up.message };
            failureOutcome(up, 'tls-handshake');
          } else {
            hs.tls = true;
            result.tlsMode = 'starttls';
            result.tls = up.facts;
            result.extensions = undefined;
            checkTlsPolicy(up.facts);
            await ehlo(transport);
          }
        } else if (o.tlsMode === 'require') {
          end('tls', 'starttls', `${peer} offered STARTTLS but refused it (${r.code}); --tls require stops here`, r);
        } else {
          result.notes.push(`${peer} offered STARTTLS but refused it (${r.code}); continued without TLS`);
        }
      } else if (o.tlsMode === 'require') {
        end('tls', 'ehlo', `${peer} does not offer STARTTLS; --tls require stops here`);
      }
    }
    result.outcome = { kind: 'ok', stage: 'ehlo', message: `${peer} is ready for a mail transaction` };
  } catch (e) {
    if (!(e instanceof Ended)) {
      if (transport) await leave(transport);
      throw e;
    }
  }
  // A setup that did not end ready leaves now (QUIT when the connection allows it).
  if (result.outcome.kind !== 'ok' && transport) {
    await leave(transport);
    closed = true;
  }

  const pipelining = (): boolean => result.extensions?.pipelining === true && o.pipelining !== false;

  /** Read the RCPT replies of a flight (or send them one by one) into `out`. */
  const recipients = async (t: Transport, addresses: readonly string[], cmds: Command[], steps: Step[] | null, out: RcptResult[]): Promise<void> => {
    if (steps) {
      for (const [i, step] of steps.entries()) {
        const r = await readInto(step, t);
        out.push({ address: addresses[i] ?? '', accepted: r.code >= 200 && r.code < 300, reply: r });
      }
      return;
    }
    for (const [i, rcpt] of addresses.entries()) {
      stageEvent('rcpt');
      const step = newStep('rcpt', cmds[i]);
      t.write(encodeCommand(cmds[i] as Command));
      const r = await readInto(step, t);
      out.push({ address: rcpt, accepted: r.code >= 200 && r.code < 300, reply: r });
    }
  };

  /** The transaction's verdict from its recipients' replies: the first refusal, or ok. */
  const judgeRecipients = (rcpts: readonly RcptResult[], count: number): void => {
    const firstBad = rcpts.find((r) => !r.accepted);
    if (firstBad?.reply) {
      if (firstBad.reply.code === 421) end('deferred', 'rcpt', `${peer} is closing the connection (421)`, firstBad.reply);
      judge('rcpt', firstBad.reply, `the recipient <${firstBad.address}>`);
    }
    result.outcome = {
      kind: 'ok',
      stage: 'rcpt',
      message: count === 1 ? `${peer} accepted the recipient <${rcpts[0]?.address ?? ''}>` : `${peer} accepted all ${count} recipients`,
    };
  };

  /** Run one phase with its steps collected apart (and kept in result unless told otherwise). */
  const phase = async (fn: (t: Transport, tx: TransactionResult) => Promise<void>): Promise<TransactionResult> => {
    const tx: TransactionResult = { rcpts: [], outcome: result.outcome, steps: [] };
    if (!alive() || !transport) return tx;
    const t = transport;
    sink = tx.steps;
    try {
      await fn(t, tx);
    } catch (e) {
      if (!(e instanceof Ended)) throw e;
    } finally {
      sink = result.steps;
      if (record) {
        result.steps.push(...tx.steps);
        result.rcpts.push(...tx.rcpts);
      }
    }
    tx.outcome = result.outcome;
    return tx;
  };

  const transaction = (from: string, rcpts: readonly string[]): Promise<TransactionResult> => {
    // Validate everything before anything is sent: bad input throws, nothing reaches the wire.
    const needsUtf8 = NON_ASCII.test(from) || rcpts.some((r) => NON_ASCII.test(r));
    return phase(async (t, tx) => {
      // MAIL FROM and RCPT TO: one flight when PIPELINING is offered (RFC 2920).
      const ext = result.extensions;
      if (needsUtf8 && !ext?.smtputf8) {
        end('protocol', 'mail', `an address has non-ASCII characters but ${peer} does not offer SMTPUTF8 (RFC 6531), so it cannot be given to this server`);
      }
      const mailCmd = formatCommand('MAIL', from, needsUtf8 ? ['SMTPUTF8'] : []);
      const rcptCmds = rcpts.map((r) => formatCommand('RCPT', r));
      const rset = transactionOpen ? formatCommand('RSET') : undefined;
      if (pipelining() && rcptCmds.length > 0) {
        // RSET may open the flight (RFC 2920 §3.1): a new transaction costs one round trip.
        let rsetStep: Step | undefined;
        if (rset) {
          stageEvent('rset');
          rsetStep = newStep('rset', rset);
          rsetStep.pipelined = true;
        }
        stageEvent('mail');
        const mailStep = newStep('mail', mailCmd);
        const rcptSteps = rcptCmds.map((cmd) => newStep('rcpt', cmd));
        for (const st of [mailStep, ...rcptSteps]) st.pipelined = true;
        t.write(Buffer.concat([...(rset ? [rset] : []), mailCmd, ...rcptCmds].map(encodeCommand)));
        if (rsetStep) {
          const r = await readInto(rsetStep, t);
          transactionOpen = false;
          if (r.code === 421) end('deferred', 'rset', `${peer} is closing the connection (421)`, r);
        }
        const mail = await readInto(mailStep, t);
        tx.mail = mail;
        // A transaction exists only once MAIL is accepted; after a refused MAIL there is nothing to RSET.
        transactionOpen = mail.code < 400;
        if (mail.code === 421) end('deferred', 'mail', `${peer} is closing the connection (421)`, mail);
        for (const [i, step] of rcptSteps.entries()) {
          if (i === 0) stageEvent('rcpt');
          step.startedAt = mailStep.startedAt; // sent in the same flight
          if (mail.code >= 400) {
            // The sender was refused: the RCPT replies (503 mostly) are kept if they come,
            // but the MAIL reply is the verdict even if the server hangs up now.
            const r = await t.readReply(deadline('rcpt'));
            step.ms = deps.now() - step.startedAt;
            if (!r.ok) break;
            step.reply = r.reply;
            continue;
          }
          const r = await readInto(step, t);
          tx.rcpts.push({ address: rcpts[i] ?? '', accepted: r.code >= 200 && r.code < 300, reply: r });
        }
        judge('mail', mail, `the sender <${from}>`);
      } else {
        if (rset) {
          const r = await exchange(t, 'rset', 'RSET');
          transactionOpen = false;
          if (r.code === 421) end('deferred', 'rset', `${peer} is closing the connection (421)`, r);
        }
        const mail = await exchange(t, 'mail', 'MAIL', from, needsUtf8 ? ['SMTPUTF8'] : []);
        tx.mail = mail;
        transactionOpen = mail.code < 400;
        judge('mail', mail, `the sender <${from}>`);
        await recipients(t, rcpts, rcptCmds, null, tx.rcpts);
      }
      judgeRecipients(tx.rcpts, rcpts.length);
    });
  };

  const addRecipients = (rcpts: readonly string[]): Promise<TransactionResult> => {
    const rcptCmds = rcpts.map((r) => formatCommand('RCPT', r));
    return phase(async (t, tx) => {
      if (!transactionOpen) end('protocol', 'rcpt', `no mail transaction is open with ${peer}: RCPT TO needs MAIL FROM first`);
      if (rcpts.some((r) => NON_ASCII.test(r)) && !result.extensions?.smtputf8) {
        end('protocol', 'rcpt', `an address has non-ASCII characters but ${peer} does not offer SMTPUTF8 (RFC 6531), so it cannot be given to this server`);
      }
      if (pipelining() && rcptCmds.length > 1) {
        stageEvent('rcpt');
        const steps = rcptCmds.map((cmd) => newStep('rcpt', cmd));
        for (const st of steps) st.pipelined = true;
        t.write(Buffer.concat(rcptCmds.map(encodeCommand)));
        await recipients(t, rcpts, rcptCmds, steps, tx.rcpts);
      } else {
        await recipients(t, rcpts, rcptCmds, null, tx.rcpts);
      }
      judgeRecipients(tx.rcpts, rcpts.length);
    });
  };

  let leaving: Promise<void> | undefined;
  const close = async (): Promise<SessionResult> => {
    if (transport && !closed) leaving ??= leave(transport).finally(() => { closed = true; });
    await leaving;
    return result;
  };

  return {
    result,
    get usable() {
      return alive();
    },
    transaction,
    addRecipients,
    close,
  };

  /** RSET if a transaction is open, then QUIT; short deadlines, errors ignored. */
  async function leave(t: Transport): Promise<void> {
    sink = result.steps;
    try {
      if (!alive() || Date.now() >= o.runDeadline) return;
      if (transactionOpen && result.extensions?.pipelining && o.pipelining !== false) {
        // RSET and QUIT in one flight (RFC 2920 §3.1: QUIT may end a pipelined group).
        const cmds = [formatCommand('RSET'), formatCommand('QUIT')];
        const steps = [newStep('rset', cmds[0]), newStep('quit', cmds[1])];
        for (const st of steps) st.pipelined = true;
        stageEvent('rset');
        t.write(Buffer.concat(cmds.map(encodeCommand)));
        for (const st of steps) if (!(await readQuietly(t, st))) return;
        return;
      }
      if (transactionOpen && !(await quietExchange(t, 'rset', 'RSET'))) return;
      await quietExchange(t, 'quit', 'QUIT');
    } finally {
      transactionOpen = false;
      t.close();
    }
  }

  /** Farewell replies: recorded when they come, never an outcome of their own. */
  async function readQuietly(t: Transport, step: Step): Promise<Reply | undefined> {
    const r = await t.readReply(deadline(step.stage));
    step.ms = deps.now() - step.startedAt;
    if (r.ok) {
      step.reply = r.reply;
      return r.reply;
    }
    step.failure = { kind: r.kind, message: r.message };
    return undefined;
  }

  async function quietExchange(t: Transport, stage: Stage, verb: Verb): Promise<Reply | undefined> {
    stageEvent(stage);
    const cmd = formatCommand(verb);
    const step = newStep(stage, cmd);
    t.write(encodeCommand(cmd));
    return readQuietly(t, step);
  }
}
