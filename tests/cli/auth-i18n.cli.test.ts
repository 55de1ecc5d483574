// `smtp-probe auth DOMAIN --lang fr|vi|tr|hi` says nothing in English: the headings, the status
// words, the record lines (French with its space before ":"), the findings and fixes of SPF,
// DKIM, DMARC and reverse DNS, and the closing verdict, for a domain that passes, one that fails
// and one whose DNS fails. In-process against the loopback zone server; DNS text (records,
// names) and result words (pass, fail…) are values.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { startZoneServer, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { reverseName } from '../../src/checks/rdns.js';
import { englishIn } from '../helpers/english.js';
import { runInProcess } from '../helpers/run-in-process.js';

const rsa = (bits: number): string => generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
let server: ZoneServer;
beforeAll(async () => {
  server = await startZoneServer({
    'good.test': { A: ['203.0.113.5'], TXT: ['v=spf1 ip4:203.0.113.0/24 -all'] },
    '_dmarc.good.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@good.test'] },
    's2025._domainkey.good.test': { TXT: [`v=DKIM1; k=rsa; p=${rsa(1024)}`] },
    [reverseName('203.0.113.5')]: { PTR: ['mail.good.test.'] },
    'mail.good.test': { A: ['203.0.113.5'] },
    'bad.test': { A: ['198.51.100.1'], TXT: ['v=spf1 -all'] },
    '_dmarc.bad.test': { TXT: ['v=DMARC1; p=none'] },
  });
});
afterAll(async () => { await server.close(); });

const run = (argv: string[]) => runInProcess(argv);

const dns = (): string[] => ['--resolver', `${server.address}:${server.port}`, '--dns-timeout', '5s'];
const CASES: string[][] = [
  ['good.test', '--ip', '203.0.113.5', '--helo', 'mail.good.test', '--dkim-selector', 's2025'],
  // One DKIM selector, not the 41 common ones: fewer lookups to time out on a loaded machine
  // (a failed lookup lists the selectors' names, values such as "default").
  ['bad.test', '--ip', '198.51.100.1', '--dkim-selector', 's2025'],
  ['bad.test', '--dkim-selector', 's2025'],
];

async function all(lang: string): Promise<string> {
  const runs = await Promise.all(CASES.map((c) => run(['auth', ...c, ...dns(), '--lang', lang, '--verbose'])));
  expect(runs.map((r) => r.code)).toEqual([0, 8, 8]);
  return runs.map((r) => r.stdout + r.stderr).join('\n');
}

describe('auth in five languages', () => {
  it('the check finds the English of an English run (it can fail)', async () => {
    const en = await all('en');
    expect(en).toMatch(/^SPF +✗ FAIL/m);
    expect(englishIn(en, 'fr').length).toBeGreaterThan(40);
  });
  for (const lang of ['fr', 'vi', 'tr', 'hi'] as const) {
    it(`--lang ${lang}: no English outside values`, async () => {
      expect(englishIn(await all(lang), lang)).toEqual([]);
    });
  }
  it('French puts a space before the colon of the record lines', async () => {
    const fr = await all('fr');
    expect(fr).toMatch(/^ {2}enregistrement : v=spf1/m);
    // SPF's "include:" is a value, not a label.
    expect(fr.split('\n').filter((l) => /[\p{L}\p{N})\]]: /u.test(l.replace(/\binclude: /g, '')))).toEqual([]);
  });
});
