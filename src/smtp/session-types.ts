// The session's data shapes: what a caller sets up (SessionSetup, SessionOptions), what a
// session records (Step, RcptResult, Outcome, SessionResult, TransactionResult) and the
// SmtpSession handle. Plain, JSON-safe data; src/probe and src/verify build on these, so
// fields are only ever added, never renamed.
import type { Extensions } from './ehlo.js';
import type { Reply } from './reply-parser.js';
import type { Stage } from './stages.js';
import type { TlsFacts } from './tls-facts.js';
import type { Connect, Failure, TlsClientOptions } from './transport.js';

export type TlsMode = 'auto' | 'require' | 'none';
export type OutcomeKind = 'ok' | 'rejected' | 'deferred' | 'no-such-user' | 'timeout' | 'network' | 'tls' | 'protocol' | 'limit';

export interface Step {
  stage: Stage;
  /** The command line sent (absent for connect/banner, and for a reply nobody asked for). */
  sent?: string;
  reply?: Reply;
  /** The exchange happened inside TLS. */
  tls: boolean;
  startedAt: number;
  ms: number;
  failure?: Failure;
  /** Sent in one flight with its neighbours (PIPELINING, RFC 2920). */
  pipelined?: true;
  /** A reply that arrived while no command was outstanding (shown, never an answer). */
  unsolicited?: true;
  /** An optional part of the dialogue this step belongs to (shown under its own heading). */
  part?: 'exposure' | 'relay-test';
}

/** Where --quit-after stops the dialogue (swaks' stages; 'connect' is 'banner': nothing may be sent before it). */
export const QUIT_AFTER = ['connect', 'banner', 'ehlo', 'tls', 'auth', 'mail', 'rcpt'] as const;
export type QuitAfter = (typeof QUIT_AFTER)[number];
/** How people name each stop ("stopped after MAIL FROM"). */
export const QUIT_AFTER_LABEL: Readonly<Record<QuitAfter, string>> = { connect: 'the banner', banner: 'the banner', tls: 'TLS', ehlo: 'EHLO', auth: 'AUTH', mail: 'MAIL FROM', rcpt: 'RCPT TO' };

/** --auth: who to log in as. The password lives only here and on the wire, never in a result. */
export interface AuthSetup {
  user: string;
  password: string;
  /** --auth-mech: use this mechanism (else the strongest offered of SCRAM-SHA-256, SCRAM-SHA-1, PLAIN, LOGIN). */
  mechanism?: string;
  /** --auth-plaintext: send credentials over a session that is not encrypted. */
  allowPlaintext?: boolean;
  /** When the server offers no AUTH, say so and go on without it (port 25 under --port all). */
  optional?: boolean;
}

export type AuthStatus =
  | 'ok' | 'failed' | 'too-weak' | 'encryption-required' | 'deferred' | 'not-offered' | 'no-mechanism'
  | 'plaintext-refused' | 'server-not-verified' | 'error';

/** What AUTH did on a session: JSON-safe, and never a credential (the user name is not one). */
export interface AuthResult {
  user: string;
  /** The mechanisms the server's (last) EHLO offered. */
  offered: string[];
  /** The mechanism used, when one was tried. */
  mechanism?: string;
  status: AuthStatus;
  /** The reply that ended the exchange (235, 535…), redacted like every AUTH reply. */
  reply?: Reply;
  /** SCRAM: the server proved it knows the password (its signature checked). */
  serverVerified?: boolean;
  message: string;
  notes: string[];
}

/** VRFY/EXPN: what the server said about a name (RFC 5321 §3.5). */
export interface ExposureProbe {
  command: 'VRFY' | 'EXPN';
  argument: string;
  reply?: Reply;
  /**
   * leaks: 250/251 confirm users or list members; discriminates: 252 here but 550 for a name
   * that cannot exist (the difference tells users apart, as Postfix's default VRFY does);
   * cannot-verify: 252 for this name and for the control name alike; disabled: 500/502/504;
   * refused: 550/553/530…; deferred: 4xx; not-run: the connection ended first.
   */
  result: 'leaks' | 'discriminates' | 'cannot-verify' | 'disabled' | 'refused' | 'deferred' | 'not-run' | 'error';
  message?: string;
  /** The control question: VRFY of a random name that cannot exist, asked after the named ones. */
  control?: true;
}

