// A failing probe in French says nothing in English: a recipient refused because the sending
// IP is on a blocklist, then the checks (blocklist listing, reverse DNS, SPF, DKIM, DMARC) with
// their findings and fixes, the verdict and its likely cause. Only the transcript (the server's
// words) and values stay as they are; the check (tests/helpers/english.ts) can fail: the same
// run in English is full of English.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { englishIn } from '../helpers/english.js';
import { startZoneServer, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { startScriptServer, type ScriptServer } from '../../src/demo/smtp-script-server.js';

let dns: ZoneServer;
let mx: ScriptServer;
let args: (lang: string) => string[];
beforeAll(async () => {
  mx = await startScriptServer({
    hostname: 'mx.fail.test',
    rules: [{ match: '^RCPT TO:<policy@', reply: { lines: ['550 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using zen.spamhaus.org'] } }],
  });
  dns = await startZoneServer({
    'fail.test': { MX: [{ exchange: 'mx.fail.test', priority: 10 }] },
    'mx.fail.test': { A: ['127.0.0.1'] },
    // The sending IP the server named: listed on Spamhaus ZEN, no reverse DNS.
    '2.0.0.127.zen.spamhaus.org': { A: ['127.0.0.2'], TXT: ['https://check.spamhaus.org/query/ip/127.0.0.2'] },
    // The sender's domain: an SPF record that does not authorize the IP, DMARC at p=none without rua.
    'sender.fail.test': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
    '_dmarc.sender.fail.test': { TXT: ['v=DMARC1; p=none'] },
  });
  args = (lang) => ['fail.test', '--resolver', `${dns.address}:${dns.port}`, '--port', String(mx.port), '--helo', 'probe.example.net',
    '--from', 'postmaster@sender.fail.test', '--rcpt', 'policy@fail.test', '--checks', 'always', '--no-mta-sts', '--lang', lang];
});
afterAll(async () => {
  await Promise.all([dns.close(), mx.close()]);
});

describe('a refused recipient with findings, in French', () => {
  it('has no English sentence outside the transcript', async () => {
    const [fr, en] = await Promise.all([runBin(args('fr'), { timeoutMs: 30_000 }), runBin(args('en'), { timeoutMs: 30_000 })]);
    expect(fr.status, fr.stderr).toBe(5);
    // The checks ran and found problems (so the findings are there to be read).
    expect(en.stdout).toMatch(/Listed on zen\.spamhaus\.org/);
    expect(en.stdout).toMatch(/SPF fail for 127\.0\.0\.2/);
    expect(en.stdout).toMatch(/p=none is monitoring only/);
    expect(englishIn(en.stdout, 'fr').length).toBeGreaterThan(30);
    expect(fr.stdout).toMatch(/Contrôles \(est-ce moi \?\)/);
    expect(fr.stdout).toMatch(/Listé sur zen\.spamhaus\.org/);
    expect(englishIn(fr.stdout, 'fr')).toEqual([]);
  });

  it('and in Hindi (another script, the "।" full stop)', async () => {
    const hi = await runBin(args('hi'), { timeoutMs: 30_000 });
    expect(hi.status, hi.stderr).toBe(5);
    expect(hi.stdout).toMatch(/zen\.spamhaus\.org \(Spamhaus ZEN\) पर सूचीबद्ध/);
    expect(englishIn(hi.stdout, 'hi')).toEqual([]);
  });
});
