// What the user asked to probe: a domain (or host), an IP literal, or an address.
// Bad input is a UsageError here, before any DNS query or connection.
import net from 'node:net';
import { domainToASCII } from 'node:url';
import { UsageError } from '../errors.js';
import { checkDomain } from '../smtp/command.js';
import { parseAddress } from '../verify/address.js';
import { say } from '../catalog/messages.js';

export type Target =
  | { kind: 'domain'; input: string; domain: string }
  | { kind: 'ip'; input: string; ip: string }
  | { kind: 'address'; input: string; address: string; local: string; domain: string };

/** IDN → A-label (RFC 5891), lower case, no trailing dot; UsageError if it is not a domain. */
export function normalizeDomain(input: string): string {
  if (/[\r\n\0]/.test(input)) throw new UsageError(say('usage.domain.control'));
  const trimmed = input.trim().replace(/\.$/, '');
  const ascii = domainToASCII(trimmed);
  if (!ascii || ascii.length > 253 || !trimmed.includes('.') && trimmed.toLowerCase() !== 'localhost') {
    throw new UsageError(say('usage.domain.invalid', { value: input }));
  }
  try {
    checkDomain(say('usage.what.domain'), ascii);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  return ascii.toLowerCase();
}

export function parseTarget(input: string): Target {
  const s = input.trim();
  if (s === '') throw new UsageError(say('usage.target.none'));
  if (/[\r\n\0]/.test(s)) throw new UsageError(say('usage.target.control'));
  const bare = s.replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(bare)) return { kind: 'ip', input: s, ip: bare };
  if (s.includes('@') || /^mailto:/i.test(s)) {
    // The same parser as verify: "Name <addr>", "mailto:addr", quoting, IDN, one error message.
    const { address, local, domain } = recipientAddress(s, say('usage.what.target'));
    return { kind: 'address', input: s, address, local, domain };
  }
  return { kind: 'domain', input: s, domain: normalizeDomain(s) };
}

/**
 * An address given by the user (target, --rcpt), parsed exactly as `verify` parses it; a
 * UsageError names what is wrong. Address literals are refused: probe the IP itself instead.
 */
export function recipientAddress(input: string, what: string): { address: string; local: string; domain: string } {
  const p = parseAddress(input);
  if (!p.ok) throw new UsageError(say('usage.address.invalid', { whatMsg: what, value: input.trim(), errorMsg: p.error }));
  if (p.value.literal) throw new UsageError(say('usage.address.literal', { whatMsg: what, value: input.trim(), literal: p.value.literal }));
  return { address: p.value.address, local: p.value.local, domain: p.value.domain };
}

/** The recipient used when none is given: the address itself, else postmaster (RFC 5321 §4.5.1). */
export function defaultRecipient(t: Target): string {
  switch (t.kind) {
    case 'address': return t.address;
    case 'domain': return `postmaster@${t.domain}`;
    case 'ip': return `postmaster@[${net.isIPv6(t.ip) ? `IPv6:${t.ip}` : t.ip}]`;
  }
}
