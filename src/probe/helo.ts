// The HELO/EHLO name: what makes a good one (a fully qualified domain name that is really
// this host's) and the warnings when it is not — receivers score bad HELO names as spam.
import net from 'node:net';
import { say } from '../catalog/messages.js';

/** A name with at least two labels, letters in the last one, not "localhost" or "localdomain". */
export function isFqdn(name: string): boolean {
  const n = name.replace(/\.$/, '').toLowerCase();
  if (net.isIP(n.replace(/^\[|\]$/g, '').replace(/^ipv6:/, ''))) return false;
  const labels = n.split('.');
  if (labels.length < 2 || labels.some((l) => l === '')) return false;
  const tld = labels[labels.length - 1] ?? '';
  if (!/[a-z]/.test(tld)) return false;
  return !['localhost', 'localdomain', 'local', 'lan', 'home', 'internal'].includes(tld) && labels[0] !== 'localhost';
}

export function heloWarnings(helo: string): string[] {
  if (isFqdn(helo)) return [];
  return [
    say('helo.not-fqdn', { helo }),
  ];
}
