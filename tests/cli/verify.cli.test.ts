// `smtp-probe verify` end to end: the built bin against loopback DNS and SMTP servers.
// Exit codes for one address, JSON Lines validated against the schema, CSV, files and stdin,
// resume, usage errors before any I/O, and Ctrl-C (exit 130, every line written whole).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { BIN, ROOT, runBin } from '../helpers/cli.js';
import { startWorld, type World } from '../loopback/verify/world.js';

const ajv = new Ajv2020.default({ allErrors: true, strict: false });
const validate = ajv.compile(JSON.parse(readFileSync(`${ROOT}/data/schema/verify-result.schema.json`, 'utf8')) as object);
const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-verify-'));

let world: World;
let base: string[];
beforeAll(async () => {
  world = await startWorld({
    'users.test': { script: { users: ['bob', 'alice', ...Array.from({ length: 300 }, (_, i) => `u${i}`)] } },
    'all.test': { script: { catchAll: true } },
    'policy.test': { script: { rules: [{ match: '^RCPT', reply: { lines: ['550 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org'] } }] } },
    'grey.test': { script: { rules: [{ match: '^RCPT', reply: { lines: ['451 4.7.1 Greylisted, please try again in 60 seconds'] } }] } },
    'slow.test': { script: { users: Array.from({ length: 2000 }, (_, i) => `s${i}`) }, opts: { replyDelayMs: 10 } },
  });
  base = ['verify', '--resolver', `${world.dns.address}:${world.dns.port}`, '--port', String(world.port), '--helo', 'verify.example.net', '--timeout', '6s'];
});
afterAll(async () => {
  await world?.close();
});

const jsonLines = (s: string): Record<string, unknown>[] => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
function expectValid(rs: Record<string, unknown>[]): void {
  for (const r of rs) expect(validate(r) ? [] : validate.errors).toEqual([]);
}

