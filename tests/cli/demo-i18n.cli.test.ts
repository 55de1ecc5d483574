// `smtp-probe demo --lang fr|vi|tr|hi` says nothing in English: every line but the transcript
// (the server's own words) and values (hosts, addresses, codes) is in the language asked for.
// The check (tests/helpers/english.ts) looks for any word of the English output sentences or
// a common English function word that the language's own sentences do not use.
import { beforeAll, describe, expect, it } from 'vitest';
import { runBin, type CliRun } from '../helpers/cli.js';
import { englishIn, REASON_TEXTS } from '../helpers/english.js';

const LANGS = ['en', 'fr', 'vi', 'tr', 'hi'] as const;
const runs = new Map<string, CliRun>();
beforeAll(async () => {
  // One after the other: each is a real probe over loopback (about 1-2 s); five at once on a
  // loaded 2-core machine can starve the demo's own DNS server past its 2 s timeout.
  // A bare HELO name adds the HELO warning; the demo's MX on loopback adds its note.
  for (const lang of LANGS) runs.set(lang, await runBin(['demo', '--helo', 'vm', '--lang', lang]));
});

describe('the demo in every language', () => {
  it('the check finds the English of an English demo (it can fail)', () => {
    const r = runs.get('en')!;
    expect(r.status).toBe(0);
    expect(englishIn(r.stdout, 'fr').length).toBeGreaterThan(20);
  });
  it("the demo's own loopback MX is expected: no 'tests this machine' warning", () => {
    const r = runs.get('en')!;
    expect(r.stdout).toContain('nothing leaves this machine');
    expect(r.stdout).not.toMatch(/loopback: this machine|probing it tests this machine/);
  });
  it('the check finds a reply-text reason left in English inside a translated demo', () => {
    const r = runs.get('fr')!;
    const left = REASON_TEXTS.find((t) => t.startsWith('Postfix on the receiving side'))!;
    expect(left).toBeDefined();
    expect(englishIn(`${r.stdout}\n     ${left}\n`, 'fr').length).toBeGreaterThan(2);
  });
  it('French output puts the space before the colon (reply explanations, MX, TLS and recipient lines)', () => {
    const r = runs.get('fr')!;
    expect(r.stdout).toMatch(/^ {5}220 [^:\n]*\S : \S/m);
    expect(r.stdout).not.toMatch(/^ {5}220 [^:\n]*\S: /m);
    expect(runs.get('en')!.stdout).toMatch(/^ {5}220 Service Ready: \S/m);
    // And everywhere else outside the transcript (the MX line, TLS line, recipient lines…).
    const own = r.stdout.split('\n').filter((l) => !/^\s*(?:->|<-|~>|<~)\s/.test(l));
    expect(own.filter((l) => /[\p{L}\p{N})\]]: /u.test(l))).toEqual([]);
  });
  for (const lang of ['fr', 'vi', 'tr', 'hi'] as const) {
    it(`--lang ${lang}: no English sentence outside the transcript`, () => {
      const r = runs.get(lang)!;
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^<~ 550 5\.1\.1 /m);
      expect(englishIn(r.stdout, lang)).toEqual([]);
    });
  }
});
