// What a system or network error (ECONNREFUSED, ENOENT, a certificate that does not verify…)
// means, as one sentence of data/messages.json (os.* keys, five languages) that keeps the
// code for scripts and searches: "connection refused (ECONNREFUSED)". The core writes it in
// English with say(); renderers and stderr lines localise it like any catalog sentence.
import { say } from './messages.js';

/** Error codes (Node's errno names and OpenSSL verify codes) → os.* key. */
const KEYS: Record<string, string> = {
  ECONNREFUSED: 'os.econnrefused',
  ECONNRESET: 'os.econnreset',
  EPIPE: 'os.epipe',
  ETIMEDOUT: 'os.etimedout',
  EHOSTUNREACH: 'os.ehostunreach',
  ENETUNREACH: 'os.enetunreach',
  EADDRNOTAVAIL: 'os.eaddrnotavail',
  EADDRINUSE: 'os.eaddrinuse',
  ECONNABORTED: 'os.econnaborted',
  ENOTFOUND: 'os.enotfound',
  EAI_AGAIN: 'os.eai-again',
  ENOENT: 'os.enoent',
  EACCES: 'os.eacces',
  EPERM: 'os.eperm',
  EISDIR: 'os.eisdir',
  ENOTDIR: 'os.enotdir',
  EMFILE: 'os.emfile',
  ENOSPC: 'os.enospc',
  EROFS: 'os.erofs',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'os.cert.self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'os.cert.self-signed-chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'os.cert.unable-to-verify',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'os.cert.no-issuer',
  UNABLE_TO_GET_ISSUER_CERT: 'os.cert.no-issuer',
  CERT_HAS_EXPIRED: 'os.cert.expired',
  CERT_NOT_YET_VALID: 'os.cert.not-yet-valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'os.cert.altname',
  CERT_REVOKED: 'os.cert.revoked',
  CERT_SIGNATURE_FAILURE: 'os.cert.signature',
  ERR_SSL_WRONG_VERSION_NUMBER: 'os.tls.wrong-version',
};

/** The codes this catalog explains (tests walk them). */
export const OS_ERROR_CODES: readonly string[] = Object.keys(KEYS);

/**
 * The English sentence for an error: its code's os.* sentence when known, else Node's own
 * message with the code (`os.other`). `address` (host:port) is named where Node named it.
 */
export function osErrorText(e: unknown): string {
  // TLS sockets give the verify error as a bare code string (authorizationError).
  if (typeof e === 'string') return KEYS[e] ? say(KEYS[e], { code: e }) : e;
  const err = (e ?? {}) as { code?: unknown; message?: unknown; address?: unknown; port?: unknown };
  const code = typeof err.code === 'string' ? err.code : undefined;
  const key = code !== undefined ? KEYS[code] : undefined;
  if (key) return say(key, { code });
  const message = typeof err.message === 'string' && err.message !== '' ? err.message : String(e);
  return code !== undefined && !message.includes(code) ? say('os.other', { message, code }) : message;
}
