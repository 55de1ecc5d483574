import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MAX_LINE_BYTES, MAX_REPLY_BYTES, MAX_REPLY_LINES, ReplyReader, extractEnhanced, parsePastedReply, printable,
  type ReaderEvent,
} from '../../../src/smtp/reply-parser.js';

function feedAll(chunks: (string | Buffer)[]): ReaderEvent[] {
  const r = new ReplyReader();
  return chunks.flatMap((c) => r.feed(c));
}

describe('ReplyReader', () => {
  it('parses a single-line reply with an enhanced code', () => {
    const [ev] = feedAll(['550 5.1.1 <bob@example.com>: User unknown\r\n']);
    expect(ev).toEqual({ type: 'reply', reply: { code: 550, enhanced: '5.1.1', lines: ['<bob@example.com>: User unknown'], text: '<bob@example.com>: User unknown' } });
  });

  it('assembles multi-line replies and strips the repeated enhanced code', () => {
    const evs = feedAll(['250-mx.example.com Hello\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 STARTTLS\r\n']);
    expect(evs).toHaveLength(1);
    const r = evs[0]!.type === 'reply' ? evs[0]!.reply : undefined;
    expect(r?.lines).toEqual(['mx.example.com Hello', 'PIPELINING', 'SIZE 1000', 'STARTTLS']);
    const g = feedAll(['550-5.7.26 This mail has been blocked\r\n550 5.7.26 https://support.google.com/x\r\n'])[0];
    expect(g?.type === 'reply' && g.reply.lines).toEqual(['This mail has been blocked', 'https://support.google.com/x']);
  });

  it('keeps an enhanced code only when its class matches the reply', () => {
    expect(extractEnhanced(550, '4.7.1 later')).toBeUndefined();
    expect(extractEnhanced(451, '4.7.1 later')).toBe('4.7.1');
    expect(extractEnhanced(250, '2.1.5 Ok')).toBe('2.1.5');
    expect(extractEnhanced(250, '2.1.5Ok')).toBeUndefined();
    const [ev] = feedAll(['550 4.7.1 mixed\r\n']);
    expect(ev?.type === 'reply' && ev.reply.enhanced).toBe(undefined);
  });

  it('accepts bare LF and a code with no text', () => {
    const evs = feedAll(['220\n', '250 ok\n']);
    expect(evs.map((e) => e.type === 'reply' && e.reply.code)).toEqual([220, 250]);
  });

  it('reports a non-SMTP line as a protocol error and stays failed', () => {
    const r = new ReplyReader();
    const evs = r.feed('HTTP/1.1 400 Bad Request\r\n');
    expect(evs[0]).toMatchObject({ type: 'error', kind: 'protocol', line: 'HTTP/1.1 400 Bad Request' });
    expect(r.feed('250 ok\r\n')).toEqual([]);
  });

  it('ends an endless continuation with a limit error', () => {
    const r = new ReplyReader();
    let ev: ReaderEvent | undefined;
    for (let i = 0; i < MAX_REPLY_LINES + 5 && !ev; i++) ev = r.feed('250-more\r\n')[0];
    expect(ev).toMatchObject({ type: 'error', kind: 'limit' });
  });

  it('ends a 1 MB line with a limit error without buffering it', () => {
    const r = new ReplyReader();
    const evs: ReaderEvent[] = [];
    evs.push(...r.feed('220 '));
    for (let i = 0; i < 16 && evs.length === 0; i++) evs.push(...r.feed(Buffer.alloc(64 * 1024, 0x41)));
    expect(evs[0]).toMatchObject({ type: 'error', kind: 'limit' });
  });

  it('cuts an over-long but finished line and marks the reply malformed', () => {
    const long = 'x'.repeat(MAX_LINE_BYTES * 2);
    const [ev] = feedAll([`554 ${long}\r\n`]);
    expect(ev?.type).toBe('reply');
    if (ev?.type === 'reply') {
      expect(ev.reply.malformed).toBe(true);
      expect(ev.reply.text.length).toBeLessThanOrEqual(MAX_LINE_BYTES);
    }
  });

  it('makes control and escape bytes printable', () => {
    const [ev] = feedAll(['220 evil \u001b[31mred\u001b[0m \u0007bell \u009b\r\n']);
    expect(ev?.type === 'reply' && ev.reply.text).toBe('evil ?[31mred?[0m ?bell ?');
    expect(printable('a\tb\u0000c')).toBe('a b?c');
  });

  it('decodes UTF-8 split across chunks', () => {
    const bytes = Buffer.from('550 utilisateur inconnu — boîte\r\n', 'utf8');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    const [ev] = feedAll(chunks);
    expect(ev?.type === 'reply' && ev.reply.text).toBe('utilisateur inconnu — boîte');
  });

  it('property: any chunking of valid input gives the same replies', () => {
    const line = fc.tuple(fc.constantFrom(220, 250, 421, 451, 550, 554), fc.stringMatching(/^[ -~]{0,40}$/));
    const reply = fc.array(line, { minLength: 1, maxLength: 5 }).map((ls) => {
      const code = ls[0]![0];
      return ls.map(([, t], i) => `${code}${i === ls.length - 1 ? ' ' : '-'}${t}\r\n`).join('');
    });
    fc.assert(
      fc.property(fc.array(reply, { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1 }), (replies, cuts) => {
        const whole = replies.join('');
        const once = feedAll([whole]);
        const chunks: string[] = [];
        let pos = 0;
        let i = 0;
        while (pos < whole.length) {
          const n = cuts[i++ % cuts.length]!;
          chunks.push(whole.slice(pos, pos + n));
          pos += n;
        }
        expect(feedAll(chunks)).toEqual(once);
        expect(once).toHaveLength(replies.length);
      }),
    );
  });

  it('property: arbitrary bytes never throw and never exceed the caps', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 20 }), (chunks) => {
        const r = new ReplyReader();
        for (const c of chunks) {
          for (const ev of r.feed(Buffer.from(c))) {
            if (ev.type === 'reply') {
              expect(ev.reply.lines.length).toBeLessThanOrEqual(MAX_REPLY_LINES);
              expect(ev.reply.text.length).toBeLessThanOrEqual(MAX_REPLY_BYTES);
              expect(ev.reply.text).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/);
            }
          }
        }
      }),
    );
  });
});

