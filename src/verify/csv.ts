// CSV output of verify (--csv): one header line, then one row per result in the order the
// answers arrive. RFC 4180 quoting; every cell that comes from the input or a peer and would
// start a spreadsheet formula (=, +, -, @, tab, CR: OWASP's CSV-injection rule) is prefixed
// with a single quote, the address cell included; --resume strips that quote again.
import type { VerifyResult } from './verdict.js';

export const CSV_COLUMNS = ['address', 'verdict', 'reason', 'catch_all', 'mx', 'code', 'enhanced', 'text', 'role', 'disposable', 'free', 'temporary', 'message', 'line'] as const;

function field(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Text from a peer or the input: never a formula when a spreadsheet opens the file. */
export function safeText(v: string): string {
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvRow(r: VerifyResult): string {
  const cells = [
    safeText(r.address),
    r.verdict,
    r.reason,
    r.catchAll === null ? '' : String(r.catchAll),
    safeText(r.mx ?? ''),
    r.reply ? String(r.reply.code) : '',
    r.reply?.enhanced ?? '',
    safeText((r.reply?.text ?? '').replace(/\s*\n\s*/g, ' ')),
    String(r.flags.role),
    String(r.flags.disposable),
    String(r.flags.free),
    String(r.temporary),
    safeText(r.message),
    r.line !== undefined ? String(r.line) : '',
  ];
  return `${cells.map(field).join(',')}\r\n`;
}
