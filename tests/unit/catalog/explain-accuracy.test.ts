// The catalog's facts, checked against the RFCs and the IANA registry (issue 15 item 3): the
// class shown agrees with the code, replies are listed only at the stages RFC 5321 allows,
// RFC links keep their section anchors, sources are the registry's, uncatalogued codes are
// explained by their class; and a string shown in English under another language is named.
import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { ENHANCED, LABELS, LANGS, REPLY_CODES, type Lang } from '../../../src/catalog/data.js';
import { explainCode, explainEnhanced, explainInput, explainInputs, explainReply, splitPastedReplies } from '../../../src/catalog/explain.js';
import { label } from '../../../src/catalog/i18n.js';
import { explanationJson, repliesJson } from '../../../src/catalog/explain-json.js';
import { renderExplanation } from '../../../src/report/explain-human.js';
import { UsageError } from '../../../src/errors.js';

const plain = new Chalk({ level: 0 });
const ro = (lang: Lang) => ({ chalk: plain, width: 80, lang });
const OTHER_LANGS = LANGS.filter((l) => l !== 'en');

describe('the class shown is the code\'s own', () => {
  it('refuses a typed enhanced code whose class digit contradicts it, naming the registered forms', () => {
    expect(() => explainInput('2.7.1', 'en')).toThrow(UsageError);
    expect(() => explainInput('2.7.1', 'en')).toThrow(/4\.7\.1.*5\.7\.1/);
    expect(() => explainInput('5.1.5', 'en')).toThrow(/2\.1\.5/);
    expect(() => explainInput('4.1.5', 'en')).toThrow(UsageError);
    expect(() => explainInput('2.1.1', 'en')).toThrow(UsageError);
  });
  it('explains such a code in a server\'s reply, with a note that the class digit contradicts it', () => {
    for (const lang of LANGS) {
      const x = explainEnhanced('2.7.1', lang, { lenient: true });
      expect(x.classNote).toBe(label(lang, 'classNote.contradiction', { code: '2.7.1', generic: 'X.7.1', classes: '4, 5', cls: '2', classTitle: x.classTitle }));
      expect(renderExplanation({ kind: 'enhanced', input: '2.7.1', lang, enhanced: x }, ro(lang))).toContain(label(lang, 'classNote'));
    }
  });
  it('accepts the 4-for-5 variants servers really send (450 4.1.1), with a note', () => {
    const x = explainInput('4.1.1', 'en').enhanced!;
    expect(x.classTitle).toBe('Persistent Transient Failure');
    expect(x.classNote).toMatch(/4\.1\.1/);
    expect(explainInput('5.1.1', 'en').enhanced!.classNote).toBeUndefined();
    expect(explainInput('2.1.5', 'en').enhanced!.classNote).toBeUndefined();
  });
  it('never shows "Success" above a refusal or a failure class above a success code', () => {
    for (const e of ENHANCED.codes) {
      if (!e.classes) continue;
      const [, s, d] = e.code.split('.');
      for (const cls of ['2', '4', '5']) {
        const code = `${cls}.${s}.${d}`;
        const successCode = e.classes.every((c) => c === '2');
        if (e.classes.includes(cls)) expect(() => explainInput(code, 'en'), code).not.toThrow();
        else if (cls === '2' || successCode) expect(() => explainInput(code, 'en'), code).toThrow(UsageError);
      }
    }
  });
});

describe('stages as RFC 5321 has them', () => {
  const byCode = new Map(REPLY_CODES.map((e) => [e.code, e]));
  it('only 220, 421, 521 (RFC 7504) and 554 may come as the greeting (RFC 5321 §3.1, §4.2)', () => {
    const atBanner = REPLY_CODES.filter((e) => e.stages.includes('banner')).map((e) => e.code).sort();
    expect(atBanner).toEqual(['220', '421', '521', '554']);
    expect(byCode.get('550')!.stageNotes?.banner).toBeUndefined();
    expect(explainInput('550', 'en').when).toMatch(/220, 421 or 554/);
  });
  it('DATA is answered by 354 (or a refusal); 250 comes after the final dot (RFC 5321 §4.3.2)', () => {
    expect(byCode.get('250')!.stages).not.toContain('data');
    expect(byCode.get('250')!.stages).toContain('dot');
    expect(byCode.get('354')!.stages).toEqual(['data']);
    // §4.3.2: DATA itself gets 354, 503 or 554; the other codes come after the data.
    const atData = REPLY_CODES.filter((e) => e.stages.includes('data')).map((e) => e.code).sort();
    expect(atData).toEqual(['354', '503', '554']);
    for (const c of ['250', '450', '451', '452', '550', '552', '554']) expect(byCode.get(c)!.stages, c).toContain('dot');
    expect(explainCode('554', 'en', { stage: 'data' }).stageNote).toMatch(/no valid recipients/);
    expect(explainCode('554', 'en', { stage: 'dot' }).stageNote).toMatch(/final dot/);
    for (const lang of LANGS) expect(label(lang, 'stage.dot')).not.toBe(label(lang, 'stage.data'));
  });
});

