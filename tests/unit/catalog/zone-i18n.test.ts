// The blocklists' answer meanings in five languages (issue 15): every text a blocklist report
// prints from data/dnsbl-zones.json (code and bit meanings, error meanings and fixes, "other
// codes", octet tables) has fr, vi, tr and hi in data/dnsbl-zones.i18n.json, in the glossary's
// terms; no key there is stale; and the catalog reads each English text back into its translation.
import { describe, expect, it } from 'vitest';
import glossaryJson from '../../../data/glossary.json' with { type: 'json' };
import zonesJson from '../../../data/dnsbl-zones.json' with { type: 'json' };
import { localize } from '../../../src/catalog/messages.js';
import { isIdentifierLabel, reloadZoneTexts, untranslatedZoneTexts, ZONE_I18N, zoneFallbacks, zoneTexts, zoneTextIn } from '../../../src/catalog/zone-text.js';
import { classifyAnswers, ZONES } from '../../../src/checks/dnsbl-zones.js';

const OTHER = ['fr', 'vi', 'tr', 'hi'] as const;
interface Rule { use: string; avoid: string[] }
interface Term { id: string; en: string; fr: Rule; vi: Rule; tr: Rule; hi: Rule }
const GLOSSARY = (glossaryJson as unknown as { terms: Term[] }).terms;
const DOUBLED = /(?<![\p{L}\p{M}\p{N}])([\p{L}\p{M}]{2,})\s+\1(?![\p{L}\p{M}\p{N}])/iu;
const TEXTS = zoneTexts();
/** Names that hold a glossary word but are names (a list's domain, Spam Eating Monkey). */
const NAMES = /\b[\w-]+\.(?:de|net|org|com)\b|Spam Eating Monkey/g;

describe('every printed zone text exists in every language', () => {
  it('walks the whole catalog (131+ texts, every zone with codes)', () => {
    expect(TEXTS.length).toBeGreaterThan(200);
    expect(new Set(TEXTS.map((x) => x.en)).size).toBeGreaterThan(131);
  });
  it('has fr, vi, tr and hi for each, written in the language (not copied)', () => {
    const missing: string[] = [];
    for (const x of TEXTS) {
      for (const l of OTHER) {
        const v = x.i18n[l];
        if (!v) missing.push(`${x.where} lacks ${l}`);
        else if (v === x.en && x.en.split(' ').length >= 3) missing.push(`${x.where} ${l} is the English text`);
        else if (DOUBLED.test(v)) missing.push(`${x.where} ${l}: doubled word`);
      }
    }
    expect(missing).toEqual([]);
  });
  it('French puts a space before ":" and ";"', () => {
    const bad = TEXTS.filter((x) => /\S[:;](?=\s)/u.test(x.i18n.fr ?? '')).map((x) => `${x.where}: ${x.i18n.fr}`);
    expect(bad).toEqual([]);
  });
  it('a sentence keeps its full stop (Hindi "।")', () => {
    const bad: string[] = [];
    for (const x of TEXTS.filter((t) => /\.$/.test(t.en))) {
      for (const l of OTHER) if (!(l === 'hi' ? /।$/u : /\.$/).test(x.i18n[l] ?? '')) bad.push(`${x.where} ${l}`);
    }
    expect(bad).toEqual([]);
  });
  for (const term of GLOSSARY) {
    it(`glossary: ${term.id}`, () => {
      const en = new RegExp(term.en, 'iu');
      const bad: string[] = [];
      for (const x of TEXTS) {
        for (const l of OTHER) {
          const v = x.i18n[l] ?? '';
          for (const w of term[l].avoid) if (v.toLowerCase().includes(w.toLowerCase())) bad.push(`${x.where} ${l}: avoid "${w}"`);
          if (en.test(x.en.replace(NAMES, '')) && !new RegExp(term[l].use, 'iu').test(v)) bad.push(`${x.where} ${l}: lacks /${term[l].use}/: ${v}`);
        }
      }
      expect(bad).toEqual([]);
    });
  }
});

describe('no stale key in data/dnsbl-zones.i18n.json', () => {
  it('every key names a zone and a code, bit, error or octet it has', () => {
    const where = new Set(TEXTS.map((x) => x.where));
    const stale: string[] = [];
    const ids = new Set((zonesJson as { zones: { id: string }[] }).zones.map((z) => z.id));
    for (const [id, z] of Object.entries(ZONE_I18N)) {
      if (!ids.has(id)) stale.push(`zone ${id}`);
      for (const k of Object.keys(z.codes ?? {})) if (!where.has(`${id} codes ${k}`)) stale.push(`${id} codes ${k}`);
      for (const k of Object.keys(z.bits ?? {})) if (!where.has(`${id} bits ${k}`)) stale.push(`${id} bits ${k}`);
      if (z.otherCodes && !where.has(`${id} otherCodes`)) stale.push(`${id} otherCodes`);
      for (const k of Object.keys(z.errors ?? {})) if (!where.has(`${id} errors ${k} meaning`)) stale.push(`${id} errors ${k}`);
      for (const part of ['third', 'fourth'] as const) for (const k of Object.keys(z.octets?.[part] ?? {})) if (!where.has(`${id} octets ${part} ${k}`)) stale.push(`${id} octets ${part} ${k}`);
    }
    expect(stale).toEqual([]);
  });
});

