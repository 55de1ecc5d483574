// EHLO reply → extensions, parsed line by line (lines 2..n are "KEYWORD params"),
// never by regex over the whole reply (nodemailer's /[ -]STARTTLS\b/ matches text too).
import type { Reply } from './reply-parser.js';

export interface Extensions {
  /** Every keyword offered, upper-case, with its parameters. */
  keywords: Record<string, string[]>;
  /** The greeting line (line 1): usually the server's name. */
  greeting: string;
  size?: number;
  pipelining: boolean;
  starttls: boolean;
  auth: string[];
  eightBitMime: boolean;
  smtputf8: boolean;
  chunking: boolean;
  dsn: boolean;
  enhancedStatusCodes: boolean;
  requireTls: boolean;
}

const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

export function parseEhlo(reply: Reply): Extensions {
  const keywords: Record<string, string[]> = {};
  for (const line of reply.lines.slice(1)) {
    const parts = line.trim().split(/\s+/);
    const kw = parts[0] ?? '';
    // "AUTH=LOGIN PLAIN" is an old form some servers still send beside AUTH.
    const [name, eqParam] = kw.toUpperCase().split('=') as [string, string | undefined];
    if (!KEYWORD.test(name)) continue;
    const params = [...(eqParam ? [eqParam] : []), ...parts.slice(1)];
    keywords[name] = [...(keywords[name] ?? []), ...params];
  }
  const sizeParam = keywords.SIZE?.[0];
  const size = sizeParam !== undefined && /^\d+$/.test(sizeParam) ? Number(sizeParam) : undefined;
  const ext: Extensions = {
    keywords,
    greeting: reply.lines[0] ?? '',
    pipelining: 'PIPELINING' in keywords,
    starttls: 'STARTTLS' in keywords,
    auth: [...new Set((keywords.AUTH ?? []).map((m) => m.toUpperCase()))],
    eightBitMime: '8BITMIME' in keywords,
    smtputf8: 'SMTPUTF8' in keywords,
    chunking: 'CHUNKING' in keywords,
    dsn: 'DSN' in keywords,
    enhancedStatusCodes: 'ENHANCEDSTATUSCODES' in keywords,
    requireTls: 'REQUIRETLS' in keywords,
  };
  if (size !== undefined) ext.size = size;
  return ext;
}