describe('sources and links', () => {
  const sources = [...REPLY_CODES.map((e) => [e.code, e.source] as const), ...ENHANCED.codes.map((e) => [e.code, e.source] as const)];
  it('every RFC link keeps its section anchor, single-digit sections included', () => {
    let anchored = 0;
    for (const [code, source] of sources) {
      const m = /^RFC ([0-9]+)[^§;]*(?:§\s*([0-9]+(?:\.[0-9]+)*))?/.exec(source);
      if (!m) continue;
      const x = /^[0-9]{3}$/.test(code) ? explainCode(code, 'en') : explainEnhanced(code, 'en');
      expect(x.learnMore, code).toBe(`https://www.rfc-editor.org/rfc/rfc${m[1]}${m[2] ? `#section-${m[2]}` : ''}`);
      if (m[2]) anchored++;
    }
    expect(anchored).toBeGreaterThan(80);
    expect(explainInput('535', 'en').learnMore).toBe('https://www.rfc-editor.org/rfc/rfc4954#section-6');
  });
  it('cites the IANA registry\'s own reference for X.7.28 and Microsoft\'s real text for 5.4.4', () => {
    const flood = explainInput('5.7.28', 'en').enhanced!;
    expect(flood.source).toMatch(/^draft-levine-mailbomb-header/);
    expect(flood.learnMore).toBe('https://datatracker.ietf.org/doc/draft-levine-mailbomb-header/');
    const route = explainInput('5.4.4', 'en').enhanced!;
    expect(route.when).toContain('SMTPSEND.DNS.NonExistentDomain');
    expect(route.when).not.toContain('HostUnknown');
  });
});

describe('codes the catalog lacks are explained by their class', () => {
  it('571 and 5.7.509 explain (exit 0), marked generic, in every language', () => {
    for (const lang of LANGS) {
      const x = explainInput('571', lang);
      expect(x.generic).toBe(true);
      expect(x.className).toBe(label(lang, 'class.5xx'));
      expect(x.name).toBe(label(lang, 'generic.name'));
      expect(x.name).not.toBe(x.className);
      const e = explainInput('5.7.509', lang).enhanced!;
      expect(e.generic).toBe(true);
      expect(e.subjectTitle).toBeTruthy();
      expect(e.title).toContain('509');
    }
  });
  it('a pasted 571 reply does not repeat the class as its name', () => {
    const x = explainReply({ code: 571, lines: ['Delivery not authorized'], text: 'Delivery not authorized' }, 'en');
    const text = renderExplanation(x, ro('en'));
    expect(text).not.toContain('5xx Permanent Negative — 5xx Permanent Negative');
    expect(text).toContain(`571 ${label('en', 'generic.name')} — 5xx Permanent Negative`);
  });
});

describe('a pasted text is read whole: log lines, wrapped lines, several replies', () => {
  it('a mail-log line ("host … said: 550-5.1.1 …") is explained as the reply it carries, at its stage', () => {
    for (const line of [
      'host mx.example.com[192.0.2.1] said: 550-5.1.1 The email account that you tried to reach does not exist (in reply to RCPT TO command)',
      'SMTP error from remote mail server after RCPT TO:<bob@example.org>: 550 5.1.1 No such user here',
    ]) {
      const x = explainInput(line, 'en');
      expect(x).toMatchObject({ kind: 'reply', code: '550', reply: { code: 550, enhanced: '5.1.1' } });
      expect(x.reason?.name).toBe('userunknown');
      expect(x.reply!.lines.join(' ')).not.toMatch(/said:|remote mail server/);
    }
    // A whole multi-line reply on one log line keeps all its lines.
    const one = explainInput('host x[192.0.2.1] said: 550-5.7.26 This mail has been blocked because 550-5.7.26 the sender is 550 5.7.26 unauthenticated.', 'en');
    expect(one.reply!.lines).toHaveLength(3);
    expect(one.reason?.name).toBe('authfailure');
  });
  it('a line a mail client wrapped continues the reply', () => {
    const x = explainInput('550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown\n  in virtual mailbox table', 'en');
    expect(x.reply!.text).toContain('User unknown in virtual mailbox table');
  });
  it('two replies in one text: each explained by explainInputs, never one dropped silently', () => {
    const text = '550 5.1.1 User unknown\n452 4.2.2 Mailbox full';
    const xs = explainInputs(text, 'fr');
    expect(xs.map((x) => [x.reply!.code, x.reason!.name])).toEqual([[550, 'userunknown'], [452, 'mailboxfull']]);
    expect(() => explainInput(text, 'en')).toThrow(/2 replies/);
    const json = repliesJson(text, 'fr', xs);
    expect(json).toMatchObject({ kind: 'replies', lang: 'fr', replies: [{ code: 550 }, { code: 452 }] });
    // The continuation lines of one reply stay one reply; a new code after a final line starts the next.
    expect(splitPastedReplies('550-5.7.26 a\n550-5.7.26 b\n550 5.7.26 c')).toHaveLength(1);
    expect(splitPastedReplies('550 5.7.1 a\n550 5.7.1 b')).toHaveLength(2);
    // A session transcript's markers are not part of the reply.
    expect(splitPastedReplies('<<< 550-5.7.26 a\n<<< 550-5.7.26 b\n<<< 550 5.7.26 c')).toHaveLength(1);
    expect(splitPastedReplies('421-x\n550 y')).toHaveLength(2);
  });
});

describe('a string in English under another language is named, never silent', () => {
  type Loc = Record<string, unknown> & { stageNotes?: Record<string, string> };
  it('basic codes: every field either translated or listed in fallback', () => {
    for (const e of REPLY_CODES) {
      for (const lang of OTHER_LANGS) {
        const loc = (e.i18n?.[lang] ?? {}) as Loc;
        for (const stage of [undefined, ...Object.keys(e.stageNotes ?? {})]) {
          const x = explainCode(e.code, lang, stage ? { stage } : {});
          for (const f of ['name', 'description', 'when', 'fix', 'operatorFix'] as const) {
            if (e[f] === undefined) continue;
            const own = loc[f];
            if (own !== undefined) {
              expect(x[f], `${e.code} ${lang} ${f}`).toBe(own);
              expect(x.fallback ?? [], `${e.code} ${lang} ${f}`).not.toContain(f);
            } else {
              expect(x[f], `${e.code} ${lang} ${f}`).toBe(e[f]);
              expect(x.fallback, `${e.code} ${lang} ${f} is named as English`).toContain(f);
            }
          }
          if (stage) {
            const own = loc.stageNotes?.[stage];
            expect(x.stageNote).toBe(own ?? e.stageNotes![stage]);
            expect((x.fallback ?? []).includes('stageNote'), `${e.code} ${lang} stageNote ${stage}`).toBe(own === undefined);
          }
        }
      }
    }
  });
  it('enhanced codes: every field either translated or listed in fallback', () => {
    for (const e of ENHANCED.codes) {
      const [, s, d] = e.code.split('.');
      const code = `${e.classes?.[0] ?? '5'}.${s}.${d}`;
      for (const lang of OTHER_LANGS) {
        const loc = (e.i18n?.[lang] ?? {}) as Loc;
        const x = explainEnhanced(code, lang);
        for (const f of ['title', 'description', 'when', 'fix', 'operatorFix'] as const) {
          if (e[f] === undefined) continue;
          expect(x[f], `${code} ${lang} ${f}`).toBe(loc[f] ?? e[f]);
          expect((x.fallback ?? []).includes(f), `${code} ${lang} ${f}`).toBe(loc[f] === undefined);
        }
      }
    }
  });
  it('English never reports a fallback; a pasted reply\'s reason texts are in the language, and what is not is named', () => {
    for (const e of REPLY_CODES) expect(explainCode(e.code, 'en').fallback).toBeUndefined();
    const x = explainInput('550 5.1.1 User unknown', 'fr');
    expect(x.reason?.fallback).toBeUndefined();
    expect(x.reason?.title).toBe('Destinataire inexistant');
    expect(explainInput('550 5.1.1 User unknown', 'en').reason?.fallback).toBeUndefined();
    // A reason text with no translation is shown in English and named, on the page and in --json.
    const untranslated = { ...x, reason: { ...x.reason!, meaning: 'An English sentence.', fallback: ['meaning'] } };
    expect(renderExplanation(untranslated, ro('fr'))).toContain(label('fr', 'fallbackNote', { fields: label('fr', 'meaning') }));
    expect(explanationJson(untranslated).recognition).toMatchObject({ fallback: ['meaning'] });
    expect((explanationJson(explainInput('550 5.1.1 User unknown', 'en')).recognition as object)).not.toHaveProperty('fallback');
  });
});

describe('labels', () => {
  it('every label key exists in every language (label() would fall back to English silently)', () => {
    for (const lang of OTHER_LANGS) {
      const missing = Object.keys(LABELS.en).filter((k) => LABELS[lang][k] === undefined);
      expect(missing, lang).toEqual([]);
    }
  });
});
