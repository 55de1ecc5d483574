// SMTP reply reader: bytes in, complete replies out. Bounded (line, line count, reply
// size), strict grammar (3 digits, then '-' or space/EOL), enhanced codes kept only when
// their class matches the reply (Postfix smtp_chat.c). Never throws on peer input: trouble
// is an event. Text is made printable before anyone sees it (no terminal escapes).
import { printable } from '../report/printable.js';

/** RFC 5321 §4.5.3.1.5 says 512 octets per reply line; we allow 8x before calling it hostile. */
export const MAX_LINE_BYTES = 4096;
export const MAX_REPLY_LINES = 100;
export const MAX_REPLY_BYTES = 64 * 1024;

export interface Reply {
  code: number;
  /** Enhanced status code (RFC 3463) of the first line, kept only if its class equals the reply's. */
  enhanced?: string;
  /** Text of each line after "NNN-"/"NNN " (and after a repeated enhanced code), printable. */
  lines: string[];
  /** lines joined with '\n'. */
  text: string;
  /** A continuation line carried a different code, a line had no space or hyphen after its code, or a line was cut at MAX_LINE_BYTES. */
  malformed?: true;
  /** What made it malformed, in words ("a continuation line carried code 220"). */
  problem?: string;
  /**
   * The reply's grammar is broken in a way that leaves its meaning in doubt (mixed codes, a
   * bad separator): shown as received, never trusted as an answer (issue 10 item 5).
   */
  untrusted?: true;
}

export type ReaderEvent =
  | { type: 'reply'; reply: Reply }
  | { type: 'error'; kind: 'protocol' | 'limit'; message: string; line?: string };

const REPLY_LINE = /^([2-5][0-9][0-9])([ -]|$)(.*)$/s;
// Three digits, then something other than space or hyphen ("250_ok", "250ok"): a reply
// line with a broken separator, kept (as a last line) and flagged, never trusted.
const BAD_SEPARATOR = /^([2-5][0-9][0-9])([^ -])(.*)$/s;
const ENHANCED = /^([245])\.([0-9]{1,3})\.([0-9]{1,3})(?=\s|$)/;
// The project's one terminal cleaning (controls, escapes, bidi); kept importable from here.
export { printable };

/** The enhanced code at the start of `text` if its class equals `code`'s class. */
export function extractEnhanced(code: number, text: string): string | undefined {
  const m = ENHANCED.exec(text);
  if (!m) return undefined;
  return m[1] === String(code)[0] ? `${m[1]}.${Number(m[2])}.${Number(m[3])}` : undefined;
}

function stripEnhanced(text: string, enhanced: string | undefined): string {
  if (!enhanced) return text;
  const m = ENHANCED.exec(text);
  if (!m) return text;
  return `${m[1]}.${Number(m[2])}.${Number(m[3])}` === enhanced ? text.slice(m[0].length).replace(/^\s+/, '') : text;
}

/**
 * Incremental reader. feed() takes raw bytes in any chunking and returns the events
 * completed by them. After an error event the reader stays failed and returns nothing.
 */
export class ReplyReader {
  // Bytes are held as a latin1 string so a UTF-8 character split across chunks survives;
  // each completed line is decoded as UTF-8 (nodemailer's _remainder idea, with caps).
  private partial = '';
  private skippingLongLine = false;
  private pending: { code: number; raw: string[]; bytes: number; malformed: boolean; cutFinal: boolean; problems: string[]; untrusted: boolean } | null = null;
  private failed = false;

  get hasPartial(): boolean {
    return this.partial.length > 0 || this.pending !== null || this.skippingLongLine;
  }

  /** Bytes held for a reply not yet complete (an over-long line being skipped counts as over the cap). */
  get bufferedBytes(): number {
    if (this.skippingLongLine) return MAX_LINE_BYTES + 1;
    return this.partial.length + (this.pending?.bytes ?? 0);
  }

  /** The first line of what is held, printable and short, to show in a message. */
  get partialText(): string {
    const raw = this.pending ? `${this.pending.code}-${this.pending.raw[0] ?? ''}` : this.partial;
    const line = printable(Buffer.from(raw.replace(/\r?\n[\s\S]*$/, ''), 'latin1').toString('utf8'));
    return line.length > 120 ? `${line.slice(0, 120)}…` : line;
  }

