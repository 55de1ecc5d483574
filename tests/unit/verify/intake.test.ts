// Intake of bulk lists (issue 11 items 10-13): encodings by BOM (UTF-8, UTF-16 LE/BE) and
// undecodable bytes refused per line; CR, LF and CRLF line ends; an RFC 4180 CSV reader
// (quoted fields across lines, one-column files with a header, several address columns);
// reasons and line numbers of bad lines; CSV output that a spreadsheet cannot run.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createLineExtractor, parseCsvRecord, readLines, sniffEncoding, type InputLine } from '../../../src/verify/input.js';
import { csvRow } from '../../../src/verify/csv.js';
import { answeredAddress } from '../../../src/verify/input.js';
import type { VerifyResult } from '../../../src/verify/verdict.js';

async function lines(chunks: (string | Buffer)[]): Promise<InputLine[]> {
  const out: InputLine[] = [];
  for await (const l of readLines((async function* () { yield* chunks; })())) out.push(l);
  return out;
}

function extract(text: string, o: Parameters<typeof createLineExtractor>[0] = {}): string[] {
  const ex = createLineExtractor(o);
  const out: string[] = [];
  text.split('\n').forEach((t, i) => {
    for (const x of ex({ text: t, line: i + 1, cut: false })) out.push(x.kind === 'bad' ? `BAD ${x.line}: ${x.error}` : `${x.line}: ${x.text}`);
  });
  for (const x of ex.flush()) out.push(x.kind === 'bad' ? `BAD ${x.line}: ${x.error}` : `${x.line}: ${x.text}`);
  return out;
}

const utf16 = (s: string, be = false, bom = true): Buffer => {
  const le = Buffer.from(`${bom ? '\ufeff' : ''}${s}`, 'utf16le');
  return be ? le.swap16() : le;
};

describe('encodings', () => {
  it('UTF-16 LE and BE with a BOM, and LE without one, read as the same lines', async () => {
    const text = 'a@x.test\r\nb@x.test\r\nçé@x.test\r\n';
    for (const bytes of [utf16(text), utf16(text, true), utf16(text, false, false)]) {
      expect((await lines([bytes])).map((l) => [l.text, l.error])).toEqual([['a@x.test', undefined], ['b@x.test', undefined], ['çé@x.test', undefined]]);
    }
  });
  it('any chunking of UTF-16 gives the same lines', async () => {
    const bytes = utf16('first@x.test\nsecond@x.test\nthird@x.test\n');
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 9 }), async (n) => {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += n) chunks.push(bytes.subarray(i, i + n));
      expect((await lines(chunks)).map((l) => l.text)).toEqual(['first@x.test', 'second@x.test', 'third@x.test']);
    }), { seed: 11, numRuns: 30 });
  });
  it('Latin-1 bytes are refused on their line with a clear error; other lines are read', async () => {
    const ls = await lines([Buffer.concat([Buffer.from('ok@x.test\n'), Buffer.from('jos\xe9@x.test\n', 'latin1'), Buffer.from('next@x.test\n')])]);
    expect(ls.map((l) => l.text.includes('\ufffd') ? 'BAD' : l.text)).toEqual(['ok@x.test', 'BAD', 'next@x.test']);
    expect(ls[1]!.error).toMatch(/line 2 has bytes that are not UTF-8/);
    expect(ls[0]!.error).toBeUndefined();
    const ex = createLineExtractor();
    expect(ex(ls[1]!)).toEqual([{ kind: 'bad', text: expect.any(String), line: 2, error: expect.stringMatching(/not UTF-8/) }]);
  });
  it('a UTF-8 BOM is dropped; sniffing does not take plain ASCII for UTF-16', () => {
    expect(sniffEncoding(Buffer.from('\ufeffa@x.test'))).toBe('utf-8');
    expect(sniffEncoding(Buffer.from('a@x.test\nb@x.test\nc@x.test\n'))).toBe('utf-8');
  });
});

