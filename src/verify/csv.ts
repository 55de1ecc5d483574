// CSV output of verify (--csv): one header line, then one row per result in the order the
// answers arrive. RFC 4180 quoting; server text that would start a spreadsheet formula is
// prefixed with a quote (CSV injection), the address only when it starts with = or +.
import type { VerifyResult } from './verdict.js';

export const CSV_COLUMNS = ['address', 'verdict', 'reason', 'catch_all', 'mx', 'code', 'enhanced', 'text', 'role', 'disposable', 'free', 'temporary', 'message'] as const;

function field(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Text from a peer or the input: never a formula when a spreadsheet opens the file. */
function safeText(v: string): string {
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvRow(r: VerifyResult): string {
  const cells = [
    /^[=+]/.test(r.address) ? `'${r.address}` : r.address,
    r.verdict,
    r.reason,
    r.catchAll === null ? '' : String(r.catchAll),
    r.mx ?? '',
    r.reply ? String(r.reply.code) : '',
    r.reply?.enhanced ?? '',
    safeText((r.reply?.text ?? '').replace(/\s*\n\s*/g, ' ')),
    String(r.flags.role),
    String(r.flags.disposable),
    String(r.flags.free),
    String(r.temporary),
    safeText(r.message),
  ];
  return `${cells.map(field).join(',')}\r\n`;
}
