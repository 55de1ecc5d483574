// "Did you mean …?" for a mistyped command. A bare target is a probe, so only a word that
// cannot be a target is taken for a command: a single word without a dot, colon, @ or
// bracket (no domain, host, IP or address looks like that) within two edits of a command name.
/** The first word that is no flag and no flag's value, with its index, or undefined. */
export function firstWord(argv: readonly string[], takesValue: (flag: string) => boolean): { word: string; index: number } | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') return argv[i + 1] !== undefined ? { word: argv[i + 1] as string, index: i + 1 } : undefined;
    if (a.startsWith('-') && a !== '-') {
      if (!a.includes('=') && takesValue(a)) i++;
      continue;
    }
    return { word: a, index: i };
  }
  return undefined;
}

/** Optimal string alignment distance (Damerau-Levenshtein with adjacent swaps), as commander's own. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      row[j] = Math.min((d[i - 1] as number[])[j]! + 1, row[j - 1]! + 1, (d[i - 1] as number[])[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, (d[i - 2] as number[])[j - 2]! + 1);
    }
  }
  return (d[a.length] as number[])[b.length]!;
}

/** The command names `word` is probably a typo of (closest first), or [] when it is none. */
export function suggestCommands(word: string, commands: readonly string[]): string[] {
  const w = word.toLowerCase();
  if (!/^[a-z][a-z0-9-]*$/.test(w) || commands.includes(w)) return [];
  let best = 3;
  let out: string[] = [];
  for (const c of commands) {
    const d = editDistance(w, c);
    // Like commander: at most 2 edits, and most of the name must survive (no "a" → "auth").
    if (d > 2 || (c.length - d) / c.length <= 0.4 || d > best) continue;
    if (d < best) out = [];
    best = d;
    out.push(c);
  }
  // A prefix of a command ("verif", "black") is also a typo of it.
  if (out.length === 0 && w.length >= 3) out = commands.filter((c) => c.startsWith(w));
  return out;
}
