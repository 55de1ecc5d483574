// The JSON contract of `smtp-probe explain --json`: every output explainInput and
// compareCodes can produce, mapped as the CLI prints it (src/catalog/explain-json.ts), validates against
// data/schema/explanation.schema.json, and the schema refuses outputs that break the contract.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { ROOT } from '../../helpers/cli.js';
import { ENHANCED, LANGS, REPLY_CODES } from '../../../src/catalog/data.js';
import { explainInput, explainInputs } from '../../../src/catalog/explain.js';
import { compareCodes } from '../../../src/catalog/compare.js';
import { comparisonJson, explanationJson, repliesJson } from '../../../src/catalog/explain-json.js';
import type { Explanation } from '../../../src/catalog/explain.js';
import { BASIC_CODES } from './iana-registry.js';

const schema = JSON.parse(readFileSync(join(ROOT, 'data', 'schema', 'explanation.schema.json'), 'utf8')) as object;
const ajv = new Ajv2020.default({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
const validate = ajv.compile(schema);

/** What the CLI prints: the object mapped to the JSON contract, schemaVersion first. */
function asCliJson(x: object): Record<string, unknown> {
  if ((x as { kind?: string }).kind === 'comparison') return comparisonJson(x as Parameters<typeof comparisonJson>[0]);
  return explanationJson(x as Explanation);
}

function expectValid(x: object, what: string): void {
  const ok = validate(asCliJson(x));
  expect(ok ? [] : validate.errors, what).toEqual([]);
}

function expectInvalid(doc: Record<string, unknown>, what: string): void {
  expect(validate(doc), what).toBe(false);
}

describe('explain --json validates against explanation.schema.json', () => {
  it('every basic reply code in every language', () => {
    for (const lang of LANGS) for (const e of REPLY_CODES) expectValid(explainInput(e.code, lang), `${e.code} ${lang}`);
    expect(REPLY_CODES.length).toBeGreaterThanOrEqual(BASIC_CODES.length);
  });
  it('every enhanced code, as X.y.z and in each of its classes', () => {
    for (const e of ENHANCED.codes) {
      expectValid(explainInput(e.code, 'en'), e.code);
      for (const cls of e.classes ?? ['2', '4', '5']) {
        for (const lang of LANGS) expectValid(explainInput(e.code.replace('X', cls), lang), `${e.code} ${cls} ${lang}`);
      }
    }
  });
  it('pasted replies: single-line, multi-line, without enhanced code, and with an uncatalogued code', () => {
    for (const text of [
      '550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in virtual mailbox table',
      '550-5.7.26 This mail has been blocked because the sender is\n550-5.7.26 unauthenticated. Gmail requires all senders to authenticate\n550 5.7.26 with either SPF or DKIM.',
      '421 mx.example.net Service not available, closing transmission channel',
      '571 Delivery not authorized, message refused',
      '452 4.2.2 The email account that you tried to reach is over quota.',
    ]) {
      const x = explainInput(text, 'fr');
      expect(x.kind).toBe('reply');
      expectValid(x, text);
    }
    expect(explainInput('571 Delivery not authorized', 'en').generic).toBe(true);
  });
  it('a text holding several replies: kind "replies", each reply a full explanation', () => {
    const text = '550 5.1.1 User unknown\n452 4.2.2 Mailbox full';
    for (const lang of LANGS) {
      const doc = repliesJson(text, lang, explainInputs(text, lang));
      expect(validate(doc) ? [] : validate.errors, lang).toEqual([]);
      expect(validate({ ...doc, replies: [(doc.replies as unknown[])[0]] })).toBe(false);
    }
  });
  it('a bounce text without a reply code: kind "text", read by its words (and its enhanced code)', () => {
    for (const lang of LANGS) {
      const full = explainInput('Mailbox full', lang);
      expect(full).toMatchObject({ kind: 'text', reason: { name: 'mailboxfull', inferred: false } });
      expectValid(full, `Mailbox full ${lang}`);
      const enh = explainInput('5.1.1 <bob@example.com>: user unknown', lang);
      expect(enh).toMatchObject({ kind: 'text', reason: { name: 'userunknown' }, enhanced: { code: '5.1.1' } });
      expectValid(enh, `5.1.1 text ${lang}`);
    }
    const doc = explanationJson(explainInput('Mailbox full', 'en'));
    expect(doc).toMatchObject({ kind: 'text', reason: 'mailboxfull', recognition: { evidence: { decidedBy: 'pattern' } } });
    expectInvalid({ ...doc, code: 550 }, 'kind text with a code');
    const { recognition: _r, ...noRec } = doc;
    expectInvalid(noRec, 'kind text without its recognition');
  });
  it('a reply inside a sentence is that reply, from its code on; a text nothing recognises is refused', () => {
    const x = explainInput('Delivery to the following recipient failed: the server said 550 5.1.1 no such user here', 'en');
    expect(x).toMatchObject({ kind: 'reply', code: '550', reply: { code: 550, enhanced: '5.1.1' }, reason: { name: 'userunknown' } });
    expect(x.reply?.text).toBe('no such user here');
    expectValid(x, 'reply inside a sentence');
    expect(() => explainInput('lorem ipsum dolor', 'en')).toThrow(/no SMTP reply code and no known bounce wording/);
  });
  it('the comparison page for the seed pairs in every language, and pairs of other classes', () => {
    for (const [a, b] of [['220', '554'], ['220', '550'], ['250', '554'], ['220', '250'], ['220', '500'], ['354', '451'], ['450', '550']] as const) {
      for (const lang of LANGS) expectValid(compareCodes(a, b, lang), `${a}/${b} ${lang}`);
    }
  });
});

describe('the schema refuses outputs that break the contract', () => {
  const code = asCliJson(explainInput('550', 'en'));
  const enhanced = asCliJson(explainInput('5.7.26', 'en'));
  const reply = asCliJson(explainInput('550 5.1.1 User unknown', 'en'));
  const cmp = asCliJson(compareCodes('220', '554', 'en'));

  it('accepts the untouched outputs (so the refusals below are meaningful)', () => {
    for (const doc of [code, enhanced, reply, cmp]) expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  });
  it('requires schemaVersion 1', () => {
    expectInvalid({ ...code, schemaVersion: 2 }, 'schemaVersion 2');
    const { schemaVersion: _drop, ...noVersion } = code;
    expectInvalid(noVersion, 'no schemaVersion');
  });
  it('requires every explanation field, non-empty', () => {
    for (const f of ['name', 'class', 'description', 'when', 'fix', 'source', 'learnMore']) {
      const { [f]: _drop, ...rest } = code;
      expectInvalid(rest, `code without ${f}`);
    }
    expectInvalid({ ...code, fix: '' }, 'empty fix');
    const { title: _t, ...enhNoTitle } = enhanced.enhancedExplanation as Record<string, unknown>;
    expectInvalid({ ...enhanced, enhancedExplanation: enhNoTitle }, 'enhanced without title');
    const { reply: _r, ...replyWithoutReply } = reply;
    expectInvalid(replyWithoutReply, 'kind reply without the parsed reply');
  });
  it('keeps the class consistent with the first digit of the code', () => {
    expectInvalid({ ...code, class: '4xx' }, '550 as 4xx');
    expectInvalid({ ...cmp, b: { ...(cmp.b as object), class: '2xx' } }, 'comparison b 554 as 2xx');
  });
  it('refuses unknown kinds, languages and undocumented fields', () => {
    expectInvalid({ ...code, kind: 'guess' }, 'unknown kind');
    expectInvalid({ ...code, lang: 'de' }, 'unknown language');
    expectInvalid({ ...code, colour: 'red' }, 'undocumented field');
    expectInvalid({ ...cmp, verdict: 'x' }, 'undocumented comparison field');
    expectInvalid({ ...code, reason: 'nosuchreason' }, 'reason outside the vocabulary');
  });
  it('accepts the reply-text recognition fields that kind reply carries', () => {
    expect(validate({ ...reply, reason: 'userunknown', provider: 'Postfix', facts: { ips: ['192.0.2.1'] } }), JSON.stringify(validate.errors)).toBe(true);
    expect(reply).toMatchObject({ code: 550, enhanced: '5.1.1', reason: 'userunknown', recognition: { inferred: false } });
    expectInvalid({ ...reply, code: '550' }, 'code as a string');
    expectInvalid({ ...reply, reason: { name: 'userunknown' } }, 'reason as an object');
    expectInvalid({ ...reply, enhanced: { code: '5.1.1' } }, 'enhanced as an object');
  });
  it('a comparison has two codes, four or more differences and one use line per code', () => {
    expectInvalid({ ...cmp, whenToUse: [(cmp.whenToUse as string[])[0]] }, 'one use line');
    expectInvalid({ ...cmp, differences: (cmp.differences as string[]).slice(0, 2) }, 'two differences');
    const { a: _a, ...noA } = cmp;
    expectInvalid(noA, 'no a');
  });
});
