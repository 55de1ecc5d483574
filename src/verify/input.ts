// Bulk input, streamed: bytes → lines (bounded length, any chunking, LF, CRLF or CR; UTF-8 or
// UTF-16 by BOM, undecodable lines reported) → the address of each line, from a plain list
// (one per line, # comments) or an RFC 4180 CSV file (quoted fields may span lines) whose
// address column is found by its header or its contents. Also reads a
// previous run's output (JSONL or CSV) for --resume. Holds one line at a time; never opens
// files itself (the CLI passes streams).
import { UsageError } from '../errors.js';
import { say } from '../catalog/messages.js';

/** A line longer than this is not an address list entry; it is cut and reported. */
export const MAX_LINE_CHARS = 8192;

/** A line of input; `error` when its bytes could not be decoded (it is reported, not guessed at). */
export interface InputLine { text: string; line: number; cut: boolean; error?: string }

export type InputEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/**
 * The encoding from the first bytes: a BOM (UTF-8, UTF-16 LE/BE), else UTF-16 when every
 * other byte of the start is NUL (a BOM-less UTF-16 export), else UTF-8.
 */
export function sniffEncoding(head: Uint8Array): InputEncoding {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  const n = Math.min(head.length, 64) & ~1;
  if (n < 4) return 'utf-8';
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) evenNul++;
    if (head[i + 1] === 0) oddNul++;
  }
  if (oddNul * 2 >= n / 2 && evenNul === 0) return 'utf-16le';
  if (evenNul * 2 >= n / 2 && oddNul === 0) return 'utf-16be';
  return 'utf-8';
}

const LINE_END = /\r\n|\r|\n/g;

/**
 * Split a byte stream into lines, a chunk's worth at a time (one await per chunk, not per
 * line), never holding more than one chunk and one unfinished line. Lines end with LF, CRLF
 * or a lone CR. The encoding comes from the BOM (UTF-8, UTF-16 LE/BE; the BOM is dropped);
 * bytes that do not decode make their line an error (never a silently altered address).
 */
export async function* readLineBatches(source: AsyncIterable<Buffer | string>, maxChars = MAX_LINE_CHARS): AsyncGenerator<InputLine[]> {
  let decoder: InstanceType<typeof TextDecoder> | undefined;
  let encoding: InputEncoding = 'utf-8';
  let head: Buffer | undefined; // the first bytes, until the encoding is known
  let buf = '';
  let line = 0;
  let skipping = false; // inside an over-long line, already emitted (cut)
  let first = true;
  const take = (s: string): string => {
    if (first && s.length > 0) {
      first = false;
      if (s.charCodeAt(0) === 0xfeff) return s.slice(1);
    }
    return s;
  };
  const emit = (text: string, out: InputLine[]): void => {
    line++;
    const l: InputLine = text.length > maxChars ? { text: text.slice(0, maxChars), line, cut: true } : { text, line, cut: false };
    if (text.includes('\ufffd')) {
      l.error = encoding === 'utf-8'
        ? say('verify.input.not-utf8', { line })
        : say('verify.input.bad-encoding', { line, encoding: encoding.toUpperCase() });
    }
    out.push(l);
  };
  const split = (final: boolean): InputLine[] => {
    const out: InputLine[] = [];
    let start = 0;
    LINE_END.lastIndex = 0;
    for (let m = LINE_END.exec(buf); m; m = LINE_END.exec(buf)) {
      // A CR at the very end may be the first half of a CRLF still on its way.
      if (!final && m[0] === '\r' && m.index === buf.length - 1) break;
      const raw = buf.slice(start, m.index);
      start = m.index + m[0].length;
      if (skipping) {
        skipping = false;
        continue;
      }
      emit(raw, out);
    }
    buf = buf.slice(start);
    if (!skipping && buf.length > maxChars) {
      line++;
      out.push({ text: buf.slice(0, maxChars), line, cut: true });
      skipping = true;
    }
    if (skipping) buf = '';
    return out;
  };
  const decode = (bytes: Buffer, stream: boolean): string => {
    decoder ??= new TextDecoder(encoding); // not fatal: bad bytes become U+FFFD, and their line an error
    return decoder.decode(bytes, { stream });
  };
  for await (const chunk of source) {
    if (typeof chunk === 'string') buf += take(chunk);
    else {
      if (!decoder) {
        head = head ? Buffer.concat([head, chunk]) : chunk;
        if (head.length < 64) continue;
        encoding = sniffEncoding(head);
        buf += take(decode(head, true));
        head = undefined;
      } else buf += take(decode(chunk, true));
    }
    const out = split(false);
    if (out.length > 0) yield out;
  }
  if (head) {
    encoding = sniffEncoding(head);
    buf += take(decode(head, true));
  }
  if (decoder) buf += take(decoder.decode());
  const out = split(true);
  if (!skipping && buf.length > 0) emit(buf, out);
  if (out.length > 0) yield out;
}

