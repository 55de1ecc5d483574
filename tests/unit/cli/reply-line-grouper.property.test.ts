// `explain -` line rule (src/cli/commands/explain.ts ReplyLineGrouper): one input line is one item;
// lines are joined only when they are the continuation lines ("NNN-" … "NNN ") of one reply; a line
// carrying a whole multi-line reply is one item. Checked over arbitrary sequences of log-like lines.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplyLineGrouper, type InputReply } from '../../../src/cli/commands/explain.js';

function group(lines: string[]): InputReply[] {
  const g = new ReplyLineGrouper();
  const out: InputReply[] = [];
  lines.forEach((l, i) => out.push(...g.push(l, i + 1)));
  out.push(...g.end());
  return out;
}

const code = fc.constantFrom('250', '421', '450', '550', '554');
const line = fc.oneof(
  fc.tuple(code, fc.constantFrom('-', ' '), fc.string({ maxLength: 30 })).map(([c, s, t]) => `${c}${s}${t.replace(/[\r\n]/g, ' ')}`),
  fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ' ')),
  fc.constant(''),
  fc.tuple(code, fc.string({ maxLength: 20 })).map(([c, t]) => `Dec  6 mx postfix/smtp[1]: said: ${c}-5.7.26 ${t.replace(/[\r\n]/g, ' ')} ${c} 5.7.26 end`),
);

describe('ReplyLineGrouper', () => {
  it('loses no line, invents none, and joins only same-code continuation lines', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 60 }), (lines) => {
        const items = group(lines);
        const nonBlank = lines.filter((l) => l.trim() !== '');
        // Every non-blank line lands in exactly one item, in order.
        expect(items.flatMap((i) => i.text.split('\n'))).toEqual(nonBlank);
        for (const it of items) {
          const parts = it.text.split('\n');
          expect(lines[it.line - 1]).toBe(parts[0]);
          if (parts.length > 1) {
            const c = /^\s*([2-5][0-9][0-9])-/.exec(parts[0] as string)?.[1];
            expect(c).toBeDefined();
            for (const p of parts.slice(1)) expect(p.trimStart().startsWith(c as string)).toBe(true);
            for (const p of parts.slice(0, -1)) expect(p.trimStart().startsWith(`${c}-`)).toBe(true);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps a log line that holds a whole multi-line reply as one item, and the next line apart', () => {
    const items = group(['550-5.7.26 a 550-5.7.26 b 550 5.7.26 c', '550 5.1.1 next bounce']);
    expect(items.map((i) => i.line)).toEqual([1, 2]);
  });
  it("joins a session transcript's marked continuation lines ('<<< 550-', swaks' '<** 550-') like bare ones", () => {
    for (const mark of ['<<< ', '<** ', '<~  ', 'S: ']) {
      const items = group([`${mark}550-5.7.1 first`, `${mark}550-5.7.1 second`, `${mark}550 5.7.1 last`, `${mark}250 2.0.0 Ok`]);
      expect(items.map((i) => [i.line, i.text.split('\n').length])).toEqual([[1, 3], [4, 1]]);
    }
  });
});
