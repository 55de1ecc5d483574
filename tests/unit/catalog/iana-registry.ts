// The two code lists the catalog must cover, as test data: the IANA "SMTP Enhanced Status
// Codes" registry read from fixtures/reference (the 2017 snapshot, X.0.0 .. X.7.28) plus the two
// codes registered later, and issue 2's list of basic reply codes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../helpers/cli.js';

const tsv = readFileSync(join(ROOT, 'fixtures', 'reference', 'iana-enhanced-status-codes.tsv'), 'utf8');

/** Basic codes named in the registry's "associated basic status code" column ("Any", "Not given", "5XX" → none). */
function basicCodes(code: string, column: string): string[] {
  // X.7.28's row carries its description in this column (a quirk of the source): no codes.
  if (code === 'X.7.28') return [];
  return column.match(/\b[2-5][0-9][0-9]\b/g) ?? [];
}

/** [code, IANA sample text, associated basic status codes]. */
export const IANA_ENHANCED: ReadonlyArray<readonly [string, string, readonly string[]]> = [
  ...tsv
    .split('\n')
    .slice(1)
    .filter((line) => /^X\./.test(line))
    .map((line) => {
      const [code = '', title = '', basic = ''] = line.split('\t');
      return [code, title, basicCodes(code, basic)] as const;
    }),
  // Registered after the snapshot (RFC 8617, RFC 8689).
  ['X.7.29', 'ARC validation failure', ['550']],
  ['X.7.30', 'REQUIRETLS support required', ['550']],
];

/** Every basic reply code issue 2 lists: RFC 5321 §4.2 plus STARTTLS, AUTH and RFC 7504. */
export const BASIC_CODES = (
  '211 214 220 221 250 251 252 354 421 450 451 452 455 500 501 502 503 504 550 551 552 553 554 555 ' +
  '235 334 432 454 530 534 535 538 521 556'
).split(' ');
