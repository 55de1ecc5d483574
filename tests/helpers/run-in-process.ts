// The CLI run inside the test process (runCli with in-memory streams): faster than spawning the
// built bin, and the terminal flags (TTY or not, columns) are set by the test. Colour is off.
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/run.js';
import type { Io } from '../../src/cli/io.js';

export interface InProcessRun { code: number; stdout: string; stderr: string }

export async function runInProcess(
  argv: string[],
  term: { stdoutIsTTY?: boolean; stderrIsTTY?: boolean; columns?: number } = {},
): Promise<InProcessRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => { out += d.toString(); });
  stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const io: Io = {
    stdout, stderr, stdin: new PassThrough(), env: { NO_COLOR: '1' },
    stdoutIsTTY: term.stdoutIsTTY ?? false, stderrIsTTY: term.stderrIsTTY ?? false, stdinIsTTY: false,
    columns: term.columns ?? 100, signal: new AbortController().signal,
  };
  const code = await runCli(argv, io);
  return { code, stdout: out, stderr: err };
}
