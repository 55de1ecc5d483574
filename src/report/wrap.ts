// Word wrapping for terminal output: lines break only at spaces, never inside a word
// (the seed pages cut text mid-word; we never do). A word longer than the width stays whole.

export function wrap(text: string, width: number, indent = ''): string {
  const max = Math.max(20, width - indent.length);
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/ +/)) {
      if (word === '') continue;
      if (line === '') line = word;
      else if ([...line].length + 1 + [...word].length <= max) line += ` ${word}`;
      else {
        out.push(indent + line);
        line = word;
      }
    }
    out.push(indent + line);
  }
  return out.join('\n');
}
