// Usage errors on stderr in the language asked for: --lang anywhere on the command line (even
// after the bad flag) or LANG/LC_ALL, known before anything is parsed. Our own errors (bad
// duration, port, address, file, conflicting flags, a mistyped command) and commander's (unknown
// option, missing argument, a value outside the choices) come out as one line with no English
// word (tests/helpers/english.ts); the same runs in English are full of English, so the check can fail.
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/run.js';
import type { Io } from '../../src/cli/io.js';
import { englishIn } from '../helpers/english.js';

async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const io: Io = {
    stdout: new PassThrough(), stderr, stdin: new PassThrough(), env: { NO_COLOR: '1', ...env },
    stdoutIsTTY: false, stderrIsTTY: false, stdinIsTTY: false, columns: 100, signal: new AbortController().signal,
  };
  const code = await runCli(argv, io);
  return { code, stderr: err };
}

// Representative bad invocations: ours (argument parsers, checks before any I/O) and commander's.
const BAD: string[][] = [
  ['--timeout', '5', 'example.com'], // a bare number where a duration belongs
  ['--port', 'abc', 'example.com'], // not a port
  ['verify', 'bob@@example..com'], // not an address, with the parser's reason
  ['verify', '--file', '/nonexistent/list.txt'], // a file that is not there (ENOENT, as a sentence)
  ['-4', '-6', 'example.com'], // flags that exclude each other
  ['verfy', 'bob@example.com'], // a mistyped command, with the suggestion
  ['--bogus-flag', 'example.com'], // commander: unknown option
  ['auth'], // commander: missing argument
  ['--tls-min', 'TLSv9', 'example.com'], // commander: not one of the choices (TLSv1…TLSv1.3)
  ['blocklist', '300.1.2.3'], // not an IP address or a domain
  ['explain', '999'], // not a reply code, with the nearest ones
  ['blocklist', 'bob@example.com'], // an e-mail address where an IP or a domain belongs (the check's own wording)
  ['auth', 'example.com', '--dkim-selector', 'a b'], // not a DKIM selector
  ['explain', '550', '--stage', 'rcpt'], // --stage goes with "explain -"
];

describe('usage errors in five languages', () => {
  it('in English they are English (the check can fail)', async () => {
    let found = 0;
    for (const argv of BAD) {
      const r = await run([...argv, '--lang', 'en']);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      found += englishIn(r.stderr, 'fr').length;
    }
    expect(found).toBeGreaterThan(40);
  });
  for (const lang of ['fr', 'vi', 'tr', 'hi'] as const) {
    it(`--lang ${lang}: one line, exit 2, no English`, async () => {
      for (const argv of BAD) {
        // --lang after the bad flag: the language is known before parsing reaches the error.
        const r = await run([...argv, '--lang', lang]);
        expect(r.code, argv.join(' ')).toBe(2);
        expect(r.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
        expect(r.stderr).toMatch(/^smtp-probe: /);
        expect(englishIn(r.stderr, lang), `${argv.join(' ')}: ${r.stderr}`).toEqual([]);
      }
    });
  }
  it('LANG=fr_FR.UTF-8 without --lang gives French; --lang wins over LANG', async () => {
    const fr = await run(['--timeout', '5', 'example.com'], { LANG: 'fr_FR.UTF-8' });
    expect(fr.stderr).toMatch(/n'a pas d'unité : indiquez une durée/);
    const vi = await run(['--timeout', '5', 'example.com', '--lang=vi'], { LANG: 'fr_FR.UTF-8' });
    expect(vi.stderr).toMatch(/thiếu đơn vị/);
  });
  it('values stay as given: the file name, the flag and the code ENOENT', async () => {
    const r = await run(['verify', '--file', '/nonexistent/list.txt', '--lang', 'tr']);
    expect(r.stderr).toContain('/nonexistent/list.txt');
    expect(r.stderr).toContain('--file');
    expect(r.stderr).toContain('(ENOENT)');
  });
});