describe('one address: the exit code is the verdict\'s', () => {
  const CASES: [string, number, RegExp][] = [
    ['bob@users.test', 0, /bob@users\.test: deliverable/],
    ['nobody@users.test', 6, /undeliverable \(userunknown\)/],
    ['x@all.test', 0, /risky \(catchall\)[\s\S]*catch-all: yes/],
    ['bob@policy.test', 5, /unknown \(blocked\)[\s\S]*says\s+nothing\s+about/],
    ['bob@grey.test', 7, /unknown \(greylisted\)[\s\S]*retry in 60 s/],
    ['bob@nowhere.test', 6, /undeliverable \(hostunknown\)/],
  ];
  for (const [address, code, text] of CASES) {
    it(`${address} → exit ${code}`, async () => {
      const r = await runBin([...base, address]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(text);
      expect(r.status).toBe(code);
    });
  }
  it('--json: one object that validates against verify-result.schema.json', async () => {
    const r = await runBin([...base, '--json', 'nobody@users.test']);
    expect(r.status).toBe(6);
    const [o] = jsonLines(r.stdout);
    expectValid([o!]);
    expect(o).toMatchObject({ schemaVersion: 1, address: 'nobody@users.test', verdict: 'undeliverable', reason: 'userunknown', catchAll: false, mx: 'mx.users.test', reply: { code: 550, enhanced: '5.1.1' }, flags: { role: false, disposable: false, free: false } });
  });
});

describe('usage errors come before any DNS query or connection (exit 2)', () => {
  const CASES: [string[], RegExp][] = [
    [['bad@@example.com'], /not a valid address: the address has more than one @/],
    [['--port', '587', 'bob@users.test'], /submission port/],
    [['--helo', 'smtp.gmail.com', 'bob@users.test'], /impersonation/],
    [['--from', 'bob@users.test', 'bob@users.test'], /--from must not be the address being verified/],
    [[], /give one or more addresses/],
    [['--file', '/nonexistent/list.txt'], /cannot read --file/],
    [['--csv', '--json', 'bob@users.test'], /exclude each other/],
    [['--batch', '500', 'bob@users.test'], /--batch must be a whole number from 1 to 100/],
  ];
  for (const [args, msg] of CASES) {
    it(args.join(' ') || '(no address)', async () => {
      const queries = world.dns.queries.length;
      const r = await runBin([...base.filter((a, i) => !(args.includes('--helo') && (a === '--helo' || base[i - 1] === '--helo'))), ...args]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
      expect(world.dns.queries.length).toBe(queries);
    });
  }
  it('warns loudly when the HELO name is not a FQDN', async () => {
    const r = await runBin([...base.filter((a) => a !== 'verify.example.net' && a !== '--helo'), '--helo', 'localhost', 'bob@users.test']);
    expect(r.stderr).toMatch(/WARNING: the HELO name "localhost" is not a fully qualified domain name/);
  });
});

describe('bulk', () => {
  it('--file CSV with --column, JSON Lines out, summary on stderr, exit 0', async () => {
    const f = join(dir, 'list.csv');
    writeFileSync(f, 'id,work,home\n1,bob@users.test,x@y.test\n2,nobody@users.test,\n3,x@all.test,\n4,bob@users.test,\n5,not-an-address,\n');
    const r = await runBin([...base, '--json', '--file', f, '--column', 'work']);
    expect(r.status).toBe(0);
    const rs = jsonLines(r.stdout);
    expectValid(rs);
    expect(Object.fromEntries(rs.map((o) => [o.address, o.verdict]))).toEqual({
      'bob@users.test': 'deliverable', 'nobody@users.test': 'undeliverable', 'x@all.test': 'risky', 'not-an-address': 'undeliverable',
    });
    expect(r.stderr).toMatch(/4 addresses answered/);
    expect(r.stderr).toMatch(/1 repeated address skipped/);
  });

  it('stdin (-), one per line, --csv out', async () => {
    const r = await runBin([...base, '--csv', '-'], { input: 'bob@users.test\nnobody@users.test\n' });
    expect(r.status).toBe(0);
    const rows = r.stdout.trim().split('\r\n');
    expect(rows[0]).toBe('address,verdict,reason,catch_all,mx,code,enhanced,text,role,disposable,free,temporary,message,line');
    expect(rows.slice(1).map((l) => l.split(',').slice(0, 3).join(',')).sort()).toEqual(['bob@users.test,deliverable,accepted', 'nobody@users.test,undeliverable,userunknown']);
  });

  it('several addresses as arguments: text lines and a summary, exit 0 whatever the verdicts', async () => {
    const r = await runBin([...base, 'bob@users.test', 'nobody@users.test', 'bob@policy.test']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^deliverable +bob@users\.test/m);
    expect(r.stdout).toMatch(/^undeliverable +nobody@users\.test \(userunknown\)/m);
    expect(r.stdout).toMatch(/^unknown +bob@policy\.test \(blocked\)/m);
    expect(r.stdout).toMatch(/3 addresses answered/);
  });

  it('--resume skips what the output file already answered, then finishes the rest', async () => {
    const f = join(dir, 'resume.txt');
    writeFileSync(f, 'u1@users.test\nu2@users.test\nu3@users.test\n');
    const out = join(dir, 'out.jsonl');
    writeFileSync(out, `${JSON.stringify({ schemaVersion: 1, address: 'u1@users.test', verdict: 'deliverable' })}\n{"address":"u2@us`);
    const r = await runBin([...base, '--json', '--file', f, '--resume', out]);
    expect(r.status).toBe(0);
    expect(jsonLines(r.stdout).map((o) => o.address).sort()).toEqual(['u2@users.test', 'u3@users.test']);
    expect(r.stderr).toMatch(/1 already answered in the resume file/);
  });

  it('Ctrl-C: exit 130, what was answered is written whole, the rest is counted as not answered', async () => {
    const list = Array.from({ length: 2000 }, (_, i) => `s${i}@slow.test`).join('\n');
    const child = spawn(process.execPath, [BIN, ...base, '--json', '--batch', '20', '--per-host', '1', '-'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', LANG: 'C' } });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!sent && stdout.split('\n').length > 30) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdin.end(list);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(130);
    const rs = jsonLines(stdout);
    expectValid(rs);
    expect(rs.length).toBeGreaterThanOrEqual(30);
    expect(rs.length).toBeLessThan(2000);
    expect(new Set(rs.map((o) => o.address)).size).toBe(rs.length);
    expect(stderr).toMatch(/interrupted: [0-9,]+ addresses answered/);
    expect(stderr).toMatch(/read but not answered; run again with --resume/);
  });
});

describe('connection flags shared with the probe', () => {
  it('a --ca-file that holds no certificate, or -4 with -6, is exit 2 before any connection', async () => {
    for (const bad of [['--ca-file', 'package.json'], ['--ca-file', 'no/such/file.pem'], ['-4', '-6']]) {
      const r = await runBin(['verify', 'bob@example.test', '--resolver', '127.0.0.1:1', ...bad]);
      expect(r.status, bad.join(' ')).toBe(2);
      expect(r.stderr, bad.join(' ')).toMatch(/^smtp-probe: (--ca-file|cannot read --ca-file|-4 and -6)/);
    }
  });
});
