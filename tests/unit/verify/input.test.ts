// Streaming input: any chunking gives the same lines, long lines are cut and reported,
// CSV files give their address column (by header, number or contents), resume files give
// the addresses they answered.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { answeredAddress, createLineExtractor, parseCsvLine, readLines, type InputLine } from '../../../src/verify/input.js';

async function lines(chunks: (string | Buffer)[], max?: number): Promise<InputLine[]> {
  const out: InputLine[] = [];
  for await (const l of readLines((async function* () { yield* chunks; })(), max)) out.push(l);
  return out;
}

function extractAll(text: string, o: Parameters<typeof createLineExtractor>[0] = {}): string[] {
  const ex = createLineExtractor(o);
  const out: string[] = [];
  text.split('\n').forEach((t, i) => {
    for (const x of ex({ text: t, line: i + 1, cut: false })) out.push(x.kind === 'bad' ? `BAD:${x.error}` : x.text);
  });
  for (const x of ex.flush()) out.push(x.kind === 'bad' ? `BAD:${x.error}` : x.text);
  return out;
}

describe('readLines', () => {
  it('LF, CRLF, a last line without newline, a BOM', async () => {
    const ls = await lines(['\ufeffa@x.test\r\nb@x.test\n', 'c@x', '.test']);
    expect(ls.map((l) => l.text)).toEqual(['a@x.test', 'b@x.test', 'c@x.test']);
    expect(ls.map((l) => l.line)).toEqual([1, 2, 3]);
  });
  it('any chunking of the bytes gives the same lines (UTF-8 split anywhere)', async () => {
    const row = fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => s.replace(/[\r\n\ufeff]/g, ''));
    await fc.assert(fc.asyncProperty(fc.array(row, { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }), async (rows, cuts) => {
      const bytes = Buffer.from(rows.map((r) => `${r}\n`).join(''), 'utf8');
      const chunks: Buffer[] = [];
      for (let i = 0, k = 0; i < bytes.length; k++) {
        const n = cuts[k % cuts.length]!;
        chunks.push(bytes.subarray(i, i + n));
        i += n;
      }
      expect((await lines(chunks)).map((l) => l.text)).toEqual(rows);
    }), { numRuns: 300 });
  });
  it('an over-long line is cut, reported once, and the next line is intact', async () => {
    const ls = await lines([`${'x'.repeat(50)}`, `${'y'.repeat(50)}\nnext@x.test\n`], 64);
    expect(ls).toEqual([{ text: 'x'.repeat(50) + 'y'.repeat(14), line: 1, cut: true }, { text: 'next@x.test', line: 2, cut: false }]);
  });
});

describe('createLineExtractor', () => {
  it('one address per line, blank lines and # comments skipped', () => {
    expect(extractAll('# list\na@x.test\n\n  Bob <b@x.test>  \n')).toEqual(['a@x.test', 'Bob <b@x.test>']);
  });
  it('CSV with a header: the e-mail column by name', () => {
    expect(extractAll('Name,E-mail,City\nBob,"b@x.test",Paris\n"Smith, Al",a@x.test,Rome')).toEqual(['b@x.test', 'a@x.test']);
    expect(extractAll('name;email\nBob;b@x.test')).toEqual(['b@x.test']);
    expect(extractAll('name\temail\nBob\tb@x.test')).toEqual(['b@x.test']);
  });
  it('CSV without a header: the first column holding an @', () => {
    expect(extractAll('Bob,b@x.test,1\nAl,a@x.test,2')).toEqual(['b@x.test', 'a@x.test']);
  });
  it('--column by name or number; a missing name is a usage error', () => {
    expect(extractAll('id,work,home\n1,w@x.test,h@x.test', { column: 'home' })).toEqual(['h@x.test']);
    expect(extractAll('1,w@x.test,h@x.test', { column: '3' })).toEqual(['h@x.test']);
    expect(() => extractAll('id,work\n1,w@x.test', { column: 'mail' })).toThrow(/no column "mail"/);
  });
  it('an empty address cell is reported, not skipped', () => {
    expect(extractAll('name,email\nBob,\nAl,a@x.test')).toEqual(['BAD:line 2 has no value in the address column', 'a@x.test']);
  });
  it('parseCsvLine: quotes, doubled quotes, empty fields', () => {
    expect(parseCsvLine('a,"b,c","d ""e""",,f', ',')).toEqual(['a', 'b,c', 'd "e"', '', 'f']);
  });
});

describe('answeredAddress (resume)', () => {
  it('JSON Lines and CSV output; unknown ones optionally not counted; broken lines ignored', () => {
    expect(answeredAddress('{"schemaVersion":1,"address":"a@x.test","verdict":"deliverable"}')).toBe('a@x.test');
    expect(answeredAddress('{"address":"a@x.test","verdict":"unknown"}', true)).toBeUndefined();
    expect(answeredAddress('{"address":"a@x.te')).toBeUndefined();
    expect(answeredAddress('address,verdict,reason')).toBeUndefined();
    expect(answeredAddress('b@x.test,undeliverable,userunknown,false')).toBe('b@x.test');
    expect(answeredAddress("'=x@x.test,unknown", true)).toBeUndefined();
    expect(answeredAddress("'=x@x.test,deliverable")).toBe('=x@x.test');
  });
});
