// The CLI's window on the process: streams, environment, TTY facts. The only module
// (with main.ts) that reads process.*; commands receive an Io so tests can run them in-process.
import type { Readable, Writable } from 'node:stream';

export interface Io {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: Record<string, string | undefined>;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdinIsTTY: boolean;
  columns: number | undefined;
  /** Aborted on Ctrl-C; long-running commands stop, write what is done, and exit 130. */
  signal: AbortSignal;
}

export function processIo(signal: AbortSignal): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    columns: process.stdout.columns,
    signal,
  };
}
