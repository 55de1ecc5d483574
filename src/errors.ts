// Error types. Exceptions are for bad input (UsageError) and bugs only; what a peer
// does (timeouts, rejections, TLS trouble) is data in results, never thrown past the core.

export type ErrorCode =
  | 'EUSAGE' | 'EINTERNAL' | 'ETIMEDOUT' | 'ECONNECTION' | 'EPROTOCOL' | 'ETLS' | 'ELIMIT'
  | 'ENOTFOUND' | 'ENODATA' | 'ESERVFAIL' | 'EREFUSED' | 'ETIMEOUT' | 'EFORMERR' | 'EBADRESP' | 'ECONNREFUSED';

export class SmtpProbeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad input from the user: exit code 2, one line on stderr, no stack. */
export class UsageError extends SmtpProbeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EUSAGE', message, options);
  }
}

export function isUsageError(e: unknown): e is UsageError {
  return e instanceof UsageError;
}
