// The scale-out tests' child processes: the built CLI started like a user would (clean
// environment, no colour, C locale), its output collected as it comes, waiting for a condition
// or an exit with a deadline (a process that does not end is killed and its stderr shown),
// and the JSON Lines a producer wrote.
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, ROOT } from '../helpers/cli.js';

export interface Proc { child: ChildProcess; stdout: string; stderr: string; exited: Promise<number | null> }

export function startBin(args: string[], input?: string, env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', LANG: 'C', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const p: Proc = { child, stdout: '', stderr: '', exited: new Promise((r) => child.on('exit', (code, sig) => r(code ?? (sig ? -1 : null)))) };
  child.stdout?.on('data', (d: Buffer) => { p.stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { p.stderr += d.toString(); });
  if (input !== undefined) child.stdin?.end(input);
  else child.stdin?.end();
  return p;
}

export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The exit code of a process, or a failure with its stderr when it did not end within `ms` (then killed). */
export async function ended(p: Proc, ms = 60_000): Promise<number | null> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((r) => { t = setTimeout(() => r('timeout'), ms); });
  const r = await Promise.race([p.exited, timeout]);
  clearTimeout(t);
  if (r === 'timeout') {
    p.child.kill('SIGKILL');
    throw new Error(`a process did not end: ${p.stderr.slice(-2000)}`);
  }
  return r;
}

export const lines = (s: string): Record<string, unknown>[] => s.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

/** Answers a --verbose worker has printed so far. */
export const answered = (p: Proc): number => (p.stderr.match(/ (deliverable|undeliverable|risky|unknown) \(/g) ?? []).length;