/** One variant of the open-relay test: MAIL FROM, RCPT TO, RSET. */
export interface RelayVariantResult {
  id: string;
  from: string;
  rcpt: string;
  /** The recipient's domain is foreign (an acceptance is certainly relaying). */
  certain: boolean;
  mail?: Reply;
  rcptReply?: Reply;
  rset?: Reply;
  /** accepted: RCPT got 2xx (relaying); refused: RCPT got 4xx/5xx; sender-refused: MAIL refused, RCPT not tried; not-run: the connection ended first; error: out of step. */
  result: 'accepted' | 'refused' | 'sender-refused' | 'not-run' | 'error';
  message?: string;
}

export interface RelayTestResult {
  /** open: some RCPT was accepted; closed: every variant refused; incomplete: the connection ended; skipped: not run (reason). */
  status: 'open' | 'closed' | 'incomplete' | 'skipped';
  /** The domain treated as the server's own ({local}). */
  localDomain: string;
  variants: RelayVariantResult[];
  reason?: string;
}

export interface RcptResult { address: string; accepted: boolean; reply?: Reply }

export interface Outcome {
  kind: OutcomeKind;
  stage: Stage;
  message: string;
  /** The reply the outcome rests on (a refusal, the 421 of a server going away…). */
  reply?: Reply;
  /** A reply nobody asked for, or one its command cannot get: proof the dialogue went out of step. */
  stray?: Reply;
}

export interface SessionResult {
  host: string;
  address: string;
  port: number;
  tlsMode: 'starttls' | 'implicit' | 'none';
  /** The commands and replies of this session travelled inside TLS (false: plaintext, readable on the path). */
  encrypted?: boolean;
  steps: Step[];
  extensions?: Extensions;
  tls?: TlsFacts;
  rcpts: RcptResult[];
  outcome: Outcome;
  /** Things worth a warning that only the session saw (HELO fallback, STARTTLS refused…). */
  notes: string[];
  /** The local address our connection came from (the sending IP when it is public). */
  localAddress?: string;
  /** --auth: what authentication did. */
  auth?: AuthResult;
  /** --quit-after: the stage where the dialogue was stopped on purpose (QUIT sent there). */
  stoppedAfter?: QuitAfter;
  /** --vrfy/--expn: what the server said about each name. */
  exposure?: ExposureProbe[];
  /** --relay-test: the variants tried and what they got. */
  relayTest?: RelayTestResult;
  /**
   * What the farewell proved about the replies before it: 'confirmed' (QUIT got its 221 in
   * place: none was shifted), 'lost' (out of step: a reply nobody asked for, or a code RSET/QUIT
   * cannot get), 'closing' (a 421 nobody asked for was waiting: it may be a shifted reply);
   * absent: no proof either way.
   */
  sync?: 'confirmed' | 'lost' | 'closing';
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
  /** Log in after the greeting (after STARTTLS; on 465 inside implicit TLS). */
  auth?: AuthSetup;
  /** Stop at this stage and send QUIT there (swaks --quit-after). */
  quitAfter?: QuitAfter;
}

export interface SessionOptions extends SessionSetup {
  /** '' is the null reverse-path <>. */
  from: string;
  rcpts: string[];
  /** --vrfy / --expn: names to ask about after the transaction. */
  vrfy?: string[];
  expn?: string[];
  /** --relay-test: after the transaction, try to relay; `localDomain` is the domain the server is for. */
  relayTest?: { localDomain: string };
}

export type SessionEvent = { type: 'stage'; host: string; address: string; port: number; stage: Stage };

export interface SessionDeps {
  connect: Connect;
  now: () => number;
  onEvent?: (e: SessionEvent) => void;
}

/** One MAIL transaction (or more RCPTs added to it), as the server answered it. */
export interface TransactionResult {
  /** The reply to MAIL FROM (absent for addRecipients, or when none came, or when the replies went out of step). */
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
