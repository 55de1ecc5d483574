// `smtp-probe verify` with files as people have them (issue 11 items 7, 8, 10, 11, 13): bad
// lines keep their reason and line number, UTF-16 and CR-only files, CSV output that is safe
// in a spreadsheet, and resume: a torn last line repaired when appending to the same file,
// syntax-error lines never repeated, exactly one line per input after the documented commands.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, runBin } from '../helpers/cli.js';
import { startWorld, type World } from '../loopback/verify/world.js';

const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-intake-'));
let world: World;
let base: string[];
beforeAll(async () => {
  world = await startWorld({
    'users.test': { script: { users: Array.from({ length: 50 }, (_, i) => `u${i}`) } },
    'grey.test': { script: { users: ['g1', 'g2'], rules: [{ match: '^RCPT TO:<g1@', reply: { lines: ['451 4.7.1 Greylisted'] }, times: 1 }] } },
  });
  base = ['verify', '--resolver', `${world.dns.address}:${world.dns.port}`, '--port', String(world.port), '--helo', 'verify.example.net', '--timeout', '6s'];
});
afterAll(async () => {
  await world?.close();
});

const jsonLines = (s: string): Record<string, unknown>[] => s.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

/** Run with stdout appended to a file, as `>> out` does. */
function runAppending(args: string[], out: string): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve) => {
    const fd = openSync(out, 'a');
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', LANG: 'C' }, stdio: ['ignore', fd, 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => {
      closeSync(fd);
      resolve({ status: code ?? -1, stderr });
    });
  });
}

describe('bad input lines', () => {
  it('keep their specific reason and their line number in the output', async () => {
    const f = join(dir, 'bad.csv');
    writeFileSync(f, `name,email\nBob,u1@users.test\nAl,\nLong,${'x'.repeat(9000)}@users.test\nEve,alice@@users.test\n`);
    const r = await runBin([...base, '--json', '--file', f]);
    expect(r.status).toBe(0);
    const rs = jsonLines(r.stdout);
    const byLine = Object.fromEntries(rs.map((o) => [o.line, o]));
    expect(byLine[2]).toMatchObject({ address: 'u1@users.test', verdict: 'deliverable', line: 2 });
    expect(byLine[3]).toMatchObject({ verdict: 'undeliverable', stage: 'syntax', line: 3 });
    expect(byLine[3]!.message).toMatch(/line 3 has no value in the address column/);
    expect(byLine[4]!.message).toMatch(/line 4 is longer than 8192 characters/);
    expect(byLine[5]!.message).toMatch(/line 5: .*more than one @/);
  });

  it('UTF-16 (with BOM) and CR-only files are read; Latin-1 bytes are refused on their line', async () => {
    const f16 = join(dir, 'list16.txt');
    writeFileSync(f16, Buffer.from('\ufeffu1@users.test\r\nnobody@users.test\r\n', 'utf16le'));
    const r16 = jsonLines((await runBin([...base, '--json', '--file', f16])).stdout);
    expect(Object.fromEntries(r16.map((o) => [o.address, o.verdict]))).toEqual({ 'u1@users.test': 'deliverable', 'nobody@users.test': 'undeliverable' });
    const fcr = join(dir, 'listcr.txt');
    writeFileSync(fcr, 'u2@users.test\ru3@users.test\r');
    expect(jsonLines((await runBin([...base, '--json', '--file', fcr])).stdout).map((o) => o.address).sort()).toEqual(['u2@users.test', 'u3@users.test']);
    const f1 = join(dir, 'latin1.txt');
    writeFileSync(f1, Buffer.from('jos\xe9@users.test\nu4@users.test\n', 'latin1'));
    const r1 = jsonLines((await runBin([...base, '--json', '--file', f1])).stdout);
    expect(r1.find((o) => o.line === 1)).toMatchObject({ verdict: 'undeliverable', stage: 'syntax' });
    expect(r1.find((o) => o.line === 1)!.message).toMatch(/not UTF-8/);
    expect(r1.find((o) => o.line === 2)).toMatchObject({ address: 'u4@users.test', verdict: 'deliverable' });
  });

  it('--csv: an input that looks like a formula is written with a leading quote', async () => {
    const r = await runBin([...base, '--csv', '-'], { input: '=1+1\n@SUM(A1)\n-2\nu5@users.test\n' });
    const rows = r.stdout.trim().split('\r\n').slice(1).map((l) => l.split(',')[0]);
    expect(rows.sort()).toEqual(["'-2", "'=1+1", "'@SUM(A1)", 'u5@users.test']);
  });
});

