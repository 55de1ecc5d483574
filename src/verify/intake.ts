// Intake: each input entry (a string, or a line with its number and an intake error) becomes
// an address to verify, a bad-input result (with its specific reason and line), or nothing
// (already answered in the resume file, or a repeat). The resume file's answers and the
// dedupe table are keyed the same way: the normalized address, or for what is not one, the
// text as reported, so invalid lines are neither repeated on resume nor verified twice.
import { parseAddress, type ParsedAddress } from './address.js';
import type { InputEntry, VerifyStats } from './options.js';
import { resultOf } from './result.js';
import { DEFAULT_MAX_ENTRIES, SeenSet } from './seen-set.js';
import type { Item } from './state.js';
import { decideSyntax, type VerifyResult } from './verdict.js';
import { say } from '../catalog/messages.js';

export type Taken = { kind: 'skip' } | { kind: 'bad'; result: VerifyResult } | { kind: 'address'; item: Item };

const SKIP: Taken = { kind: 'skip' };
const NO_FLAGS = { role: false, disposable: false, free: false } as const;

export class Intake {
  private resumeSet: SeenSet | undefined;

  constructor(private readonly stats: VerifyStats, private readonly seen: SeenSet | undefined) {}

  /** The answers of a previous run (--resume): their keys, never asked again. */
  async loadSkip(skip: Iterable<string> | AsyncIterable<string>): Promise<void> {
    const set = new SeenSet(DEFAULT_MAX_ENTRIES);
    for await (const a of skip as AsyncIterable<string>) {
      const p = parseAddress(a);
      set.add(p.ok ? p.value.address : a.trim());
    }
    this.resumeSet = set;
  }

  take(raw: InputEntry): Taken {
    this.stats.read++;
    const text = typeof raw === 'string' ? raw : raw.text;
    const line = typeof raw === 'string' ? undefined : raw.line;
    const p: ParsedAddress = typeof raw !== 'string' && raw.error !== undefined ? { ok: false, error: raw.error } : parseAddress(text);
    // The key of an answer: the address, or for what is not one, the text as reported.
    const key = p.ok ? p.value.address : text.trim();
    if (this.resumeSet?.has(key)) {
      this.stats.resumed++;
      return SKIP;
    }
    if (this.seen) {
      if (!this.seen.add(key)) {
        this.stats.duplicates++;
        return SKIP;
      }
      this.stats.dedupeFull = this.seen.full;
    }
    if (!p.ok) {
      const why = line !== undefined && !/^line \d/.test(p.error) ? say('verify.line-prefix', { line, errorMsg: p.error }) : p.error;
      const result = resultOf(key, undefined, decideSyntax(why), { ...NO_FLAGS });
      if (line !== undefined) result.line = line;
      return { kind: 'bad', result };
    }
    // What parses also passes the command formatter's checks (a property the unit tests
    // assert), so no batch can fail on one address's syntax.
    const item: Item = { addr: p.value, input: text, attempts: 0, uncharged: 0 };
    if (line !== undefined) item.line = line;
    return { kind: 'address', item };
  }
}
