// The SMTP session's stages, their deadlines and their human labels, as data tables
// (Postfix smtp_proto.c keeps states and timeouts side by side the same way).
// Deadlines bound the *total* time of a stage, not idle time, so a peer that sends one
// byte a minute cannot keep us waiting (Postfix smtp_stream_setup with deadlines).
import { say } from '../catalog/messages.js';

export const STAGES = [
  'resolve', 'connect', 'tls-handshake', 'banner', 'ehlo', 'helo', 'starttls', 'auth',
  'mail', 'rcpt', 'rset', 'vrfy', 'expn', 'quit',
] as const;
export type Stage = (typeof STAGES)[number];

/** Default per-stage deadline in milliseconds; `--timeout` scales the whole table. */
export const STAGE_TIMEOUT_MS: Readonly<Record<Stage, number>> = {
  resolve: 10_000,
  connect: 10_000,
  'tls-handshake': 15_000,
  banner: 30_000, // greet-pause servers delay the banner on purpose (Postfix postscreen)
  ehlo: 30_000,
  helo: 30_000,
  starttls: 30_000,
  auth: 30_000, // each step of the SASL exchange; SCRAM's key derivation happens on our side
  mail: 30_000,
  rcpt: 30_000,
  rset: 10_000,
  vrfy: 30_000,
  expn: 30_000,
  quit: 5_000,
};

/** "timed out while <label>" — the words every failure message uses to name its stage
 *  (catalog sentences, data/messages.json, so renderers can localise them). */
export const STAGE_LABEL: Readonly<Record<Stage, string>> = {
  resolve: say('stage.doing.resolve'),
  connect: say('stage.doing.connect'),
  'tls-handshake': say('stage.doing.tls-handshake'),
  banner: say('stage.doing.banner'),
  ehlo: say('stage.doing.command', { command: 'EHLO' }),
  helo: say('stage.doing.command', { command: 'HELO' }),
  starttls: say('stage.doing.command', { command: 'STARTTLS' }),
  auth: say('stage.doing.auth'),
  mail: say('stage.doing.command', { command: 'MAIL FROM' }),
  rcpt: say('stage.doing.command', { command: 'RCPT TO' }),
  rset: say('stage.doing.command', { command: 'RSET' }),
  vrfy: say('stage.doing.command', { command: 'VRFY' }),
  expn: say('stage.doing.command', { command: 'EXPN' }),
  quit: say('stage.doing.command', { command: 'QUIT' }),
};

export function isStage(s: string): s is Stage {
  return (STAGES as readonly string[]).includes(s);
}

/** The command a stage sends, as people write it ("after RCPT TO"); the banner sends none. */
export const STAGE_COMMAND: Readonly<Record<Stage, string>> = {
  resolve: 'the lookup',
  connect: 'connecting',
  'tls-handshake': 'the TLS handshake',
  banner: 'the banner',
  ehlo: 'EHLO',
  helo: 'HELO',
  starttls: 'STARTTLS',
  auth: 'AUTH',
  mail: 'MAIL FROM',
  rcpt: 'RCPT TO',
  rset: 'RSET',
  vrfy: 'VRFY',
  expn: 'EXPN',
  quit: 'QUIT',
};

/** "after the banner", "after RCPT TO": where in the dialogue something happened. */
export function afterStage(s: Stage | undefined): string {
  if (!s || s === 'connect' || s === 'resolve') return say('stage.before-banner');
  if (s === 'banner') return say('stage.after-banner');
  if (s === 'tls-handshake') return say('stage.after-tls');
  return say('stage.after', { command: STAGE_COMMAND[s] });
}
