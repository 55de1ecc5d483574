// The spinner under a real pseudo-terminal (util-linux `script`): a terminal that reports 0
// columns must not make ora loop forever (it divides by the width), at the start of a run or
// when the terminal is resized to 0 columns while the spinner turns. The probe must finish,
// with bounded output. A terminal with a width still gets its spinner (the test can see one).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startZoneServer, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { startScriptServer, type ScriptServer } from '../../src/demo/smtp-script-server.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { expectNoMessageSent } from '../helpers/smtp.js';

const SCRIPT = '/usr/bin/script';
const MAX_OUTPUT = 256 * 1024;

let dns: ZoneServer;
let mx: ScriptServer;
beforeAll(async () => {
  // Slow replies keep the spinner turning for a couple of seconds.
  mx = await startScriptServer({ hostname: 'mx.pty.test', users: ['bob'] }, { replyDelayMs: 500 });
  dns = await startZoneServer({ 'pty.test': { MX: [{ exchange: 'mx.pty.test', priority: 10 }] }, 'mx.pty.test': { A: ['127.0.0.1'] } });
});
afterAll(async () => {
  expectNoMessageSent(mx);
  await Promise.all([dns.close(), mx.close()]);
});

interface PtyRun { out: string; status: number | null; ms: number; killed: boolean }

/** Runs `shell` inside a pseudo-terminal; everything the terminal shows comes back in `out`. */
function inPty(shell: string, timeoutMs = 30_000): Promise<PtyRun> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = execFile(SCRIPT, ['-qec', shell, '/dev/null'], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', LANG: 'C', NO_COLOR: '1', SHELL: '/bin/sh' }, timeout: timeoutMs, maxBuffer: 8 * MAX_OUTPUT, killSignal: 'SIGKILL',
    }, (err, stdout) => {
      const e = err as (Error & { code?: unknown; killed?: boolean }) | null;
      resolve({ out: String(stdout), status: e ? (typeof e.code === 'number' ? e.code : null) : 0, ms: Date.now() - t0, killed: e?.killed === true || e?.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' });
    });
    child.stdin?.end();
  });
}

const probe = (): string => `${process.execPath} ${BIN} bob@pty.test --resolver 127.0.0.1:${dns.port} --port ${mx.port} --helo probe.example.net --checks never`;

describe.skipIf(!existsSync(SCRIPT))('the spinner in a pseudo-terminal', () => {
  it('a terminal with a width shows the spinner, and the probe finishes', async () => {
    const r = await inPty(`stty cols 80; ${probe()}`);
    expect(r.killed).toBe(false);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/mx\.pty\.test\[127\.0\.0\.1\]:\d+: /); // the spinner's text
    expect(r.out).toMatch(/bob@pty\.test: the server accepts mail/);
  }, 40_000);

  it('0 columns from the start: no spinner, the probe finishes, output bounded', async () => {
    const r = await inPty(`stty cols 0; ${probe()}`);
    expect(r.killed).toBe(false);
    expect(r.status).toBe(0);
    expect(r.out.length).toBeLessThan(MAX_OUTPUT);
    expect(r.out).toMatch(/bob@pty\.test: the server accepts mail/);
  }, 40_000);

  it('resized to 0 columns while the spinner turns: it stops, the probe finishes, output bounded', async () => {
    const r = await inPty(`stty cols 80; ${probe()} & sleep 1; stty cols 0; wait $!`);
    expect(r.killed).toBe(false);
    expect(r.status).toBe(0);
    expect(r.out.length).toBeLessThan(MAX_OUTPUT);
    expect(r.out).toMatch(/bob@pty\.test: the server accepts mail/);
  }, 40_000);
});
