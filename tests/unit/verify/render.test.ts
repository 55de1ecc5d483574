// The renderers of verify: the single-address block, the bulk line, the summary and the
// progress line (no colour at level 0, server text made printable), and CSV rows.
import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { renderVerifyDetail, renderVerifyLine, renderVerifyProgress, renderVerifySummary } from '../../../src/report/verify-human.js';
import { csvHeader, csvRow } from '../../../src/verify/csv.js';
import { decideRcpt, decideSyntax } from '../../../src/verify/verdict.js';
import { resultOf } from '../../../src/verify/run-verify.js';

const chalk = new Chalk({ level: 0 });
const o = { chalk, width: 80 };
const reply = (code: number, text: string, enhanced?: string) => ({ code, text, lines: [text], ...(enhanced ? { enhanced } : {}) });
const unknownUser = resultOf('bob@example.com', undefined, decideRcpt(reply(550, 'User unknown\u001b[2J', '5.1.1'), false, 'mx.example.com'), { role: false, disposable: false, free: true });

describe('verify renderers', () => {
  it('the single-address block: verdict, why, the server\'s words (printable), catch-all, flags', () => {
    const s = renderVerifyDetail(unknownUser, o);
    expect(s).toContain('bob@example.com: undeliverable (userunknown)');
    expect(s).toContain('mx.example.com said: 550 5.1.1 User unknown?[2J');
    expect(s).not.toContain('\u001b');
    expect(s).toContain('catch-all: no');
    expect(s).toContain('flags: free mail provider');
  });
  it('the bulk line, and the quiet form', () => {
    expect(renderVerifyLine(unknownUser, o)).toBe('undeliverable bob@example.com (userunknown, free)  mx.example.com: 550 5.1.1 User unknown?[2J\n');
    expect(renderVerifyLine(unknownUser, { ...o, quiet: true })).toBe('undeliverable bob@example.com (userunknown, free)\n');
  });
  it('colour only when the Chalk has a level', () => {
    expect(renderVerifyLine(unknownUser, { chalk: new Chalk({ level: 1 }), width: 80 })).toContain('\u001b[31m');
  });
  it('the summary names counts, repeats, connections and what was left unanswered', () => {
    const s = renderVerifySummary({ results: 3, verdicts: { deliverable: 1, undeliverable: 1, risky: 0, unknown: 1 }, duplicates: 2, resumed: 0, connections: 1, transactions: 1, ms: 1500, pending: 4, interrupted: true, dedupeFull: false }, o);
    expect(s).toMatch(/^interrupted: 3 addresses answered in 1\.5 s/);
    expect(s).toContain('2 repeated addresses skipped; 1 SMTP connection, 1 transaction');
    expect(s).toContain('4 addresses were read but not answered; run again with --resume');
  });
  it('the progress line: done/total, rate, ETA, counts; cut to the width', () => {
    const p = renderVerifyProgress({ done: 500, total: 1000, verdicts: { deliverable: 400, undeliverable: 50, risky: 30, unknown: 20 }, ms: 10_000 }, 200);
    expect(p).toBe('verify: 500/1,000 (50%) · 50/s · ETA 10 s · 400 ok, 50 bad, 30 risky, 20 unknown');
    expect(renderVerifyProgress({ done: 1, verdicts: { deliverable: 1, undeliverable: 0, risky: 0, unknown: 0 }, ms: 100 }, 20)).toHaveLength(19);
  });
  it('CSV: a header and quoted rows; text that would be a formula is defused', () => {
    expect(csvHeader()).toBe('address,verdict,reason,catch_all,mx,code,enhanced,text,role,disposable,free,temporary,message,line\r\n');
    const row = csvRow(resultOf('a@x.test', undefined, decideRcpt(reply(550, '=HYPERLINK("x"), "quoted"'), null, 'mx'), { role: false, disposable: false, free: false }));
    expect(row).toContain(',"\'=HYPERLINK(""x""), ""quoted""",');
    const syn = csvRow(resultOf('+bad', undefined, decideSyntax('no @'), { role: false, disposable: false, free: false }));
    expect(syn.startsWith("'+bad,undeliverable,syntaxerror,,,,,,")).toBe(true);
  });
});
