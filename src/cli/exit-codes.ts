// Exit codes, one table for every command (DESIGN.md; the README repeats it).
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  network: 3,
  timeout: 4,
  rejected: 5,
  noSuchUser: 6,
  temporary: 7,
  checkFailed: 8,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The probe's verdict → exit code (DESIGN.md: the deciding host's SMTP outcome sets it). */
export function exitCodeForVerdict(kind: string): ExitCodeValue {
  switch (kind) {
    case 'accepted': case 'auth-required': case 'stage-reached': return ExitCode.ok;
    case 'no-such-user': case 'no-such-domain': return ExitCode.noSuchUser;
    case 'rejected': case 'null-mx': case 'not-for-this-server': case 'auth-failed': return ExitCode.rejected;
    case 'deferred': return ExitCode.temporary;
    case 'timeout': return ExitCode.timeout;
    case 'open-relay': return ExitCode.checkFailed;
    default: return ExitCode.network; // network, tls, protocol, dns
  }
}
