// SASL client mechanisms for SMTP AUTH, as pure state machines over base64 strings: PLAIN
// (RFC 4616), LOGIN (draft-murchison-sasl-login), SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802,
// RFC 7677) with node:crypto, the server's signature verified. No I/O. secretForms() lists
// every string that would give the password away, so callers can scrub anything shown.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { say } from '../catalog/messages.js';

export const SUPPORTED_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN', 'LOGIN'] as const;
export type Mechanism = (typeof SUPPORTED_MECHANISMS)[number];

/** A hostile server could ask for billions of PBKDF2 rounds: above this the exchange is refused. */
export const MAX_SCRAM_ITERATIONS = 1_000_000;
/** RFC 7677 §4 / RFC 5802 §5.1: fewer than 4096 rounds is weak (said, not refused). */
export const MIN_SCRAM_ITERATIONS = 4096;

export interface Credentials { user: string; password: string }

/** What to send next: a base64 response, or give up ('*' cancels, RFC 4954 §4) with the reason. */
export type SaslStep = { send: string } | { cancel: string };

export interface SaslClient {
  mechanism: Mechanism;
  /** The initial response sent with AUTH (base64, '=' for empty), or undefined to wait for 334. */
  initial(): string | undefined;
  /** Answer a 334 challenge (its text, base64). */
  challenge(b64: string): SaslStep;
  /** SCRAM: the server proved it knows the password (its v= signature checked); undefined before. */
  serverVerified?: boolean;
  /** Anything worth saying about the exchange (weak iteration count…). */
  notes: string[];
  /** Server messages whose text must not be shown (SCRAM's salt/signature allow offline guessing). */
  secretChallenges: boolean;
}

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
const unb64 = (s: string): string | undefined => {
  const t = s.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0) return undefined;
  return Buffer.from(t, 'base64').toString('utf8');
};

/** SASLprep (RFC 4013) in its common effect: compatibility normalization (NFKC). */
export function saslPrep(s: string): string {
  return s.normalize('NFKC');
}

/** The strings whose appearance anywhere would leak the password (and the PLAIN blob). */
export function secretForms(c: Credentials): string[] {
  const forms = new Set<string>();
  const add = (s: string): void => {
    if (s.length >= 3) forms.add(s);
  };
  for (const pw of new Set([c.password, saslPrep(c.password)])) {
    add(pw);
    add(b64(pw));
    add(b64(`\0${c.user}\0${pw}`));
    add(b64(`${c.user}\0${c.user}\0${pw}`));
    add(encodeURIComponent(pw));
    add(JSON.stringify(pw).slice(1, -1));
  }
  return [...forms];
}

function plain(c: Credentials): SaslClient {
  return {
    mechanism: 'PLAIN',
    notes: [],
    secretChallenges: false,
    // RFC 4616 §2: [authzid] NUL authcid NUL passwd; no authzid.
    initial: () => b64(`\0${c.user}\0${c.password}`),
    challenge: () => ({ cancel: say('sasl.cancel.plain-more') }),
  };
}

function login(c: Credentials): SaslClient {
  let step = 0;
  return {
    mechanism: 'LOGIN',
    notes: [],
    secretChallenges: false,
    initial: () => undefined,
    // "Username:" then "Password:" (base64); answered in that order whatever the prompt says.
    challenge: () => {
      step++;
      if (step === 1) return { send: b64(c.user) };
      if (step === 2) return { send: b64(c.password) };
      return { cancel: say('sasl.cancel.login-more') };
    },
  };
}

