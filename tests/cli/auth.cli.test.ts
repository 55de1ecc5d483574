// `smtp-probe auth` end to end: the built bin against the loopback zone server through
// --resolver, exit codes (0, 8, 3, 2), --json validated against the shipped schema, the
// quiet and human outputs, and DNS text that tries to put escapes on the terminal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { startZoneServer, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { reverseName } from '../../src/checks/rdns.js';
import { ROOT, runBin } from '../helpers/cli.js';

const rsa = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const schema = JSON.parse(readFileSync(join(ROOT, 'data/schema/auth-result.schema.json'), 'utf8')) as object;
const validate = new Ajv2020.default({ allErrors: true, strict: false }).compile(schema);

let server: ZoneServer;
beforeAll(async () => {
  server = await startZoneServer({
    'good.test': { A: ['203.0.113.5'], TXT: ['v=spf1 ip4:203.0.113.0/24 -all'] },
    '_dmarc.good.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@good.test'] },
    's2025._domainkey.good.test': { TXT: [`v=DKIM1; k=rsa; p=${rsa(2048)}`] },
    [reverseName('203.0.113.5')]: { PTR: ['mail.good.test.'] },
    'mail.good.test': { A: ['203.0.113.5'] },
    'bad.test': { A: ['198.51.100.1'], TXT: ['v=spf1 -all'] },
    '_dmarc.bad.test': { TXT: ['v=DMARC1; p=reject\u001b[2J; rua=mailto:x@bad.test'] },
    'dead.test': { fault: 'servfail' },
    '*.dead.test': { fault: 'servfail' },
  });
});
afterAll(async () => { await server.close(); });
const dns = () => ['--resolver', `${server.address}:${server.port}`, '--dns-timeout', '5s'];

describe('smtp-probe auth', () => {
  it('exits 0 for a domain that is set up, and its JSON matches the schema', async () => {
    const r = await runBin(['auth', 'good.test', '--ip', '203.0.113.5', '--helo', 'mail.good.test', '--dkim-selector', 's2025', '--json', ...dns()]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, any>;
    const ok = validate(j);
    expect(ok ? [] : validate.errors).toEqual([]);
    expect(j).toMatchObject({ schemaVersion: 1, command: 'auth', domain: 'good.test', ip: '203.0.113.5', spf: { result: 'pass' }, dmarc: { policy: 'reject', orgDomain: 'good.test', result: 'pass' }, rdns: { fcrdns: true } });
    expect(j.dkim).toEqual([expect.objectContaining({ selector: 's2025', status: 'ok', keyType: 'rsa', keyBits: 2048 })]);
  });

  it('prints sections per check and the verdict', async () => {
    const r = await runBin(['auth', 'good.test', '--ip', '203.0.113.5', ...dns()]);
    expect(r.status).toBe(0);
    for (const h of ['SPF', 'DKIM', 'DMARC', 'Reverse DNS']) expect(r.stdout).toMatch(new RegExp(`^${h} +`, 'm'));
    expect(r.stdout).not.toMatch(/\u001b/); // NO_COLOR
  });

  it('exits 8 when a check fails, and keeps DNS text printable', async () => {
    const r = await runBin(['auth', 'bad.test', '--ip', '198.51.100.1', ...dns()]);
    expect(r.status).toBe(8);
    expect(r.stdout).toMatch(/SPF +✗ FAIL/);
    expect(r.stdout).not.toMatch(/\u001b/);
    expect(r.stdout).toContain('p=reject?[2J');
    const q = await runBin(['auth', 'bad.test', '--ip', '198.51.100.1', '--quiet', ...dns()]);
    expect(q.status).toBe(8);
    expect(q.stdout.trim().split('\n').length).toBeLessThanOrEqual(6);
    expect(q.stdout).toMatch(/problem/i);
  });

  it('exits 3 when DNS failed for every check', async () => {
    const r = await runBin(['auth', 'dead.test', '--json', ...dns()]);
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout).verdict.status).toBe('error');
  });

  it('exits 2 for bad input, without a DNS query', async () => {
    const before = server.queries.length;
    for (const args of [
      ['auth', 'good.test', '--ip', '300.1.1.1'],
      ['auth', 'not_a domain'],
      ['auth', 'good.test', '--from', 'no-at-sign'],
      ['auth', 'good.test', '--helo', 'bad name'],
      ['auth', 'good.test', '--dkim-selector', 'a b'],
      ['auth', 'good.test', '--dmarc-mode', 'rfc1234'],
      ['auth'],
    ]) {
      const r = await runBin([...args, ...dns()]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^smtp-probe: /);
    }
    expect(server.queries.length).toBe(before);
  });

  it('takes "" as the null sender', async () => {
    const r = await runBin(['auth', 'good.test', '--ip', '203.0.113.5', '--from', '', '--helo', 'mail.good.test', '--json', ...dns()]);
    const j = JSON.parse(r.stdout) as Record<string, any>;
    expect(j.from).toBeNull();
    expect(j.spf.sender).toBe('postmaster@mail.good.test');
  });

  it('has help with examples', async () => {
    const r = await runBin(['auth', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Examples:/);
    expect(r.stdout).toMatch(/--dkim-selector/);
  });
});
