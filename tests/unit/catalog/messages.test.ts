// The output sentences (data/messages.json) in five languages: every key has every language
// with exactly the English placeholders, uses the glossary's terms, and every English sentence
// the core writes reads back to its own key and values (localize() depends on it).
import { describe, expect, it } from 'vitest';
import glossaryJson from '../../../data/glossary.json' with { type: 'json' };
import { LANGS, type Lang } from '../../../src/catalog/data.js';
import { identify, localize, MESSAGES, placeholders, RENDER_ONLY, say, t } from '../../../src/catalog/messages.js';

const OTHER = LANGS.filter((l) => l !== 'en') as Exclude<Lang, 'en'>[];
const KEYS = Object.keys(MESSAGES);
const DOUBLED = /(?<![\p{L}\p{M}\p{N}])([\p{L}\p{M}]{2,})\s+\1(?![\p{L}\p{M}\p{N}])/iu;

interface Rule { use: string; avoid: string[] }
interface Term { id: string; en: string; fr: Rule; vi: Rule; tr: Rule; hi: Rule }
const GLOSSARY = (glossaryJson as unknown as { terms: Term[] }).terms;

describe('every message key exists in every language', () => {
  it('has the probe, verify, auth, blocklist and demo sentences', () => {
    expect(KEYS.length).toBeGreaterThan(100);
    for (const area of ['verdict.', 'outcome.', 'probe.', 'demo.']) expect(KEYS.some((k) => k.startsWith(area)), area).toBe(true);
  });
  for (const key of KEYS) {
    it(key, () => {
      const e = MESSAGES[key]!;
      const en = [...placeholders(e.en)].sort();
      for (const lang of OTHER) {
        expect(typeof e[lang], `${key} lacks ${lang}`).toBe('string');
        expect(e[lang].trim(), `${key} ${lang} is empty`).not.toBe('');
        expect([...placeholders(e[lang])].sort(), `${key} ${lang}: placeholders differ from English`).toEqual(en);
        // A sentence (three words or more) must be written in the language, not copied.
        if ((e.en.replace(/\{\w+\}/g, '').match(/\b[a-z]{2,}\b/g) ?? []).length >= 3) expect(e[lang], `${key} ${lang} is the English text`).not.toBe(e.en);
      }
      for (const lang of LANGS) expect(DOUBLED.exec(e[lang])?.[0], `${key} ${lang}: doubled word`).toBeUndefined();
      // A template needs text of its own: one made of placeholders only would read any text.
      expect(e.en.replace(/\{\w+\}/g, '').trim(), `${key}: nothing of its own`).not.toBe('');
      // Two placeholders side by side cannot be told apart when the sentence is read back.
      expect(/\}\{/.test(e.en), `${key}: adjacent placeholders`).toBe(false);
    });
  }
});

describe('the glossary holds in the output sentences', () => {
  for (const term of GLOSSARY) {
    it(term.id, () => {
      const en = new RegExp(term.en, 'iu');
      const bad: string[] = [];
      for (const key of KEYS) {
        const e = MESSAGES[key]!;
        for (const lang of OTHER) {
          const rule = term[lang];
          // Command names and flags ("smtp-probe blocklist", "--dkim-selector") are not the term.
          for (const w of rule.avoid) if (e[lang].toLowerCase().includes(w.toLowerCase())) bad.push(`${key} ${lang}: avoid "${w}"`);
          if (en.test(e.en.replace(/smtp-probe [a-z]+|--[a-z-]+|\{\w+\}/g, '')) && !new RegExp(rule.use, 'iu').test(e[lang])) bad.push(`${key} ${lang}: lacks /${rule.use}/ for "${term.id}": ${e[lang]}`);
        }
      }
      expect(bad).toEqual([]);
    });
  }
});

describe('an English sentence reads back to its key and values', () => {
  // Distinct values that cannot be mistaken for template words.
  const sample = (key: string): Record<string, string> => {
    const params: Record<string, string> = {};
    placeholders(MESSAGES[key]!.en).forEach((n, i) => { params[n] = `Q${i}z${key.length}`; });
    return params;
  };
  for (const key of KEYS.filter((k) => !RENDER_ONLY.test(k))) {
    it(key, () => {
      const params = sample(key);
      const text = say(key, params);
      const m = identify(text);
      expect(m?.key, `"${text}" reads as another key`).toBe(key);
      expect(m?.params).toEqual(params);
      for (const lang of OTHER) expect(localize(lang, text)).toBe(t(lang, key, params));
    });
  }

  it('nested sentences are localised in turn, values are kept', () => {
    const inner = say('verdict.what.sender');
    const line = say('verdict.rejected', { host: 'mx.example.org', whatMsg: inner, atMsg: say('verdict.at', { tag: '550 5.7.1', hostPort: 'mx.example.org[192.0.2.1]:25' }), reasonMsg: say('verdict.reason', { reason: 'blocked' }) });
    const fr = localize('fr', line);
    expect(fr).toContain("l'expéditeur");
    expect(fr).toContain('sur mx.example.org[192.0.2.1]:25');
    expect(fr).toContain('raison blocked');
    expect(fr).not.toMatch(/\bthe sender\b|\bon mx\b/);
  });

  it("the renderers' own words are never read back (a result word stays a value)", () => {
    expect(identify('fail')).toBeUndefined();
    expect(localize('fr', 'fail')).toBe('fail');
  });

  it('a text that is no catalog sentence stays as it is', () => {
    for (const s of ['connect ECONNREFUSED 127.0.0.1:25', '', 'whatever the server said']) expect(localize('fr', s)).toBe(s);
  });

  it('sentences joined with "; " are localised one by one', () => {
    const joined = [say('verdict.cause.ip-unknown'), say('probe.checks.ip-see-above')].join('; ');
    const vi = localize('vi', joined);
    expect(vi).toBe(`${t('vi', 'verdict.cause.ip-unknown')}; ${t('vi', 'probe.checks.ip-see-above')}`);
  });
});
