// `smtp-probe auth --lang fr|vi|tr|hi` on a domain whose SPF, DKIM and DMARC records are broken in
// many ways says nothing in English: SPF syntax and macro errors, +all, terms after all, ptr, host
// bits, unknown modifiers; DKIM tag-list and key errors; DMARC tag faults, the short fault names
// of the summary and the record-in-place advice. DNS is a loopback zone server; the check
// (tests/helpers/english.ts) can fail: the same run in English is full of English.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZoneServer, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { runBin, type CliRun } from '../helpers/cli.js';
import { englishIn } from '../helpers/english.js';

const LANGS = ['en', 'fr', 'vi', 'tr', 'hi'] as const;
let server: ZoneServer;
const runs = new Map<string, CliRun>();
beforeAll(async () => {
  server = await startZoneServer({
    'bad.test': { TXT: ['v=spf1 +all ptr ip4:192.0.2.1/24 foo:bar a:%{z}.x include:missing.test mx:bad.test//200 nope=%{q}'] },
    '_dmarc.bad.test': { TXT: ['v=DMARC1; p=bogus; sp=x; adkim=q; pct=200; t=maybe; fo=7; rua=foo'] },
    's1._domainkey.bad.test': { TXT: ['v=DKIM1; k=rsa; p=!!!notbase64'] },
    's2._domainkey.bad.test': { TXT: ['v=DKIM1; k=rsa; ; x'] },
    // A second SPF record with a loop, too many MX hosts' worth of terms and a void include.
    'loop.test': { TXT: ['v=spf1 include:loop2.test include:gone.test -all'] },
    'loop2.test': { TXT: ['v=spf1 include:loop.test -all'] },
    '_dmarc.loop.test': { TXT: ['v=DMARC1 p=reject'] },
  });
  const dns = ['--resolver', `${server.address}:${server.port}`, '--dns-timeout', '5s'];
  for (const lang of LANGS) {
    const a = await runBin(['auth', 'bad.test', '--dkim-selector', 's1', '--dkim-selector', 's2', '--ip', '192.0.2.7', ...dns, '--lang', lang]);
    const b = await runBin(['auth', 'loop.test', '--ip', '192.0.2.7', ...dns, '--lang', lang]);
    runs.set(lang, { status: a.status, stderr: a.stderr + b.stderr, stdout: `${a.stdout}\n${b.stdout}` });
  }
}, 120_000);
afterAll(async () => {
  await server.close();
});

describe('broken SPF, DKIM and DMARC records in every language', () => {
  it('the English run has the problems the check must catch (it can fail)', () => {
    const r = runs.get('en')!;
    const flat = r.stdout.replace(/\s+/g, ' ');
    expect(flat).toContain('is not a mechanism (all include a mx ptr ip4 ip6 exists)');
    expect(flat).toContain('is not a macro letter');
    expect(flat).toContain('authorizes every IP address on the internet');
    expect(flat).toContain('p= is not valid base64');
    expect(flat).toContain('an empty tag between two ";"');
    expect(flat).toContain('is broken: p=bogus is not a policy, sp=x is not a policy (+5).');
    expect(flat).toMatch(/adkim=q is not an alignment mode \(r or s\); relaxed is used/);
    expect(flat).toMatch(/leads back to|loops back to/);
    expect(flat).toContain('is broken: there is no ";" after v=DMARC1.');
    expect(englishIn(r.stdout, 'fr').length).toBeGreaterThan(60);
  });
  for (const lang of ['fr', 'vi', 'tr', 'hi'] as const) {
    it(`--lang ${lang}: no English outside values`, () => {
      const r = runs.get(lang)!;
      expect(r.stderr).toBe('');
      expect(englishIn(r.stdout, lang)).toEqual([]);
    });
  }
  it('French: the DMARC summary names each fault in French, the quoted record stays as published', () => {
    const flat = runs.get('fr')!.stdout.replace(/\s+/g, ' ');
    expect(flat).toContain('est défectueux : p=bogus n\'est pas une politique, sp=x n\'est pas une politique (+5).');
    expect(flat).toContain('« v=DMARC1; p=bogus; sp=x; adkim=q; pct=200; t=maybe; fo=7; rua=foo »');
  });
  it('French: the verdict joining every failing check reads each summary as its section does', () => {
    const flat = runs.get('fr')!.stdout.replace(/\s+/g, ' ');
    const verdict = flat.slice(flat.indexOf('4 problèmes'));
    expect(verdict).toContain('SPF : SPF permerror pour 192.0.2.7 sur bad.test : ');
    expect(verdict).toContain('DMARC : L\'enregistrement DMARC en _dmarc.bad.test est défectueux : p=bogus');
    expect(verdict).toContain('DNS inverse : 192.0.2.7');
    // Read back whole, the line once gave "pour 192.0.2.7 at bad.test" and "P=bogus".
    expect(verdict).not.toMatch(/ at bad\.test|P=bogus/);
  });
});
