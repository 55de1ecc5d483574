import { describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';

describe('smtp-probe explain (built bin)', () => {
  it('explains a code', async () => {
    const r = await runBin(['explain', '550']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^550 /);
    expect(r.stdout).toContain('How to fix');
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/\u001b\[/);
  });
  it('prints JSON with the documented fields', async () => {
    const r = await runBin(['explain', '550-5.1.1 <bob@example.com>: Recipient address rejected: User unknown', '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ schemaVersion: 1, kind: 'reply', code: 550, class: '5xx', enhanced: '5.1.1', reason: 'userunknown' });
    for (const k of ['name', 'description', 'when', 'fix']) expect(typeof j[k]).toBe('string');
    expect(j.enhancedExplanation).toMatchObject({ code: '5.1.1' });
  });
  it('explains a pasted mail-log line, and every reply of a text holding several (schema kind "replies")', async () => {
    const log = await runBin(['explain', 'host mx.example.com[192.0.2.1] said: 550-5.1.1 The email account that you tried to reach does not exist (in reply to RCPT TO command)']);
    expect(log.status).toBe(0);
    expect(log.stdout).toContain('(userunknown)');
    const two = await runBin(['explain', '550 5.1.1 User unknown\n452 4.2.2 Mailbox full', '--json']);
    expect(two.status).toBe(0);
    expect(JSON.parse(two.stdout)).toMatchObject({ kind: 'replies', replies: [{ code: 550, reason: 'userunknown' }, { code: 452, reason: 'mailboxfull' }] });
    const human = await runBin(['explain', '550 5.1.1 User unknown\n452 4.2.2 Mailbox full']);
    expect(human.stdout).toContain('<- 550 5.1.1 User unknown');
    expect(human.stdout).toContain('<- 452 4.2.2 Mailbox full');
  });
  it('compares two codes, in the language from LANG', async () => {
    const r = await runBin(['explain', '220', '554'], { env: { LANG: 'vi_VN.UTF-8' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Sự khác biệt chính');
    const j = JSON.parse((await runBin(['explain', '220', '554', '--json', '--lang', 'tr'])).stdout);
    expect(j).toMatchObject({ kind: 'comparison', lang: 'tr', a: { code: 220 }, b: { code: 554 } });
    expect(j.differences.length).toBeGreaterThan(2);
  });
  it('compares several codes in one table, in text and in JSON', async () => {
    const r = await runBin(['explain', '220', '250', '500', '550', '554']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('At a glance');
    expect(r.stdout).toMatch(/^ {2}554 +5xx/m);
    const j = JSON.parse((await runBin(['explain', '220', '250', '500', '550', '554', '--json', '--lang', 'hi'])).stdout);
    expect(j).toMatchObject({ kind: 'comparison', lang: 'hi' });
    expect(j.table.map((x: { code: number }) => x.code)).toEqual([220, 250, 500, 550, 554]);
    expect(j.fallback).toBeUndefined();
    const dup = await runBin(['explain', '550', '550']);
    expect(dup.status).toBe(2);
  });
  it('exits 2 with one line and suggestions for a code outside 2xx-5xx; explains an uncatalogued one by its class', async () => {
    const r = await runBin(['explain', '699']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/699.*[2-5]\d\d/);
    const g = await runBin(['explain', '571']);
    expect(g.status).toBe(0);
    expect(g.stdout).toContain('5xx');
    expect(g.stdout).toMatch(/55\d/);
  });
  it('exits 2 on an unknown flag and a bad language, without a stack trace', async () => {
    for (const args of [['explain', '550', '--bogus'], ['explain', '550', '--lang', 'de'], ['explain']]) {
      const r = await runBin(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^smtp-probe: /);
      expect(r.stderr).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
    }
  });
  it('prints help with examples and the version', async () => {
    const h = await runBin(['explain', '--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('Examples:');
    const v = await runBin(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('no arguments at all', () => {
  it('prints the overview with examples and exits 2', async () => {
    const r = await runBin([]);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^Usage: smtp-probe /);
    expect(r.stdout).toMatch(/smtp-probe demo/);
    expect(r.stdout).toMatch(/Exit codes: 0 ok/);
    expect(r.stderr).toBe('');
  });
});
