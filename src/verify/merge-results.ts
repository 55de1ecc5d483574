// `verify --merge FILE`: a results file grown by `--resume … >>` and `--retry-unknown` appends
// (JSON Lines or CSV) compacted to one line per address, the LAST one (the newest answer wins,
// as README says). Two passes over the file: the first remembers where each address was last
// seen, the second keeps those lines (and one CSV header) in file order. Torn or blank lines go.
import { answeredAddress } from './input.js';

export interface MergeStats { read: number; kept: number; dropped: number }

/** `lines()` reads the file from the start (called twice). Yields the kept lines, without line ends. */
export async function* mergeResults(lines: () => AsyncIterable<string>, stats: MergeStats = { read: 0, kept: 0, dropped: 0 }): AsyncGenerator<string> {
  const last = new Map<string, number>();
  let i = 0;
  for await (const line of lines()) {
    const a = answeredAddress(line);
    if (a !== undefined) last.set(a, i);
    i++;
  }
  stats.read = i;
  i = 0;
  let header = false;
  for await (const line of lines()) {
    const a = answeredAddress(line);
    const isHeader = a === undefined && /^address,verdict(,|$)/i.test(line.trim());
    if ((a !== undefined && last.get(a) === i) || (isHeader && !header)) {
      header ||= isHeader;
      stats.kept++;
      yield line;
    } else stats.dropped++;
    i++;
  }
}
