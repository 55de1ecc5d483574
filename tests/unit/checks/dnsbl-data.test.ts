// data/dnsbl-zones.json beyond what its schema says: enough live zones, no dead lists,
// unique names, texts that read as sentences, code tables that do not contradict the
// error rules, and agreement with the reference return-code table where both speak.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RETIRED_ZONES, ZONES, classifyAnswers } from '../../../src/checks/dnsbl.js';
import { ROOT } from '../../helpers/cli.js';

const DOUBLED = /(?<![\p{L}\p{N}])([\p{L}]+)\s+\1(?![\p{L}\p{N}])/iu;
const ENDS_WELL = /[.!?)"»]$/u;

function sentence(where: string, t: string | undefined): void {
  if (t === undefined) return;
  expect(t.trim(), `${where} has no surrounding whitespace`).toBe(t);
  expect(DOUBLED.exec(t)?.[0], `${where} has no doubled word`).toBeUndefined();
  expect(ENDS_WELL.test(t), `${where} ends a sentence: "…${t.slice(-30)}"`).toBe(true);
}

describe('dnsbl-zones.json', () => {
  it('has at least 40 zones, with IP, domain and allow lists', () => {
    expect(ZONES.length).toBeGreaterThanOrEqual(40);
    expect(ZONES.filter((z) => z.kind === 'ip').length).toBeGreaterThanOrEqual(25);
    expect(ZONES.filter((z) => z.kind === 'domain').length).toBeGreaterThanOrEqual(8);
    expect(ZONES.filter((z) => z.type === 'allow').map((z) => z.zone)).toContain('list.dnswl.org');
  });

  it('covers the lists the issue names', () => {
    const names = ZONES.map((z) => z.zone);
    for (const z of ['zen.spamhaus.org', 'dbl.spamhaus.org', 'b.barracudacentral.org', 'bl.spamcop.net', 'dnsbl-1.uceprotect.net', 'dnsbl-2.uceprotect.net',
      'dnsbl-3.uceprotect.net', 'psbl.surriel.com', 'bl.mailspike.net', 'z.mailspike.net', 'combined.mail.abusix.zone', 'all.spamrats.com', 'dyna.spamrats.com',
      'noptr.spamrats.com', 'spam.spamrats.com', 'dnsbl.justspam.org', 'multi.surbl.org', 'multi.uribl.com', 'list.dnswl.org', 'truncate.gbudb.net',
      'hostkarma.junkemailfilter.com', 'bl.0spam.org', 'ips.backscatterer.org', 'dnsbl.dronebl.org', 'bl.blocklist.de', 'ix.dnsbl.manitu.net',
      'bl.spameatingmonkey.net', 'db.wpbl.info', 'bl.nordspam.com', 'all.s5h.net', 'zen.dq.spamhaus.net']) {
      expect(names, z).toContain(z);
    }
  });

  it('holds no dead list, and names the dead ones only as retired', () => {
    for (const z of ZONES) expect(z.zone, z.zone).not.toMatch(/sorbs\.net$|ahbl\.org$|njabl\.org$/);
    expect(RETIRED_ZONES.map((r) => r.name)).toEqual(expect.arrayContaining(['SORBS', 'AHBL', 'NJABL']));
  });

  it('has unique ids and zone names', () => {
    expect(new Set(ZONES.map((z) => z.id)).size).toBe(ZONES.length);
    expect(new Set(ZONES.map((z) => z.zone)).size).toBe(ZONES.length);
  });

  it('writes every text as a sentence', () => {
    for (const z of ZONES) {
      sentence(`${z.zone} description`, z.description);
      sentence(`${z.zone} note`, z.note);
      sentence(`${z.zone} otherCodes`, z.otherCodes);
      for (const c of z.codes ?? []) sentence(`${z.zone} ${c.value ?? c.from}`, c.meaning);
      for (const b of z.bits ?? []) sentence(`${z.zone} bit ${b.bit}`, b.meaning);
      for (const e of z.errors ?? []) {
        sentence(`${z.zone} error ${e.value} meaning`, e.meaning);
        sentence(`${z.zone} error ${e.value} fix`, e.fix);
      }
    }
    for (const r of RETIRED_ZONES) sentence(`${r.zone} description`, r.description);
  });

  it('never lists a code that is also an error code', () => {
    for (const z of ZONES) {
      for (const c of z.codes ?? []) {
        const addr = c.value ?? c.from!;
        expect(classifyAnswers(z, [addr]).errors, `${z.zone} ${addr}`).toEqual([]);
      }
    }
  });

  it('agrees with the reference table on listed codes and refusals', () => {
    const rows = readFileSync(join(ROOT, 'fixtures', 'reference', 'dnsbl', 'dnsbl-return-codes.tsv'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'));
    let compared = 0;
    for (const [zoneName, value, kind, , , category] of rows) {
      const z = ZONES.find((x) => x.zone === zoneName);
      if (!z || kind !== 'exact' || !/^127\./.test(value!)) continue;
      const c = classifyAnswers(z, [value!]);
      if (category === 'query-error/refused') expect(c.listed, `${zoneName} ${value} is an error`).toEqual([]);
      else if (category === 'listed') expect(c.listed.length, `${zoneName} ${value} is a listing`).toBeGreaterThan(0);
      compared++;
    }
    expect(compared).toBeGreaterThan(40);
  });
});