/** RFC 5802 §5.1: '=' and ',' in a name are written =3D and =2C. */
function saslName(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function parseAttrs(msg: string): Map<string, string> | undefined {
  const m = new Map<string, string>();
  for (const part of msg.split(',')) {
    const x = /^([A-Za-z])=(.*)$/s.exec(part);
    if (!x) return undefined;
    if (!m.has(x[1] as string)) m.set(x[1] as string, x[2] as string);
  }
  return m;
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

export interface ScramOptions { nonce?: string }

function scram(mechanism: 'SCRAM-SHA-1' | 'SCRAM-SHA-256', c: Credentials, opts: ScramOptions = {}): SaslClient {
  const hash = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha1';
  const keyLen = hash === 'sha256' ? 32 : 20;
  const hmac = (key: Buffer, data: string): Buffer => createHmac(hash, key).update(data).digest();
  const cnonce = opts.nonce ?? randomBytes(18).toString('base64').replace(/[,=]/g, 'x');
  const gs2 = 'n,,'; // no channel binding, none supported (RFC 5802 §7 "n")
  const clientFirstBare = `n=${saslName(saslPrep(c.user))},r=${cnonce}`;
  let step = 0;
  let expectedServerSignature: Buffer | undefined;
  const client: SaslClient = {
    mechanism,
    notes: [],
    secretChallenges: true,
    initial: () => b64(gs2 + clientFirstBare),
    challenge: (challenge) => {
      step++;
      const msg = unb64(challenge);
      if (msg === undefined) return { cancel: say('sasl.cancel.scram-not-base64') };
      const a = parseAttrs(msg);
      if (step === 1) {
        // server-first-message: r=<cnonce+snonce>,s=<salt>,i=<iterations>
        if (!a) return { cancel: say('sasl.cancel.scram-malformed') };
        if (a.has('m')) return { cancel: say('sasl.cancel.scram-extension') };
        const nonce = a.get('r') ?? '';
        const salt = Buffer.from(a.get('s') ?? '', 'base64');
        const iterText = a.get('i') ?? '';
        const iterations = /^[1-9][0-9]{0,9}$/.test(iterText) ? Number(iterText) : NaN;
        if (!nonce.startsWith(cnonce) || nonce.length <= cnonce.length) return { cancel: say('sasl.cancel.scram-nonce') };
        if (salt.length === 0) return { cancel: say('sasl.cancel.scram-no-salt') };
        if (!Number.isInteger(iterations)) return { cancel: say('sasl.cancel.scram-iterations-nan') };
        if (iterations > MAX_SCRAM_ITERATIONS) return { cancel: say('sasl.cancel.scram-iterations-max', { count: iterations, max: MAX_SCRAM_ITERATIONS }) };
        if (iterations < MIN_SCRAM_ITERATIONS) client.notes.push(say('posture.auth.scram-iterations', { count: iterations, min: MIN_SCRAM_ITERATIONS }));
        const salted = pbkdf2Sync(saslPrep(c.password), salt, iterations, keyLen, hash);
        const clientKey = hmac(salted, 'Client Key');
        const storedKey = createHash(hash).update(clientKey).digest();
        const withoutProof = `c=${b64(gs2)},r=${nonce}`;
        const authMessage = `${clientFirstBare},${msg},${withoutProof}`;
        const proof = xor(clientKey, hmac(storedKey, authMessage));
        expectedServerSignature = hmac(hmac(salted, 'Server Key'), authMessage);
        return { send: b64(`${withoutProof},p=${proof.toString('base64')}`) };
      }
      if (step === 2) {
        // server-final-message: v=<signature> or e=<error>
        const e = a?.get('e');
        if (e !== undefined) return { cancel: say('sasl.cancel.scram-error', { error: e.slice(0, 80) }) };
        const v = Buffer.from(a?.get('v') ?? '', 'base64');
        if (!expectedServerSignature || v.length !== expectedServerSignature.length || !timingSafeEqual(v, expectedServerSignature)) {
          client.serverVerified = false;
          return { cancel: say('sasl.cancel.scram-signature') };
        }
        client.serverVerified = true;
        return { send: '' }; // RFC 4954 §4: an empty response completes the exchange
      }
      return { cancel: say('sasl.cancel.scram-after') };
    },
  };
  return client;
}

export function saslClient(mechanism: Mechanism, c: Credentials, opts: ScramOptions = {}): SaslClient {
  switch (mechanism) {
    case 'PLAIN': return plain(c);
    case 'LOGIN': return login(c);
    default: return scram(mechanism, c, opts);
  }
}

/** The mechanism to use: the one asked for, else the strongest offered that we support. */
export function chooseMechanism(offered: readonly string[], wanted?: string): Mechanism | undefined {
  const up = offered.map((m) => m.toUpperCase());
  if (wanted) {
    const w = wanted.toUpperCase();
    return (SUPPORTED_MECHANISMS as readonly string[]).includes(w) && up.includes(w) ? (w as Mechanism) : undefined;
  }
  return SUPPORTED_MECHANISMS.find((m) => up.includes(m));
}

export function isMechanism(s: string): s is Mechanism {
  return (SUPPORTED_MECHANISMS as readonly string[]).includes(s.toUpperCase());
}
