// `smtp-probe verify --lang fr|vi|tr|hi` says nothing in English: one address in full (the
// verdict, why, the server's words, catch-all, flags, retry), a bulk run (one line per address,
// the closing summary), the progress line on a TTY stderr and the --verbose notes. In-process
// (runCli) against loopback DNS and scripted SMTP servers; the server's own words (quoted
// replies) and values (addresses, hosts, codes, reason names) are not English sentences.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorld, type World } from '../loopback/verify/world.js';
import { englishIn } from '../helpers/english.js';
import { runInProcess } from '../helpers/run-in-process.js';

let world: World;
let base: string[];
beforeAll(async () => {
  world = await startWorld({
    'users.test': { script: { users: ['bob', 'info'] } },
    'all.test': { script: { catchAll: true } },
    'full.test': { script: { rules: [{ match: '^RCPT', reply: { lines: ['452 4.2.2 Mailbox full'] } }] } },
    'grey.test': { script: { rules: [{ match: '^RCPT', reply: { lines: ['451 4.7.1 Greylisted, please try again in 60 seconds'] } }] } },
    'policy.test': { script: { rules: [{ match: '^RCPT', reply: { lines: ['550 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org'] } }] } },
    'sender.test': { script: { rules: [{ match: '^MAIL', reply: { lines: ['553 5.7.1 Sender address rejected: not owned by user'] } }] } },
  }, {
    'nomx.test': { TXT: ['v=spf1 -all'] },
    'null.test': { MX: [{ exchange: '.', priority: 0 }] },
  });
  base = ['verify', '--resolver', `${world.dns.address}:${world.dns.port}`, '--port', String(world.port), '--helo', 'verify.example.net', '--timeout', '6s'];
});
afterAll(async () => {
  await world?.close();
});

const run = (argv: string[], tty = false) => runInProcess(argv, { stderrIsTTY: tty, columns: 120 });

const ONE = ['bob@users.test', 'nobody@users.test', 'x@all.test', 'bob@full.test', 'bob@grey.test', 'bob@policy.test', 'bob@sender.test', 'bob@nomx.test', 'bob@null.test', 'info@users.test'];
const BULK = [...ONE, 'bob.users.test', 'a..b@users.test', 'bob@nowhere.test'];

const LANGS = ['fr', 'vi', 'tr', 'hi'] as const;
let list: string;
/** The servers' own words (every reply text, from --json): not ours to translate. */
let replies: string[] = [];
beforeAll(async () => {
  list = join(mkdtempSync(join(tmpdir(), 'smtp-probe-verify-i18n-')), 'list.txt');
  writeFileSync(list, BULK.join('\n'));
  const json = await run([...base, '--file', list, '--json']);
  replies = json.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { reply: { text: string } | null }).reply?.text ?? '').filter(Boolean);
  expect(replies.length).toBeGreaterThan(5);
});

const oneSpace = (s: string): string => s.replace(/\s+/g, ' ');
/** The output without the servers' words (wrapped or not). */
const ours = (out: string): string => replies.reduce((acc, r) => acc.split(oneSpace(r)).join(' '), oneSpace(out));

async function everything(lang: string): Promise<string> {
  // One address at a time (the full block), then a bulk run with --verbose (lines, summary, notes).
  const blocks = await Promise.all(ONE.map((a) => run([...base, a, '--lang', lang])));
  for (const [i, b] of blocks.entries()) expect(b.stderr, ONE[i]).toBe('');
  // --wait-greylist: the greylisted address is asked again, and a --verbose note says so.
  const bulk = await run([...base, '--file', list, '--lang', lang, '--verbose', '--wait-greylist', '1s']);
  expect(bulk.code).toBe(0);
  expect(bulk.stdout.trim().split('\n').length).toBe(BULK.length + 2); // + the summary's two lines
  return [...blocks.map((b) => b.stdout), bulk.stdout, bulk.stderr].join('\n');
}

describe('verify in five languages', () => {
  it('the check finds the English of an English run (it can fail)', async () => {
    const en = await everything('en');
    expect(en).toMatch(/nobody@users\.test: undeliverable \(userunknown\)/);
    expect(en).toMatch(/line 11: "bob\.users\.test" is not an address/);
    expect(en).toMatch(/bob@grey\.test was greylisted; asking again in 1 s/);
    expect(englishIn(ours(en), 'fr').length).toBeGreaterThan(60);
  }, 30_000);
  for (const lang of LANGS) {
    it(`--lang ${lang}: every block, line, note and the summary without English`, async () => {
      const out = await everything(lang);
      expect(englishIn(ours(out), lang)).toEqual([]);
    }, 30_000);
  }
  it('reason titles are the language\'s own, inside sentences too', async () => {
    const fr = await run([...base, 'bob@policy.test', '--lang', 'fr']);
    expect(fr.stdout).toMatch(/^bob@policy\.test: inconnu \(IP ou hôte d'envoi bloqué\)/m);
    expect(oneSpace(fr.stdout)).toMatch(/lettres \(IP ou hôte d'envoi bloqué\) : cela ne dit rien/);
    const en = await run([...base, 'bob@policy.test', '--lang', 'en']);
    expect(en.stdout).toMatch(/^bob@policy\.test: unknown \(blocked\)/m);
    expect(oneSpace(en.stdout)).toMatch(/\(Sending IP or host blocked\): that says nothing/);
  });
  it('the progress line and verify\'s own stderr lines', async () => {
    const { renderVerifyProgress } = await import('../../src/report/verify-human.js');
    const p = { done: 40, total: 100, verdicts: { deliverable: 30, undeliverable: 5, risky: 3, unknown: 2 }, ms: 4000 };
    expect(renderVerifyProgress(p, 200)).toBe('verify: 40/100 (40%) · 10/s · ETA 6.0 s · 30 ok, 5 bad, 3 risky, 2 unknown');
    for (const lang of LANGS) {
      const line = renderVerifyProgress(p, 200, lang);
      expect(line).toMatch(/^verify: 40\/100 \(40%\) · 10\/s · .*30.*5.*3.*2/);
      expect(englishIn(line, lang), line).toEqual([]);
    }
  });
});