describe('parsePastedReply', () => {
  it('parses a pasted multi-line reply, even without a final line', () => {
    expect(parsePastedReply('550-5.1.1 The email account does not exist.\n550-5.1.1 more')).toMatchObject({ code: 550, enhanced: '5.1.1' });
    expect(parsePastedReply('  451 4.7.1 Greylisted  ')).toMatchObject({ code: 451, enhanced: '4.7.1', text: 'Greylisted' });
    expect(parsePastedReply('User unknown')).toBeUndefined();
  });
});

describe('EHLO extensions', () => {
  it('reads keywords line by line, the old AUTH= form included, and ignores the greeting', async () => {
    const { parseEhlo } = await import('../../../src/smtp/ehlo.js');
    const ext = parseEhlo({ code: 250, lines: ['mx.example.com Hello STARTTLS friend', 'PIPELINING', 'SIZE 35882577', 'AUTH LOGIN PLAIN', 'AUTH=LOGIN XOAUTH2', 'STARTTLS', '-- junk --'], text: '' });
    expect(ext).toMatchObject({ pipelining: true, starttls: true, size: 35882577, greeting: 'mx.example.com Hello STARTTLS friend' });
    expect(ext.auth).toEqual(['LOGIN', 'PLAIN', 'XOAUTH2']);
    expect(Object.keys(ext.keywords)).toEqual(['PIPELINING', 'SIZE', 'AUTH', 'STARTTLS']);
    // "STARTTLS" in the greeting line is text, not an offer.
    expect(parseEhlo({ code: 250, lines: ['mx Hello, we love STARTTLS', 'PIPELINING'], text: '' }).starttls).toBe(false);
  });
});

describe('malformed multi-line replies are flagged and still shown (issue 10 item 5)', () => {
  it('a different code on a continuation line: malformed, untrusted, every line kept', () => {
    const evs = feedAll(['250-mx.test\r\n220-stray\r\n250 PIPELINING\r\n']);
    expect(evs).toHaveLength(1);
    const ev = evs[0];
    if (ev?.type !== 'reply') throw new Error('expected a reply');
    expect(ev.reply).toMatchObject({ code: 250, malformed: true, untrusted: true, lines: ['mx.test', 'stray', 'PIPELINING'] });
    expect(ev.reply.problem).toMatch(/line 2 carried code 220 instead of 250/);
  });
  it('no space or hyphen after the code: the line ends the reply, flagged and untrusted', () => {
    for (const raw of ['250_ok\r\n', '250ok\r\n', '250-first\r\n250=last\r\n']) {
      const evs = feedAll([raw]);
      expect(evs, raw).toHaveLength(1);
      const ev = evs[0];
      if (ev?.type !== 'reply') throw new Error(`expected a reply for ${raw}`);
      expect(ev.reply.malformed).toBe(true);
      expect(ev.reply.untrusted).toBe(true);
      expect(ev.reply.problem).toMatch(/no space or hyphen after its code/);
    }
  });
  it('a cut over-long line is malformed but not untrusted (its code is clear)', () => {
    const evs = feedAll([`250 ${'a'.repeat(MAX_LINE_BYTES + 10)}\r\n`]);
    const ev = evs[0];
    if (ev?.type !== 'reply') throw new Error('expected a reply');
    expect(ev.reply.malformed).toBe(true);
    expect(ev.reply.untrusted).toBeUndefined();
  });
});
