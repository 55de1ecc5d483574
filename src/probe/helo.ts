// The HELO/EHLO name: what makes a good one (a fully qualified domain name that is really
// this host's) and the warnings when it is not — receivers score bad HELO names as spam.
import net from 'node:net';

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
    `the HELO name "${helo}" is not a fully qualified domain name: many servers count that as a spam signal or refuse it. ` +
      'Pass --helo with this host\'s real FQDN (one whose A record and reverse DNS match the sending IP).',
  ];
}
