// `smtp-probe blocklist --lang fr|vi|tr|hi` says nothing in English: the lists' answer meanings
// (data/dnsbl-zones.i18n.json: exact codes, bitmask flags, octet tables, error codes, codes the
// catalog does not know, answers outside 127/8) and the --health self-test's per-list messages.
// All DNS goes to a loopback zone server; the check (tests/helpers/english.ts) can fail: the same
// runs in English are full of English.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZoneServer, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { runBin, type CliRun } from '../helpers/cli.js';
import { englishIn } from '../helpers/english.js';

const LANGS = ['en', 'fr', 'vi', 'tr', 'hi'] as const;
let server: ZoneServer;
const check = new Map<string, CliRun>();
const health = new Map<string, CliRun>();
beforeAll(async () => {
  server = await startZoneServer({
    // 192.0.2.99: several codes on Spamhaus, a bitmask list, an octet-coded allow-list, an
    // unknown code, error codes and an answer outside 127/8.
    '99.2.0.192.zen.spamhaus.org': { A: ['127.0.0.2', '127.0.0.4', '127.0.0.11'] },
    '99.2.0.192.hostkarma.junkemailfilter.com': { A: ['127.0.0.2', '127.0.0.3'] },
    '99.2.0.192.list.dnswl.org': { A: ['127.0.15.1'] },
    '99.2.0.192.dnsbl.dronebl.org': { A: ['127.0.0.6', '127.0.0.99'] },
    '99.2.0.192.bl.spamcop.net': { A: ['127.255.255.254'] },
    '99.2.0.192.psbl.surriel.com': { A: ['127.255.255.252'] },
    '99.2.0.192.b.barracudacentral.org': { A: ['10.0.0.1'] },
    // --health: Spamhaus answers its test points correctly, SpamCop lists everything, the rest
    // are dead (no test entry).
    '2.0.0.127.zen.spamhaus.org': { A: ['127.0.0.2'] },
    '2.0.0.127.bl.spamcop.net': { A: ['127.0.0.2'] },
    '1.0.0.127.bl.spamcop.net': { A: ['127.0.0.2'] },
  });
  const dns = ['--resolver', `${server.address}:${server.port}`, '--dns-timeout', '5s'];
  // One after the other: each run asks ~50 zones of the one loopback server.
  for (const lang of LANGS) {
    check.set(lang, await runBin(['blocklist', '192.0.2.99', ...dns, '--lang', lang]));
    health.set(lang, await runBin(['blocklist', '--health', ...dns, '--lang', lang]));
  }
}, 120_000);
afterAll(async () => {
  await server.close();
});

describe('blocklist answers in every language', () => {
  it('the English run holds the meanings the check must catch (it can fail)', () => {
    const r = check.get('en')!;
    expect(r.status, r.stderr).toBe(8);
    expect(r.stdout).toContain('127.0.0.2 SBL: Spamhaus Block List');
    const flat = r.stdout.replace(/\s+/g, ' ');
    expect(flat).toMatch(/127\.0\.15\.1 low: Listed \(category: email marketing provider, trust: low\)/);
    expect(flat).toContain('127.0.0.99: Listed, with a return code this catalog does not describe');
    expect(englishIn(r.stdout, 'fr').length).toBeGreaterThan(40);
  });
  for (const lang of ['fr', 'vi', 'tr', 'hi'] as const) {
    it(`--lang ${lang}: no English in the check's report`, () => {
      const r = check.get(lang)!;
      expect(r.status, r.stderr).toBe(8);
      // The answers are there (values stay), list names kept as labels, descriptions dropped.
      expect(r.stdout).toMatch(/127\.0\.0\.2 SBL/);
      expect(r.stdout).toMatch(/127\.0\.0\.99/);
      expect(r.stdout).not.toMatch(/IRC drone|open DNS resolver/);
      expect(englishIn(r.stdout, lang)).toEqual([]);
    });
  }
  it('French: the octet table and the error codes read in French', () => {
    const r = check.get('fr')!.stdout.replace(/\s+/g, ' ');
    expect(r).toContain("127.0.15.1 : Inscrite (catégorie : prestataire d'emailing, confiance : faible).");
    expect(r).toContain('La liste a répondu 127.255.255.254');
    expect(r).toContain('est hors de 127.0.0.0/8');
  });
});

describe('blocklist --health in every language', () => {
  it('the English run has a dead list, one that lists everything and a healthy one (it can fail)', () => {
    const r = health.get('en')!;
    expect(r.status, r.stderr).toBe(8);
    const flat = r.stdout.replace(/\s+/g, ' ');
    expect(r.stdout).toMatch(/^ok +zen\.spamhaus\.org/im);
    expect(flat).toMatch(/Lists 127\.0\.0\.1, which no list may contain/);
    expect(flat).toMatch(/Does not list its test entry/);
    expect(englishIn(r.stdout, 'fr').length).toBeGreaterThan(20);
  });
  for (const lang of ['fr', 'vi', 'tr', 'hi'] as const) {
    it(`--lang ${lang}: no English in the self-test's report`, () => {
      const r = health.get(lang)!;
      expect(r.status, r.stderr).toBe(8);
      expect(englishIn(r.stdout, lang)).toEqual([]);
    });
  }
});