/** The same lines one by one. */
export async function* readLines(source: AsyncIterable<Buffer | string>, maxChars = MAX_LINE_CHARS): AsyncGenerator<InputLine> {
  for await (const batch of readLineBatches(source, maxChars)) yield* batch;
}

/**
 * One CSV record (RFC 4180): fields split at the delimiter, quoted fields with doubled quotes
 * and line breaks inside. `open` says the text ended inside a quoted field: the record goes on
 * on the next line. Fields are trimmed (spaces around a quoted field are tolerated).
 */
export function parseCsvRecord(text: string, delimiter: string): { fields: string[]; open: boolean } {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  let atStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
      continue;
    }
    if (c === '"' && atStart) {
      quoted = true;
      atStart = false;
      field = '';
      continue;
    }
    if (c === delimiter) {
      out.push(field.trim());
      field = '';
      atStart = true;
      continue;
    }
    if (!(atStart && (c === ' ' || c === '\t') && delimiter !== '\t')) atStart = false;
    field += c;
  }
  out.push(quoted ? field : field.trim());
  return { fields: out, open: quoted };
}

/** One CSV record on one line (a quote left open is closed at the end of the line). */
export function parseCsvLine(line: string, delimiter: string): string[] {
  return parseCsvRecord(line, delimiter).fields.map((f) => f.trim());
}

const DELIMITERS = [',', ';', '\t'] as const;
const ADDRESS_HEADER = /^(?:e-?mail(?:[ _-]?address)?|mail|address|recipient|to|courriel|correo)$/i;