describe('resume', () => {
  it('--resume out.jsonl >> out.jsonl after a torn last line: repaired, one valid line per input', async () => {
    const list = join(dir, 'resume-list.txt');
    const inputs = ['u10@users.test', 'u11@users.test', 'u12@users.test', 'not an address', 'u13@users.test'];
    writeFileSync(list, `${inputs.join('\n')}\n`);
    const out = join(dir, 'resume-out.jsonl');
    writeFileSync(out, `${JSON.stringify({ schemaVersion: 1, address: 'u10@users.test', verdict: 'deliverable' })}\n{"schemaVersion":1,"address":"u11@us`);
    const r = await runAppending([...base, '--json', '--file', list, '--resume', out], out);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/removed a cut last line/);
    const rs = jsonLines(readFileSync(out, 'utf8')); // throws on a glued line
    expect(rs.map((o) => o.address).sort()).toEqual(['not an address', 'u10@users.test', 'u11@users.test', 'u12@users.test', 'u13@users.test']);
    // Resuming a finished run asks nothing and writes nothing more, syntax errors included.
    const again = await runAppending([...base, '--json', '--file', list, '--resume', out], out);
    expect(again.status).toBe(0);
    expect(jsonLines(readFileSync(out, 'utf8'))).toHaveLength(inputs.length);
  });

  it('--csv --resume out.csv >> out.csv: one header, one row per input', async () => {
    const list = join(dir, 'resume-csv.txt');
    writeFileSync(list, 'u20@users.test\n=bad\nu21@users.test\n');
    const out = join(dir, 'resume-out.csv');
    await runAppending([...base, '--csv', '--file', list, '--resume', out], out);
    await runAppending([...base, '--csv', '--file', list, '--resume', out], out);
    const rows = readFileSync(out, 'utf8').trim().split('\r\n');
    expect(rows.filter((l) => l.startsWith('address,'))).toHaveLength(1);
    expect(rows.slice(1).map((l) => l.split(',')[0]).sort()).toEqual(["'=bad", 'u20@users.test', 'u21@users.test']);
  });

  it('--retry-unknown appends a newer answer; the README\'s merge command keeps the last one per address', async () => {
    const list = join(dir, 'retry.txt');
    writeFileSync(list, 'g1@grey.test\ng2@grey.test\n');
    const out = join(dir, 'retry.jsonl');
    await runAppending([...base, '--json', '--file', list, '--resume', out], out);
    expect(jsonLines(readFileSync(out, 'utf8')).find((o) => o.address === 'g1@grey.test')).toMatchObject({ verdict: 'unknown' });
    await runAppending([...base, '--json', '--file', list, '--resume', out, '--retry-unknown'], out);
    const all = jsonLines(readFileSync(out, 'utf8'));
    expect(all.map((o) => o.address)).toEqual(expect.arrayContaining(['g1@grey.test', 'g2@grey.test']));
    // The documented precedence: the last line for an address wins.
    const last = new Map(all.map((o) => [o.address, o]));
    expect(last.size).toBe(2);
    expect(last.get('g1@grey.test')).toMatchObject({ verdict: 'deliverable' });
    // verify --merge writes that: one line per address, the last one.
    const m = await runBin(['verify', '--merge', out]);
    expect(m.status).toBe(0);
    const merged = jsonLines(m.stdout);
    expect(merged.map((o) => o.address).sort()).toEqual(['g1@grey.test', 'g2@grey.test']);
    expect(merged.find((o) => o.address === 'g1@grey.test')).toMatchObject({ verdict: 'deliverable' });
    expect(m.stderr).toMatch(/3 lines of .* merged into 2/);
  });

  it('--csv: --retry-unknown appends, --merge keeps one header and the last row per address', async () => {
    const list = join(dir, 'retry-csv.txt');
    writeFileSync(list, 'g1@grey.test\ng2@grey.test\n');
    const out = join(dir, 'retry.csv');
    // Greylisted once per server run: this server's g1 rule is used up, so script it afresh.
    const w = await startWorld({ 'grey.test': { script: { users: ['g1', 'g2'], rules: [{ match: '^RCPT TO:<g1@', reply: { lines: ['451 4.7.1 Greylisted'] }, times: 1 }] } } });
    try {
      const b = ['verify', '--resolver', `${w.dns.address}:${w.dns.port}`, '--port', String(w.port), '--helo', 'verify.example.net', '--timeout', '6s'];
      await runAppending([...b, '--csv', '--file', list, '--resume', out], out);
      await runAppending([...b, '--csv', '--file', list, '--resume', out, '--retry-unknown'], out);
    } finally {
      await w.close();
    }
    const rows = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    expect(rows.length).toBe(4); // header, g1 unknown, g2, g1 again
    const m = await runBin(['verify', '--merge', out]);
    const merged = m.stdout.split('\n').filter(Boolean);
    expect(merged[0]).toMatch(/^address,verdict/);
    expect(merged.slice(1).map((l) => l.split(',').slice(0, 2).join(',')).sort()).toEqual(['g1@grey.test,deliverable', 'g2@grey.test,deliverable']);
  });

  it('--merge refuses addresses and a missing file, as usage errors', async () => {
    expect((await runBin(['verify', '--merge', join(dir, 'none.jsonl')])).status).toBe(2);
    expect((await runBin(['verify', '--merge', join(dir, 'retry.jsonl'), 'a@b.test'])).status).toBe(2);
  });
});
