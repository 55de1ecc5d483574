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