  feed(chunk: Buffer | string): ReaderEvent[] {
    if (this.failed) return [];
    const events: ReaderEvent[] = [];
    let data = this.partial + (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8').toString('latin1') : chunk.toString('latin1'));
    this.partial = '';
    let start = 0;
    for (;;) {
      const nl = data.indexOf('\n', start);
      if (nl === -1) break;
      let line = data.slice(start, nl);
      start = nl + 1;
      let ev: ReaderEvent | null;
      if (this.skippingLongLine) {
        // The end of a line already cut at MAX_LINE_BYTES: its head was recorded.
        this.skippingLongLine = false;
        ev = this.countSkipped(line.length) ?? this.finishCutLine();
      } else {
        if (line.endsWith('\r')) line = line.slice(0, -1);
        const cut = line.length > MAX_LINE_BYTES;
        ev = this.onLine(cut ? line.slice(0, MAX_LINE_BYTES) : line, cut);
        if (!ev && cut) ev = this.finishCutLine();
      }
      if (ev) {
        events.push(ev);
        if (ev.type === 'error') return events;
      }
    }
    data = data.slice(start);
    if (this.skippingLongLine) {
      const ev = this.countSkipped(data.length);
      data = '';
      if (ev) {
        events.push(ev);
        return events;
      }
    } else if (data.length > MAX_LINE_BYTES) {
      // An over-long line still arriving: keep its head, skip the rest up to its end.
      const ev = this.onLine(data.slice(0, MAX_LINE_BYTES), true);
      this.skippingLongLine = true;
      data = '';
      if (ev) {
        events.push(ev);
        return events;
      }
    }
    this.partial = data;
    return events;
  }

  /** Bytes of a cut line still count toward the reply's size cap (a 1 MB line ends in 'limit'). */
  private countSkipped(n: number): ReaderEvent | null {
    if (!this.pending) return null;
    this.pending.bytes += n;
    return this.pending.bytes > MAX_REPLY_BYTES ? this.fail('limit', `the server's reply exceeded ${MAX_REPLY_BYTES} bytes`) : null;
  }

  /** A cut line has ended: if it was the reply's last line, the reply is complete. */
  private finishCutLine(): ReaderEvent | null {
    const p = this.pending;
    if (!p || !p.cutFinal) return null;
    this.pending = null;
    return { type: 'reply', reply: buildReply(p) };
  }

  private fail(kind: 'protocol' | 'limit', message: string, line?: string): ReaderEvent {
    this.failed = true;
    this.pending = null;
    this.partial = '';
    return line === undefined ? { type: 'error', kind, message } : { type: 'error', kind, message, line };
  }

  private onLine(rawLatin1: string, cut: boolean): ReaderEvent | null {
    const line = printable(Buffer.from(rawLatin1, 'latin1').toString('utf8'));
    let m = REPLY_LINE.exec(line);
    let badSeparator = false;
    if (!m) {
      const b = BAD_SEPARATOR.exec(line);
      if (b) {
        // Read as the reply's last line, text from the separator on: shown, flagged, not trusted.
        m = [line, b[1] ?? '', ' ', `${b[2] ?? ''}${b[3] ?? ''}`] as unknown as RegExpExecArray;
        badSeparator = true;
      }
    }
    if (!m) {
      const shown = line.length > 120 ? `${line.slice(0, 120)}…` : line;
      return this.fail('protocol', 'the server sent a line that is not an SMTP reply', shown);
    }
    const code = Number(m[1]);
    const last = m[2] !== '-';
    if (!this.pending) this.pending = { code, raw: [], bytes: 0, malformed: false, cutFinal: false, problems: [], untrusted: false };
    const p = this.pending;
    if (code !== p.code) {
      p.malformed = true;
      p.untrusted = true;
      p.problems.push(`line ${p.raw.length + 1} carried code ${code} instead of ${p.code}`);
    }
    if (badSeparator) {
      p.malformed = true;
      p.untrusted = true;
      p.problems.push(`line ${p.raw.length + 1} has no space or hyphen after its code`);
    }
    if (cut) {
      p.malformed = true;
      p.problems.push(`line ${p.raw.length + 1} was longer than ${MAX_LINE_BYTES} bytes and was cut`);
    }
    p.raw.push(m[3] ?? '');
    p.bytes += rawLatin1.length + 2;
    if (p.bytes > MAX_REPLY_BYTES) return this.fail('limit', `the server's reply exceeded ${MAX_REPLY_BYTES} bytes`);
    if (!last && p.raw.length >= MAX_REPLY_LINES) {
      return this.fail('limit', `the server's reply exceeded ${MAX_REPLY_LINES} lines`);
    }
    if (cut) {
      p.cutFinal = last;
      return null;
    }
    if (!last) return null;
    this.pending = null;
    return { type: 'reply', reply: buildReply(p) };
  }
}

function buildReply(p: { code: number; raw: string[]; malformed: boolean; problems: string[]; untrusted: boolean }): Reply {
  const { code, raw } = p;
  const enhanced = extractEnhanced(code, raw[0] ?? '');
  const lines = raw.map((t) => stripEnhanced(t, enhanced));
  const reply: Reply = { code, lines, text: lines.join('\n') };
  if (enhanced) reply.enhanced = enhanced;
  if (p.malformed) {
    reply.malformed = true;
    reply.problem = p.problems.join('; ');
  }
  if (p.untrusted) reply.untrusted = true;
  return reply;
}

/**
 * Parse text a person pasted ("550-5.1.1 ...\n550 5.1.1 ..."); tolerant of missing
 * final line and of surrounding whitespace. Returns undefined when it is not a reply.
 */
export function parsePastedReply(input: string): Reply | undefined {
  const lines = input.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (lines.length === 0) return undefined;
  const reader = new ReplyReader();
  for (let i = 0; i < lines.length; i++) {
    // A pasted reply may end on a continuation line; treat the last line as final.
    let l = lines[i] ?? '';
    if (i === lines.length - 1) l = l.replace(/^([2-5][0-9][0-9])-/, '$1 ');
    const evs = reader.feed(`${l}\r\n`);
    for (const ev of evs) {
      if (ev.type === 'error') return undefined;
      if (ev.type === 'reply' && i === lines.length - 1) return ev.reply;
    }
  }
  return undefined;
}
