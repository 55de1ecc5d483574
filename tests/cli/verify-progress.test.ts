// The progress line of a bulk run, in-process (runCli with an Io whose stderr is a TTY and
// stdout a file): it goes to stderr only, says done/total, rate and counts, is cleared at the
// end, and never appears when stdout is a terminal too (it would mix into the results).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorld, type World } from '../loopback/verify/world.js';
import { runInProcess } from '../helpers/run-in-process.js';

let world: World;
let file: string;
beforeAll(async () => {
  const users = Array.from({ length: 300 }, (_, i) => `u${i}`);
  world = await startWorld({ 'slow.test': { script: { users }, opts: { replyDelayMs: 40 } } });
  file = join(mkdtempSync(join(tmpdir(), 'smtp-probe-progress-')), 'list.txt');
  writeFileSync(file, users.map((u) => `${u}@slow.test`).join('\n'));
});
afterAll(async () => {
  await world?.close();
});

function run(stdoutIsTTY: boolean) {
  const argv = ['verify', '--file', file, '--json', '--resolver', `${world.dns.address}:${world.dns.port}`, '--port', String(world.port), '--helo', 'verify.example.net', '--batch', '10', '--per-host', '1', '--no-catch-all-check'];
  return runInProcess(argv, { stdoutIsTTY, stderrIsTTY: true, columns: 120 });
}

describe('bulk progress on a TTY stderr', () => {
  it('shows done/total, rate and counts on stderr, cleared at the end; stdout stays JSON Lines', async () => {
    const r = await run(false);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(300);
    expect(r.stderr).toMatch(/\r\x1b\[2Kverify: [0-9,]+\/300 \([0-9]+%\) · [0-9.]+\/s · ETA [^·]+ · [0-9,]+ ok, 0 bad, 0 risky, 0 unknown/);
    expect(r.stderr).toMatch(/\r\x1b\[2K300 addresses answered/); // cleared before the summary
  });
  it('stays silent when stdout is a terminal as well', async () => {
    const r = await run(true);
    expect(r.stderr).not.toMatch(/verify: [0-9]/);
    expect(r.stderr).toMatch(/300 addresses answered/);
  });
});
