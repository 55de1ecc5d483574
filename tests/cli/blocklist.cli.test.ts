// `smtp-probe blocklist` as a user runs it (the built bin), with all DNS going to a loopback
// zone server through --resolver: human output, exit codes 0 / 8 / 3 / 2, --json parsed and
// validated against data/schema/blocklist-result.schema.json, --zone, --zones-only, --health.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZoneServer, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { ROOT, runBin } from '../helpers/cli.js';

let server: ZoneServer;
let dead: ZoneServer;
beforeAll(async () => {
  server = await startZoneServer({
    '99.2.0.192.zen.spamhaus.org': { A: ['127.0.0.2'], TXT: ['\u001b[31mListed\u001b[0m: https://check.spamhaus.org/'] },
    '99.2.0.192.list.dnswl.org': { A: ['127.0.3.2'] },
    '7.2.0.192.list.dnswl.org': { A: ['127.0.3.3'] },
    '8.2.0.192.zen.spamhaus.org': { A: ['127.255.255.254'] },
    'spammy.example.dbl.spamhaus.org': { A: ['127.0.1.2'] },
    '99.2.0.192.bl.example.test': { A: ['127.0.0.2'] },
    '2.0.0.127.good.example.test': { A: ['127.0.0.2'] },
    '*.world.example.test': { A: ['127.0.0.2'] },
  });
  dead = await startZoneServer({ '*.org': { fault: 'servfail' }, '*.net': { fault: 'servfail' }, '*.com': { fault: 'servfail' }, '*.info': { fault: 'servfail' }, '*.zone': { fault: 'servfail' }, '*.de': { fault: 'servfail' } });
});
afterAll(async () => {
  await server.close();
  await dead.close();
});

const dns = (): string[] => ['--resolver', `${server.address}:${server.port}`, '--dns-timeout', '5s'];
const schema = JSON.parse(readFileSync(join(ROOT, 'data', 'schema', 'blocklist-result.schema.json'), 'utf8')) as object;
const validate = new Ajv2020.default({ allErrors: true, strict: false }).compile(schema);
const valid = (j: unknown): unknown[] => (validate(j) ? [] : (validate.errors ?? []));

