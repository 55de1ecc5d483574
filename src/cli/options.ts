// Flag parsers shared by the commands (commander argParsers throw InvalidArgumentError,
// which commander turns into one line and exit 2), and the DNS resolver built from flags.
import { InvalidArgumentError } from 'commander';
import net from 'node:net';
import type { Resolve } from '../dns/resolver.js';
import { STAGE_TIMEOUT_MS } from '../smtp/stages.js';
import { parseServer, systemServers } from '../dns/system-servers.js';
import type { DnsServerAddress } from '../dns/dns2-resolver.js';
import { say } from '../catalog/messages.js';

/** Repeatable flag: `--rcpt a --rcpt b` → ['a', 'b']. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** "30s", "500ms", "2m", "1.5" (seconds) → milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(say('usage.duration.bad', { value }));
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
  if (!(ms > 0) || ms > 24 * 3_600_000) throw new InvalidArgumentError(say('usage.duration.range', { value }));
  return ms;
}

/**
 * --timeout DURATION: how long to wait for the banner and for each reply (the stage table's
 * 30 s base); every other deadline scales with it. Returns that scale (60s → 2). A bare number
 * was once a factor: refused, with the duration it meant, rather than read two ways.
 */
export function parseTimeout(value: string): number {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) {
    const meant = Number(v) * (STAGE_TIMEOUT_MS.banner / 1000);
    throw new InvalidArgumentError(say('usage.timeout.no-unit', { value, number: v, seconds: Number(meant.toFixed(3)) }));
  }
  return parseDuration(v) / STAGE_TIMEOUT_MS.banner;
}

export function parseIp(value: string): string {
  const v = value.trim().replace(/^\[|\]$/g, '');
  if (!net.isIP(v)) throw new InvalidArgumentError(say('usage.ip.bad', { value }));
  return v;
}

export function collectResolver(value: string, previous: string[] | undefined): string[] {
  try {
    parseServer(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^--resolver /, ''));
  }
  return collect(value, previous);
}

export interface ResolverFlags { resolver?: string[]; dnsTimeout?: number }

/** The DNS servers to ask: --resolver, else the system's. */
export function serversFromFlags(flags: ResolverFlags): DnsServerAddress[] {
  return flags.resolver && flags.resolver.length > 0 ? flags.resolver.map(parseServer) : systemServers();
}

/**
 * The run's resolver: --resolver servers or the system's, with a per-lookup deadline, memoized
 * for the run unless `memoize` is false (verify keeps its own bounded cache for huge inputs).
 * dns2 is loaded here, not at start-up: `explain` never needs it.
 */
export async function resolverFromFlags(flags: ResolverFlags, memoize = true): Promise<Resolve> {
  const servers = serversFromFlags(flags);
  const [{ createDns2Resolver, DEFAULT_DNS_TIMEOUT_MS }, { withCache }] = await Promise.all([import('../dns/dns2-resolver.js'), import('../dns/resolver.js')]);
  const resolve = createDns2Resolver({ servers, timeoutMs: flags.dnsTimeout ?? DEFAULT_DNS_TIMEOUT_MS });
  return memoize ? withCache(resolve) : resolve;
}
