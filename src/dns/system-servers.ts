// Which DNS servers to ask: the system's (node:dns getServers(), i.e. resolv.conf), or
// the --resolver flags. Never dns2's built-in public servers (8.8.8.8, 114.114.114.114).
import dns from 'node:dns';
import net from 'node:net';
import { UsageError } from '../errors.js';
import type { DnsServerAddress } from './dns2-resolver.js';
import { say } from '../catalog/messages.js';

/** "192.0.2.53", "192.0.2.53:5353", "::1", "[::1]:5353" → address and port (53 by default). */
export function parseServer(s: string): DnsServerAddress {
  const t = s.trim();
  let address = t;
  let port = 53;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracketed) {
    address = bracketed[1] ?? '';
    if (bracketed[2]) port = Number(bracketed[2]);
  } else if (net.isIPv4(t.split(':')[0] ?? '') && t.includes(':')) {
    const [a, p] = t.split(':');
    address = a ?? '';
    port = Number(p);
  }
  if (!net.isIP(address)) throw new UsageError(say('usage.resolver.not-ip', { value: s }));
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new UsageError(say('usage.resolver.bad-port', { value: s }));
  return { address, port };
}

/** The system's resolvers; a clear error when there are none to ask. */
export function systemServers(): DnsServerAddress[] {
  const servers = dns.getServers().map(parseServer);
  if (servers.length === 0) throw new UsageError(say('usage.resolver.none'));
  return servers;
}
