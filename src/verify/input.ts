// Bulk input, streamed: bytes → lines (bounded length, any chunking, CRLF or LF, BOM
// dropped) → the address of each line, from a plain list (one per line, # comments) or a
// CSV file whose address column is found by its header or its contents. Also reads a
// previous run's output (JSONL or CSV) for --resume. Holds one line at a time; never opens
// files itself (the CLI passes streams).
import { UsageError } from '../errors.js';

/** A line longer than this is not an address list entry; it is cut and reported. */
export const MAX_LINE_CHARS = 8192;

export interface InputLine { text: string; line: number; cut: boolean }

/**
 * Split a byte stream into lines, a chunk's worth at a time (one await per chunk, not per
 * line), never holding more than one chunk and one unfinished line.
 */
export async function* readLineBatches(source: AsyncIterable<Buffer | string>, maxChars = MAX_LINE_CHARS): AsyncGenerator<InputLine[]> {
  const decoder = new TextDecoder('utf-8');
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
  const emit = (raw: string, out: InputLine[]): void => {
    line++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    out.push(text.length > maxChars ? { text: text.slice(0, maxChars), line, cut: true } : { text, line, cut: false });
  };
  for await (const chunk of source) {
    buf += take(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    const out: InputLine[] = [];
    let start = 0;
    for (;;) {
      const nl = buf.indexOf('\n', start);
      if (nl < 0) break;
      const raw = buf.slice(start, nl);
      start = nl + 1;
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
    if (out.length > 0) yield out;
  }
  buf += take(decoder.decode());
  if (!skipping && buf.length > 0) {
    const out: InputLine[] = [];
    emit(buf, out);
    yield out;
  }
}

/** The same lines one by one. */
export async function* readLines(source: AsyncIterable<Buffer | string>, maxChars = MAX_LINE_CHARS): AsyncGenerator<InputLine> {
  for await (const batch of readLineBatches(source, maxChars)) yield* batch;
}

/** One CSV record on one line (RFC 4180 quoting; a quoted field cannot span lines here). */
export function parseCsvLine(line: string, delimiter: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  let atStart = true;
  while (i < line.length) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && atStart) {
      quoted = true;
      atStart = false;
      i++;
      continue;
    }
    if (c === delimiter) {
      out.push(field);
      field = '';
      atStart = true;
      i++;
      continue;
    }
    if (!(atStart && (c === ' ' || c === '\t') && delimiter !== '\t')) atStart = false;
    field += c;
    i++;
  }
  out.push(field);
  return out.map((f) => f.trim());
}

const DELIMITERS = [',', ';', '\t'] as const;
const ADDRESS_HEADER = /^(?:e-?mail(?:[ _-]?address)?|mail|address|recipient|to|courriel|correo)$/i;

function delimiterOf(line: string): string | undefined {
  let best: string | undefined;
  let bestCount = 0;
  for (const d of DELIMITERS) {
    const n = parseCsvLine(line, d).length - 1;
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
  | { kind: 'skip' }
  | { kind: 'bad'; text: string; line: number; error: string };

/**
 * A stateful extractor: feed it every line in order. The first meaningful line decides the
 * format and the column. Throws UsageError only when the named column does not exist.
 */
export function createLineExtractor(o: InputFormat = {}): (l: InputLine) => ExtractedLine {
  let mode: 'lines' | 'csv' | undefined = o.format === 'lines' ? 'lines' : undefined;
  let delimiter = ',';
  let column = -1;
  const columnNumber = o.column !== undefined && /^[0-9]+$/.test(o.column) ? Number(o.column) - 1 : undefined;
  if (columnNumber !== undefined && columnNumber < 0) throw new UsageError('--column numbers start at 1');

  const decide = (l: InputLine): boolean => {
    // Returns true when this first line is a header (and so not an address).
    const d = o.format === 'csv' || o.column !== undefined ? (delimiterOf(l.text) ?? ',') : delimiterOf(l.text);
    if (!d) {
      mode = 'lines';
      return false;
    }
    mode = 'csv';
    delimiter = d;
    const fields = parseCsvLine(l.text, d);
    if (columnNumber !== undefined) {
      column = columnNumber;
      return !(fields[column] ?? '').includes('@');
    }
    if (o.column !== undefined) {
      column = fields.findIndex((f) => f.toLowerCase() === o.column?.toLowerCase());
      if (column < 0) throw new UsageError(`the CSV header has no column "${o.column}" (it has: ${fields.map((f) => `"${f}"`).join(', ')})`);
      return true;
    }
    const byName = fields.findIndex((f) => ADDRESS_HEADER.test(f));
    if (byName >= 0 && !fields.some((f) => f.includes('@'))) {
      column = byName;
      return true;
    }
    column = fields.findIndex((f) => f.includes('@'));
    if (column >= 0) return false;
    throw new UsageError(`cannot tell which CSV column holds the addresses (header: ${fields.map((f) => `"${f}"`).join(', ')}); name it with --column`);
  };

  return (l) => {
    if (l.cut) return { kind: 'bad', text: `${l.text.slice(0, 80)}…`, line: l.line, error: `line ${l.line} is longer than ${MAX_LINE_CHARS} characters` };
    const trimmed = l.text.trim();
    if (trimmed === '' || (mode !== 'csv' && trimmed.startsWith('#'))) return { kind: 'skip' };
    if (mode === undefined && decide(l)) return { kind: 'skip' };
    if (mode === 'lines') return { kind: 'address', text: trimmed, line: l.line };
    const f = parseCsvLine(l.text, delimiter)[column];
    if (f === undefined || f === '') return { kind: 'bad', text: trimmed.slice(0, 200), line: l.line, error: `line ${l.line} has no value in the address column` };
    return { kind: 'address', text: f, line: l.line };
  };
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
  const address = (f[0] ?? '').replace(/^'(?=[=+])/, '');
  if (address === '' || address.toLowerCase() === 'address' || !address.includes('@')) return undefined;
  if (retryUnknown && f[1] === 'unknown') return undefined;
  return address;
}