describe('line ends', () => {
  it('CR-only, LF and CRLF files (and a CR split from its LF across chunks) give the same lines', async () => {
    const want = ['a@x.test', 'b@x.test', 'c@x.test'];
    expect((await lines(['a@x.test\rb@x.test\rc@x.test\r'])).map((l) => l.text)).toEqual(want);
    expect((await lines(['a@x.test\r', '\nb@x.test\r\nc@x.test'])).map((l) => l.text)).toEqual(want);
    expect((await lines(['a@x.test\n\rb@x.test\rc@x.test'])).map((l) => l.text)).toEqual(['a@x.test', '', 'b@x.test', 'c@x.test']);
    expect((await lines([Buffer.from('a@x.test\rb@x.test\rc@x.test')])).map((l) => l.line)).toEqual([1, 2, 3]);
  });
});

describe('CSV (RFC 4180)', () => {
  it('a one-column file with an "email" header: the header is not an address', () => {
    expect(extract('email\na@x.test\nb@x.test')).toEqual(['2: a@x.test', '3: b@x.test']);
    expect(extract('"Email Address"\na@x.test')).toEqual(['2: a@x.test']);
  });
  it('"addr # note" in a plain list is the address', () => {
    expect(extract('a@x.test # the boss\nb@x.test\t# old')).toEqual(['1: a@x.test', '2: b@x.test']);
  });
  it('a header-less first row with several addresses: every one is taken, none dropped', () => {
    expect(extract('a@x.test, b@x.test\nc@x.test, d@x.test')).toEqual(['1: a@x.test', '1: b@x.test', '2: c@x.test', '2: d@x.test']);
  });
  it('quoted fields across lines, doubled quotes; the record keeps its first line number', () => {
    expect(extract('name,email,note\n"Smith,\nAl",a@x.test,"said ""hi""\nthen left"\nBob,b@x.test,')).toEqual(['2: a@x.test', '5: b@x.test']);
    expect(parseCsvRecord('a,"b\nc",d', ',')).toEqual({ fields: ['a', 'b\nc', 'd'], open: false });
    expect(parseCsvRecord('a,"b', ',')).toEqual({ fields: ['a', 'b'], open: true });
  });
  it('a quote never closed is reported at the end, with its line', () => {
    expect(extract('name,email\nBob,"b@x.test\nAl,a@x.test')).toEqual(['BAD 2: the CSV record from line 2 ends inside a quoted field (a missing closing ")']);
  });
  it('property: any table written with RFC 4180 quoting reads back field for field', () => {
    const cell = fc.string({ maxLength: 8 }).map((s) => s.replace(/[\r\ufeff]/g, '').trim());
    fc.assert(fc.property(fc.array(cell, { minLength: 1, maxLength: 5 }), (cells) => {
      const text = cells.map((c) => /[",\n]/.test(c) || c === '' ? `"${c.replace(/"/g, '""')}"` : c).join(',');
      expect(parseCsvRecord(text, ',')).toEqual({ fields: cells, open: false });
    }), { seed: 11, numRuns: 300 });
  });
});

describe('bad input keeps its reason and line', () => {
  it('an empty address cell and an over-long line name their line', () => {
    expect(extract('name,email\nBob,\nAl,a@x.test')).toEqual(['BAD 2: line 2 has no value in the address column', '3: a@x.test']);
    const ex = createLineExtractor();
    expect(ex({ text: 'x'.repeat(100), line: 7, cut: true })).toEqual([{ kind: 'bad', text: expect.any(String), line: 7, error: 'line 7 is longer than 8192 characters' }]);
  });
});

describe('CSV output: no formula runs in a spreadsheet (OWASP)', () => {
  const base: VerifyResult = {
    schemaVersion: 1, address: 'x', verdict: 'undeliverable', reason: 'syntaxerror', catchAll: null, mx: null, reply: null,
    flags: { role: false, disposable: false, free: false }, message: 'not a valid address', temporary: false, stage: 'syntax',
  };
  it('cells from the input or a peer starting with = + - @ tab CR get a leading quote; resume reads them back', () => {
    for (const bad of ['=HYPERLINK("http://x")', '+1+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) {
      const row = csvRow({ ...base, address: bad, message: bad });
      const first = parseCsvRecord(row.replace(/\r\n$/, ''), ',').fields;
      expect(first[0]!.startsWith(`'`)).toBe(true);
      expect(first[12]!.startsWith(`'`)).toBe(true);
      if (bad.trim() === bad) expect(answeredAddress(row.replace(/\r\n$/, ''))).toBe(bad);
    }
    expect(csvRow({ ...base, address: 'bob@x.test' }).startsWith('bob@x.test,')).toBe(true);
  });
});
