// The server side of SMTP AUTH for the scripted test server: PLAIN, LOGIN, SCRAM-SHA-1 and
// SCRAM-SHA-256 (RFC 4616, RFC 5802) against a table of users, so tests exercise real
// exchanges with a right and a wrong password. It can also misbehave on purpose: a wrong
// SCRAM server signature (a server that does not know the password), 538 over plaintext.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ScriptAuth {
  /** Mechanisms offered in EHLO ("PLAIN", "LOGIN", "SCRAM-SHA-256", …). */
  mechanisms: string[];
  /** user → password. */
  users: Record<string, string>;
  /** Offer AUTH only inside TLS (Postfix smtpd_tls_auth_only). */
  tlsOnly?: boolean;
  /** Answer AUTH in plaintext with 538 (encryption required). */
  plaintext538?: boolean;
  /** SCRAM: send a server signature that does not match. */
  badServerSignature?: boolean;
  scramIterations?: number;
}

export interface SaslTurn { lines: string[]; done: boolean }

const OK = '235 2.7.0 Authentication successful';
const FAIL = '535 5.7.8 Error: authentication failed: authentication failure';
const ABORT = '501 5.7.0 Authentication aborted';
const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

export interface SaslExchange { next(line: string): SaslTurn }

/** Start an exchange for "AUTH <mech> [initial]": the first turn, and the exchange when it goes on. */
export function startSaslExchange(cfg: ScriptAuth, args: string): { turn: SaslTurn; exchange?: SaslExchange } {
  const [mechRaw = '', initial] = args.trim().split(/\s+/);
  const mech = mechRaw.toUpperCase();
  if (!cfg.mechanisms.map((m) => m.toUpperCase()).includes(mech)) return { turn: { lines: ['504 5.5.4 Unrecognized authentication type'], done: true } };
  const check = (user: string, pw: string): SaslTurn => ({ lines: [cfg.users[user] !== undefined && cfg.users[user] === pw ? OK : FAIL], done: true });

  if (mech === 'PLAIN') {
    const finish = (data: string): SaslTurn => {
      if (data === '*') return { lines: [ABORT], done: true };
      const [, user = '', pw = ''] = unb64(data).split('\0');
      return check(user, pw);
    };
    if (initial !== undefined) return { turn: finish(initial) };
    return { turn: { lines: ['334 '], done: false }, exchange: { next: finish } };
  }
  if (mech === 'LOGIN') {
    let user: string | undefined = initial !== undefined ? unb64(initial) : undefined;
    const exchange: SaslExchange = {
      next(line) {
        if (line === '*') return { lines: [ABORT], done: true };
        if (user === undefined) {
          user = unb64(line);
          return { lines: [`334 ${b64('Password:')}`], done: false };
        }
        return check(user, unb64(line));
      },
    };
    return { turn: { lines: [`334 ${b64(user === undefined ? 'Username:' : 'Password:')}`], done: false }, exchange };
  }
  if (mech === 'SCRAM-SHA-256' || mech === 'SCRAM-SHA-1') return scramServer(cfg, mech, initial);
  return { turn: { lines: ['504 5.5.4 Unrecognized authentication type'], done: true } };
}

function scramServer(cfg: ScriptAuth, mech: string, initial: string | undefined): { turn: SaslTurn; exchange?: SaslExchange } {
  const hash = mech === 'SCRAM-SHA-256' ? 'sha256' : 'sha1';
  const keyLen = hash === 'sha256' ? 32 : 20;
  const hmac = (k: Buffer, d: string): Buffer => createHmac(hash, k).update(d).digest();
  const iterations = cfg.scramIterations ?? 4096;
  const salt = randomBytes(16);
  let state: 'first' | 'final' | 'done' = 'first';
  let clientFirstBare = '';
  let serverFirst = '';
  let nonce = '';
  let user = '';
  const first = (data: string): SaslTurn => {
    const msg = unb64(data);
    const m = /^n,,(n=([^,]*),r=([^,]+).*)$/.exec(msg);
    if (!m) return { lines: ['501 5.5.2 bad SCRAM client-first message'], done: true };
    clientFirstBare = m[1] as string;
    user = (m[2] as string).replace(/=2C/g, ',').replace(/=3D/g, '=');
    nonce = `${m[3] as string}${randomBytes(12).toString('base64')}`;
    serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
    state = 'final';
    return { lines: [`334 ${b64(serverFirst)}`], done: false };
  };
  const exchange: SaslExchange = {
    next(line) {
      if (line === '*') return { lines: [ABORT], done: true };
      if (state === 'first') return first(line);
      if (state === 'done') return { lines: [line === '' ? OK : FAIL], done: true };
      const msg = unb64(line);
      const m = /^(c=[^,]*,r=([^,]*)),p=([^,]+)$/.exec(msg);
      const pw = cfg.users[user];
      if (!m || m[2] !== nonce || pw === undefined) return { lines: [FAIL], done: true };
      const salted = pbkdf2Sync(pw.normalize('NFKC'), salt, iterations, keyLen, hash);
      const clientKey = hmac(salted, 'Client Key');
      const storedKey = createHash(hash).update(clientKey).digest();
      const authMessage = `${clientFirstBare},${serverFirst},${m[1] as string}`;
      const sig = hmac(storedKey, authMessage);
      const proof = Buffer.from(m[3] as string, 'base64');
      if (proof.length !== sig.length) return { lines: [FAIL], done: true };
      const candidate = Buffer.alloc(sig.length);
      for (let i = 0; i < sig.length; i++) candidate[i] = (proof[i] as number) ^ (sig[i] as number);
      if (!timingSafeEqual(createHash(hash).update(candidate).digest(), storedKey)) return { lines: [FAIL], done: true };
      const serverSig = cfg.badServerSignature ? randomBytes(keyLen) : hmac(hmac(salted, 'Server Key'), authMessage);
      state = 'done';
      return { lines: [`334 ${b64(`v=${serverSig.toString('base64')}`)}`], done: false };
    },
  };
  if (initial !== undefined) {
    const turn = first(initial);
    return turn.done ? { turn } : { turn, exchange };
  }
  return { turn: { lines: ['334 '], done: false }, exchange };
}
