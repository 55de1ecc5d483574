// The password's ways in: SMTP_PROBE_PASSWORD, or a no-echo prompt on a terminal (a raw-mode
// stream here); never argv — refusePasswordArgv() refuses password-looking arguments without
// repeating them.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { authSetup, promptHidden, refusePasswordArgv } from '../../../src/cli/auth-flags.js';
import type { Io } from '../../../src/cli/io.js';

function fakeIo(env: Record<string, string>, tty: boolean): { io: Io; stdin: PassThrough & { setRawMode: (b: boolean) => void; raw: boolean[] }; err: () => string } {
  const stdin = Object.assign(new PassThrough(), { raw: [] as boolean[], setRawMode(b: boolean) { this.raw.push(b); } });
  const stderr = new PassThrough();
  let written = '';
  stderr.on('data', (c) => { written += String(c); });
  const io: Io = { stdout: new PassThrough(), stderr, stdin, env, stdoutIsTTY: false, stderrIsTTY: tty, stdinIsTTY: tty, columns: 80, signal: new AbortController().signal };
  return { io, stdin, err: () => written };
}

describe('--auth password sources', () => {
  it('takes SMTP_PROBE_PASSWORD without asking', async () => {
    const { io } = fakeIo({ SMTP_PROBE_PASSWORD: 'from-env-123' }, true);
    await expect(authSetup({ auth: 'alice' }, io, () => Promise.reject(new Error('asked')))).resolves.toEqual({ user: 'alice', password: 'from-env-123' });
  });

  it('asks on a terminal in raw mode, echoes nothing, handles backspace', async () => {
    const { io, stdin, err } = fakeIo({}, true);
    const p = authSetup({ auth: 'alice', authMech: 'plain' }, io, promptHidden);
    stdin.write('hunter2x\u007f3\r');
    await expect(p).resolves.toEqual({ user: 'alice', password: 'hunter23', mechanism: 'PLAIN' });
    expect(stdin.raw).toEqual([true, false]);
    expect(err()).toBe('Password for alice (not shown): \n');
  });

  it('without a password and without a terminal: a usage error naming the variable; Ctrl-C at the prompt gives up', async () => {
    await expect(authSetup({ auth: 'alice' }, fakeIo({}, false).io)).rejects.toThrow(/SMTP_PROBE_PASSWORD/);
    const { io, stdin } = fakeIo({}, true);
    const p = authSetup({ auth: 'alice' }, io, promptHidden);
    stdin.write('abc\u0003');
    await expect(p).rejects.toThrow(/no password/);
  });

  it('refuses passwords on argv without repeating them', () => {
    const cases = [['--password', 'p4ss'], ['--pass=p4ss'], ['--auth', 'alice:p4ss'], ['--auth=alice:p4ss'], ['-pw', 'p4ss']];
    for (const argv of cases) {
      let msg = '';
      try {
        refusePasswordArgv(['example.com', ...argv], {});
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg, argv.join(' ')).toMatch(/SMTP_PROBE_PASSWORD/);
      expect(msg).not.toContain('p4ss');
    }
    expect(() => refusePasswordArgv(['example.com', '--auth', 'alice', '--port', '587'], { SMTP_PROBE_PASSWORD: 'long-password-1' })).not.toThrow();
    expect(() => refusePasswordArgv(['example.com', '--auth', 'alice', 'long-password-1'], { SMTP_PROBE_PASSWORD: 'long-password-1' })).toThrow(/appears on the command line/);
  });
});