describe('smtp-probe blocklist (built bin)', () => {
  it('exits 8 and lists the listing first, with its meaning, TXT and removal page', async () => {
    const r = await runBin(['blocklist', '192.0.2.99', ...dns()]);
    expect(r.status).toBe(8);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^Blocklist check of 192\.0\.2\.99 \(IPv4 address\): \d+ lists asked/);
    const first = lines.findIndex((l) => /^(LISTED|ALLOWED|clean|ERROR|TIMEOUT)\s/.test(l));
    expect(lines[first]).toMatch(/^LISTED\s+zen\.spamhaus\.org\s+Spamhaus ZEN/);
    expect(r.stdout).toContain('127.0.0.2 SBL: Spamhaus Block List');
    expect(r.stdout).toContain('TXT: ?[31mListed?[0m: https://check.spamhaus.org/');
    expect(r.stdout).toContain('Removal: https://check.spamhaus.org/');
    expect(r.stdout).toMatch(/^ALLOWED\s+list\.dnswl\.org/m);
    expect(r.stdout).toMatch(/^clean\s+bl\.spamcop\.net/m);
    expect(r.stdout).not.toMatch(/\u001b/);
    expect(r.stdout.trim().split('\n\n').at(-1)!.replace(/\n/g, ' ')).toMatch(/^192\.0\.2\.99 is listed on 1 of the \d+ lists checked: zen\.spamhaus\.org\. It is on 1 allow-list/);
  });

  it('exits 0 for a clean address, allow-lists counting as good news', async () => {
    const r = await runBin(['blocklist', '192.0.2.7', ...dns()]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ALLOWED\s+list\.dnswl\.org/m);
    expect(r.stdout.replace(/\n/g, ' ')).toMatch(/192\.0\.2\.7 is not listed on any of the \d+ lists checked\./);
    const q = await runBin(['blocklist', '192.0.2.7', '--quiet', ...dns()]);
    expect(q.stdout.replace(/\n/g, ' ').trim()).toMatch(/^192\.0\.2\.7 is not listed on any of the \d+ lists checked\. It is on 1 allow-list \(list\.dnswl\.org\), which is good\.$/);
  });

  it('reports the Spamhaus public-resolver code as an error with advice, exit 0', async () => {
    const r = await runBin(['blocklist', '192.0.2.8', ...dns()]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ERROR\s+zen\.spamhaus\.org/m);
    expect(r.stdout).toMatch(/What to do: Query through your own resolver/);
    expect(r.stdout).not.toMatch(/^LISTED/m);
  });

  it('prints one JSON object that validates against the shipped schema', async () => {
    const r = await runBin(['blocklist', '192.0.2.99', '--json', ...dns()]);
    expect(r.status).toBe(8);
    const j = JSON.parse(r.stdout) as { zones: { zone: string; status: string }[] } & Record<string, unknown>;
    expect(valid(j)).toEqual([]);
    expect(j).toMatchObject({ schemaVersion: 1, command: 'blocklist', mode: 'check', subject: '192.0.2.99', verdict: 'listed', listedOn: ['zen.spamhaus.org'] });
    expect(j.zones.find((z) => z.zone === 'zen.spamhaus.org')).toMatchObject({ status: 'listed', codes: [{ address: '127.0.0.2', label: 'SBL' }] });
    const clean = JSON.parse((await runBin(['blocklist', '192.0.2.8', '--json', ...dns()])).stdout) as unknown;
    expect(valid(clean)).toEqual([]);
  });

  it('checks a domain against the domain lists', async () => {
    const r = await runBin(['blocklist', 'spammy.example', '--json', ...dns()]);
    expect(r.status).toBe(8);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(valid(j)).toEqual([]);
    expect(j).toMatchObject({ subjectKind: 'domain', listedOn: ['dbl.spamhaus.org'] });
  });

  it('adds --zone zones and checks only them with --zones-only', async () => {
    const r = await runBin(['blocklist', '192.0.2.99', '--zones-only', '--zone', 'bl.example.test', '--zone', 'bl.spamcop.net', ...dns()]);
    expect(r.status).toBe(8);
    expect(r.stdout).toMatch(/^LISTED\s+bl\.example\.test/m);
    expect(r.stdout).toMatch(/^clean\s+bl\.spamcop\.net/m);
    expect(r.stdout).not.toContain('zen.spamhaus.org');
  });

  it('exits 3 when every zone fails with DNS errors', async () => {
    const r = await runBin(['blocklist', '192.0.2.99', '--resolver', `${dead.address}:${dead.port}`, '--dns-timeout', '5s']);
    expect(r.status).toBe(3);
    expect(r.stdout.replace(/\n/g, ' ')).toMatch(/None of the \d+ lists could be checked/);
  });

  it('exits 2 for bad input, with one line and no DNS query', async () => {
    const before = server.queries.length;
    for (const args of [['blocklist', 'not an ip'], ['blocklist', '999.1.1.1'], ['blocklist', 'bob@example.com'], ['blocklist'],
      ['blocklist', '192.0.2.1', '--zone', 'bad zone'], ['blocklist', '192.0.2.1', '--zones-only'], ['blocklist', '192.0.2.1', '--health'],
      ['blocklist', 'example.com', '--zones-only', '--zone', 'zen.spamhaus.org']]) {
      const r = await runBin([...args, ...dns()]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toMatch(/^smtp-probe: [^\n]+\n$/);
    }
    expect(server.queries.length).toBe(before);
  });

  it('--health flags dead zones and zones that list everything (exit 8), as JSON too', async () => {
    const args = ['blocklist', '--health', '--zones-only', '--zone', 'good.example.test', '--zone', 'world.example.test', '--zone', 'gone.example.test', ...dns()];
    const r = await runBin(args);
    expect(r.status).toBe(8);
    expect(r.stdout).toMatch(/^LISTS ALL\s+world\.example\.test/m);
    expect(r.stdout).toMatch(/^DEAD\s+gone\.example\.test/m);
    expect(r.stdout).toMatch(/^ok\s+good\.example\.test/m);
    const j = JSON.parse((await runBin([...args, '--json'])).stdout) as Record<string, unknown>;
    expect(valid(j)).toEqual([]);
    expect(j).toMatchObject({ mode: 'health', counts: { ok: 1, dead: 1, listsEverything: 1 } });
    const ok = await runBin(['blocklist', '--health', '--zones-only', '--zone', 'good.example.test', ...dns()]);
    expect(ok.status).toBe(0);
  });

  it('has help with examples', async () => {
    const h = await runBin(['blocklist', '--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('Examples:');
    expect(h.stdout).toContain('--zones-only');
  });
});