describe('the English texts read back into the language asked for', () => {
  it('localize() renders every zone text in every language, and leaves English alone', () => {
    for (const x of TEXTS) {
      expect(localize('en', x.en)).toBe(x.en);
      for (const l of OTHER) expect(localize(l, x.en), `${x.where} ${l}`).toBe(zoneTextIn(l, x.en));
    }
    expect(untranslatedZoneTexts('fr', TEXTS.map((x) => x.en))).toEqual([]);
  });
  it('a decoded answer of each kind renders translated: exact code, bitmask, octets, error code, unknown code', () => {
    const zone = (id: string) => ZONES.find((z) => z.id === id)!;
    const cases = [
      classifyAnswers(zone('spamhaus-zen'), ['127.0.0.4']).listed[0]!.meaning,
      classifyAnswers(zone('hostkarma'), ['127.0.0.3']).listed[0]!.meaning,
      classifyAnswers(zone('dnswl'), ['127.0.15.1']).listed[0]!.meaning,
      classifyAnswers(zone('spamhaus-zen'), ['127.255.255.254']).errors[0]!.meaning,
      classifyAnswers(zone('dronebl'), ['127.0.0.250']).listed[0]!.meaning,
      classifyAnswers(zone('spamcop'), ['127.255.255.9']).errors[0]!.meaning,
      classifyAnswers(zone('spamcop'), ['10.1.2.3']).errors[0]!.meaning,
    ];
    for (const en of cases) {
      for (const l of OTHER) {
        const out = localize(l, en);
        expect(out, `${l}: ${en}`).not.toBe(en);
        expect(out.replace(/https?:\S+|\d[\d./:]*/g, ''), `${l}: ${out}`).not.toMatch(/\b(?:the|listed|with|answer|catalog|reputation|category|trust)\b/i);
      }
    }
    // The octet table: both the label and the value are translated.
    expect(localize('fr', classifyAnswers(zone('dnswl'), ['127.0.15.1']).listed[0]!.meaning)).toBe('Inscrite (catégorie : prestataire d\'emailing, confiance : faible).');
  });
  it('a label that names a list stays; an English description is left out of other languages', () => {
    expect(isIdentifierLabel('SBL')).toBe(true);
    expect(isIdentifierLabel('PBL-ISP')).toBe(true);
    expect(isIdentifierLabel('open DNS resolver')).toBe(false);
    expect(localize('vi', '127.0.0.2 SBL')).toBe('127.0.0.2 SBL');
    expect(localize('vi', '127.0.0.3 IRC drone')).toBe('127.0.0.3');
    expect(localize('en', '127.0.0.3 IRC drone')).toBe('127.0.0.3 IRC drone');
    // A text that merely starts like an answer is not touched.
    expect(localize('vi', '127.0.0.3 something else')).toBe('127.0.0.3 something else');
  });
});

describe('a missing translation is named, never a silent switch', () => {
  it('zoneFallbacks() names the English text a result carries when --lang lacks it', () => {
    // A text only one zone has (another zone's identical text would still translate it).
    const zone = ZONES.find((z) => z.id === 'barracuda')!;
    const en = classifyAnswers(zone, ['127.0.0.2']).listed[0]!.meaning;
    expect(TEXTS.filter((x) => x.en === en)).toHaveLength(1);
    const result = [{ zone: 'b.barracudacentral.org', codes: [{ meaning: en }] }];
    expect(zoneFallbacks('fr', result)).toEqual([]);
    expect(zoneFallbacks('en', result)).toEqual([]);
    const saved = ZONE_I18N['barracuda']!.codes!['127.0.0.2']!;
    try {
      ZONE_I18N['barracuda']!.codes!['127.0.0.2'] = { vi: saved.vi!, tr: saved.tr!, hi: saved.hi! };
      reloadZoneTexts();
      expect(zoneFallbacks('fr', result)).toEqual([{ zone: 'b.barracudacentral.org', text: en }]);
      expect(zoneFallbacks('vi', result)).toEqual([]);
      expect(localize('fr', en)).toBe(en);
    } finally {
      ZONE_I18N['barracuda']!.codes!['127.0.0.2'] = saved;
      reloadZoneTexts();
    }
    expect(localize('fr', en)).toBe(saved.fr);
  });
});
