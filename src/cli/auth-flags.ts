// The probe's posture flags: --auth USER (the password from SMTP_PROBE_PASSWORD or a
// no-echo prompt on a terminal, never from argv), --auth-mech, --auth-plaintext,
// --quit-after, --relay-test and --vrfy/--expn. refusePasswordArgv() runs before commander sees argv, so a password typed as
// a flag is refused without ever being echoed (commander would repeat an unknown option).
import { type Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import { isMechanism, SUPPORTED_MECHANISMS } from '../smtp/sasl.js';
import { QUIT_AFTER, type AuthSetup, type QuitAfter } from '../smtp/session-types.js';
import type { Io } from './io.js';
import { collect } from './options.js';
import { formatCommand } from '../smtp/command.js';
import { say, t } from '../catalog/messages.js';
import type { Lang } from '../catalog/data.js';

export const PASSWORD_ENV = 'SMTP_PROBE_PASSWORD';

export interface AuthFlags {
  auth?: string;
  authMech?: string;
  authPlaintext?: boolean;
  quitAfter?: QuitAfter;
  relayTest?: boolean;
  vrfy?: string[];
  expn?: string[];
}

export function addAuthFlags(cmd: Command): Command {
  return cmd
    .option('--auth <user>', `log in with SMTP AUTH as this user after STARTTLS (on 587/465); the password comes from ${PASSWORD_ENV} or a prompt, never from the command line`)
    .addOption(new Option('--auth-mech <mechanism>', 'AUTH mechanism to use (default: the strongest offered)').choices([...SUPPORTED_MECHANISMS]))
    .option('--auth-plaintext', 'allow sending credentials over a session that is not encrypted (refused by default)')
    .addOption(new Option('--quit-after <stage>', 'stop at this stage and send QUIT there, as swaks does (connect = banner)').choices([...QUIT_AFTER]))
    .option('--relay-test', 'after the dialogue, try to relay to a reserved foreign domain (plain, percent hack, source route, quoted, bang path…; RSET after each, never DATA): an accepted recipient is an open relay, exit 8')
    .option('--vrfy <name>', 'ask VRFY about this user or address (repeatable): 250/251 leaks users, 252 is fine', collect)
    .option('--expn <list>', 'ask EXPN about this mailing list (repeatable): 250 leaks its members', collect);
}

/** --relay-test, --vrfy and --expn, checked: they run after the dialogue, so --quit-after excludes them. */
export function postureOptions(flags: AuthFlags): { relayTest?: boolean; vrfy?: string[]; expn?: string[] } {
  const wants = [flags.relayTest ? '--relay-test' : '', flags.vrfy?.length ? '--vrfy' : '', flags.expn?.length ? '--expn' : ''].filter(Boolean);
  if (flags.quitAfter && wants.length > 0) throw new UsageError(say('usage.quit-after.excludes', { flags: wants.join(', ') }));
  for (const [verb, names] of [['VRFY', flags.vrfy], ['EXPN', flags.expn]] as const) {
    for (const n of names ?? []) {
      try {
        formatCommand(verb, n);
      } catch (e) {
        throw new UsageError(say('common.subject-text', { subjectMsg: `--${verb.toLowerCase()}`, textMsg: (e as Error).message }));
      }
    }
  }
  return {
    ...(flags.relayTest ? { relayTest: true } : {}),
    ...(flags.vrfy?.length ? { vrfy: flags.vrfy } : {}),
    ...(flags.expn?.length ? { expn: flags.expn } : {}),
  };
}

const PASSWORD_FLAG = /^--?(?:auth-)?(?:pass(?:word|wd)?|pw|secret)(?:=|$)/i;

/**
 * Refuse a password on the command line before anything parses or echoes it: a --password
 * style flag, `--auth user:secret`, or the value of SMTP_PROBE_PASSWORD itself. The message
 * never repeats the value (argv is visible to every user of the machine, and to shell history).
 */
export function refusePasswordArgv(argv: readonly string[], env: Record<string, string | undefined>): void {
  const adviceMsg = say('usage.password.advice', { env: PASSWORD_ENV });
  for (const [i, a] of argv.entries()) {
    if (PASSWORD_FLAG.test(a)) throw new UsageError(say('usage.password.flag', { n: i + 1, adviceMsg }));
    const authValue = a === '--auth' ? argv[i + 1] : a.startsWith('--auth=') ? a.slice(7) : undefined;
    if (authValue !== undefined && authValue.includes(':')) throw new UsageError(say('usage.password.auth-colon', { adviceMsg }));
  }
  const pw = env[PASSWORD_ENV];
  if (pw && argv.some((a) => a === pw || (pw.length >= 8 && a.includes(pw)))) throw new UsageError(say('usage.password.in-argv', { env: PASSWORD_ENV, adviceMsg }));
}

/** A no-echo prompt on the terminal; resolves to what was typed (undefined on Ctrl-C / Ctrl-D). */
export function promptHidden(io: Io, question: string): Promise<string | undefined> {
  const stdin = io.stdin as NodeJS.ReadStream;
  return new Promise((resolve) => {
    let typed = '';
    const raw = typeof stdin.setRawMode === 'function';
    const done = (v: string | undefined): void => {
      stdin.off('data', onData);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      io.stderr.write('\n');
      resolve(v);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(typed);
        if (ch === '\u0003' || ch === '\u0004') return done(undefined); // Ctrl-C, Ctrl-D
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    io.stderr.write(question);
    if (raw) stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** The checked flags: the AuthSetup (password read now), or undefined without --auth. */
export async function authSetup(flags: AuthFlags, io: Io, prompt: typeof promptHidden = promptHidden, lang: Lang = 'en'): Promise<AuthSetup | undefined> {
  if (flags.quitAfter === 'auth' && !flags.auth) throw new UsageError(say('usage.quit-after.auth'));
  if (!flags.auth) {
    if (flags.authMech || flags.authPlaintext) throw new UsageError(say('usage.auth-mech.needs-auth'));
    return undefined;
  }
  const user = flags.auth;
  if (user === '' || /[\0\r\n]/.test(user) || Buffer.byteLength(user) > 255) throw new UsageError(say('usage.auth.user'));
  if (flags.authMech && !isMechanism(flags.authMech)) throw new UsageError(say('usage.auth-mech.choices', { choices: SUPPORTED_MECHANISMS.join(', ') }));
  let password = io.env[PASSWORD_ENV];
  if (password === undefined || password === '') {
    if (!io.stdinIsTTY || !io.stderrIsTTY) throw new UsageError(say('usage.auth.no-password', { user, env: PASSWORD_ENV }));
    password = await prompt(io, `${t(lang, 'cli.password-prompt', { user })} `);
    if (password === undefined || io.signal.aborted) throw new UsageError(say('usage.auth.no-password-given'));
    if (password === '') throw new UsageError(say('usage.auth.empty-password'));
  }
  if (/[\0\r\n]/.test(password)) throw new UsageError(say('usage.auth.password-control', { env: PASSWORD_ENV }));
  return {
    user, password,
    ...(flags.authMech ? { mechanism: flags.authMech.toUpperCase() } : {}),
    ...(flags.authPlaintext ? { allowPlaintext: true } : {}),
  };
}