function delimiterOf(line: string): string | undefined {
  let best: string | undefined;
  let bestCount = 0;
  for (const d of DELIMITERS) {
    const n = parseCsvRecord(line, d).fields.length - 1;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

export interface InputFormat {
  /** auto (default): CSV when the first line has a delimiter outside quotes, else one address per line. */
  format?: 'auto' | 'lines' | 'csv';
  /** CSV column holding the addresses: a header name or a 1-based number. */
  column?: string;
}

export type ExtractedLine =
  | { kind: 'address'; text: string; line: number }
  | { kind: 'bad'; text: string; line: number; error: string };

/** Feed every line in order; flush() at the end (a quoted CSV field may still be open). */
export interface LineExtractor {
  (l: InputLine): ExtractedLine[];
  flush(): ExtractedLine[];
}

const NONE: ExtractedLine[] = [];

/**
 * A stateful extractor. The first meaningful line decides the format and the column: a
 * header names it (a one-column file's "email" header too), else the column holding an @;
 * when several columns of a header-less first row hold addresses, every one is taken (none
 * is dropped silently). Throws UsageError only when the named column does not exist.
 */
export function createLineExtractor(o: InputFormat = {}): LineExtractor {
  let mode: 'lines' | 'csv' | undefined = o.format === 'lines' ? 'lines' : undefined;
  let delimiter = ',';
  let column = -1;
  let allColumns = false;
  let pending: { text: string; line: number } | undefined; // a CSV record with a quoted field still open
  const columnNumber = o.column !== undefined && /^[0-9]+$/.test(o.column) ? Number(o.column) - 1 : undefined;
  if (columnNumber !== undefined && columnNumber < 0) throw new UsageError(say('usage.column.start'));

  const decide = (l: InputLine): boolean => {
    // Returns true when this first line is a header (and so not an address).
    const d = o.format === 'csv' || o.column !== undefined ? (delimiterOf(l.text) ?? ',') : delimiterOf(l.text);
    if (!d) {
      mode = 'lines';
      // A one-column CSV: its header is not an address.
      return ADDRESS_HEADER.test(l.text.trim().replace(/^"(.*)"$/, '$1').trim());
    }
    mode = 'csv';
    delimiter = d;
    const fields = parseCsvRecord(l.text, d).fields;
    if (columnNumber !== undefined) {
      column = columnNumber;
      return !(fields[column] ?? '').includes('@');
    }
    if (o.column !== undefined) {
      column = fields.findIndex((f) => f.toLowerCase() === o.column?.toLowerCase());
      if (column < 0) throw new UsageError(say('usage.column.missing', { column: o.column, fields: fields.map((f) => `"${f}"`).join(', ') }));
      return true;
    }
    const byName = fields.findIndex((f) => ADDRESS_HEADER.test(f));
    if (byName >= 0 && !fields.some((f) => f.includes('@'))) {
      column = byName;
      return true;
    }
    const withAt = fields.filter((f) => f.includes('@')).length;
    column = fields.findIndex((f) => f.includes('@'));
    allColumns = withAt > 1;
    if (column >= 0) return false;
    throw new UsageError(say('usage.column.unknown', { fields: fields.map((f) => `"${f}"`).join(', ') }));
  };

  const record = (text: string, line: number): ExtractedLine[] => {
    const fields = parseCsvRecord(text, delimiter).fields;
    if (allColumns) {
      const out = fields.filter((f) => f !== '').map((f): ExtractedLine => ({ kind: 'address', text: f, line }));
      return out.length > 0 ? out : NONE;
    }
    const f = fields[column];
    if (f === undefined || f === '') return [{ kind: 'bad', text: text.trim().slice(0, 200), line, error: say('verify.input.no-value', { line }) }];
    return [{ kind: 'address', text: f, line }];
  };

  const extract = (l: InputLine): ExtractedLine[] => {
    if (l.error !== undefined) return [{ kind: 'bad', text: l.text.trim().slice(0, 200), line: l.line, error: l.error }];
    if (l.cut) return [{ kind: 'bad', text: `${l.text.slice(0, 80)}…`, line: l.line, error: say('verify.input.too-long', { line: l.line, max: MAX_LINE_CHARS }) }];
    if (pending) {
      // The quoted field goes on: join with the line break it contained.
      const text = `${pending.text}\n${l.text}`;
      const start = pending.line;
      if (text.length > MAX_LINE_CHARS) {
        pending = undefined;
        return [{ kind: 'bad', text: `${text.slice(0, 80)}…`, line: start, error: say('verify.input.quote-open', { line: start, max: MAX_LINE_CHARS }) }];
      }
      if (parseCsvRecord(text, delimiter).open) {
        pending = { text, line: start };
        return NONE;
      }
      pending = undefined;
      return record(text, start);
    }
    const trimmed = l.text.trim();
    if (trimmed === '' || (mode !== 'csv' && trimmed.startsWith('#'))) return NONE;
    if (mode === undefined && decide(l)) return NONE;
    if (mode === 'lines') {
      // "addr # note": a comment after the address (no address holds unquoted spaces).
      const text = trimmed.includes('"') ? trimmed : trimmed.replace(/\s+#.*$/, '');
      return [{ kind: 'address', text, line: l.line }];
    }
    if (parseCsvRecord(l.text, delimiter).open) {
      pending = { text: l.text, line: l.line };
      return NONE;
    }
    return record(l.text, l.line);
  };
  const fn = extract as LineExtractor;
  fn.flush = () => {
    if (!pending) return NONE;
    const p = pending;
    pending = undefined;
    return [{ kind: 'bad', text: p.text.trim().slice(0, 200), line: p.line, error: say('verify.input.quote-end', { line: p.line }) }];
  };
  return fn;
}

/**
 * The address a line of a previous run's output answered (JSONL from --json, or --csv with
 * its header), or undefined. With `retryUnknown`, lines whose verdict was unknown do not count.
 */
export function answeredAddress(line: string, retryUnknown = false): string | undefined {
  const t = line.trim();
  if (t === '') return undefined;
  if (t.startsWith('{')) {
    try {
      const o = JSON.parse(t) as { address?: unknown; verdict?: unknown };
      if (typeof o.address !== 'string') return undefined;
      if (retryUnknown && o.verdict === 'unknown') return undefined;
      return o.address;
    } catch {
      return undefined; // a line cut by Ctrl-C or a full disk: that address is verified again
    }
  }
  const f = parseCsvLine(t, ',');
  // Cells starting like a formula were written with a leading quote (CSV injection).
  const address = (f[0] ?? '').replace(/^'(?=[=+\-@\t\r])/, '');
  // Every row answered one input, the ones that were not addresses too; the header is no answer.
  if (address === '' || (address.toLowerCase() === 'address' && f[1]?.toLowerCase() === 'verdict')) return undefined;
  if (retryUnknown && f[1] === 'unknown') return undefined;
  return address;
}
