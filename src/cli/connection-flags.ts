// The flags of every command that opens SMTP connections (probe, verify): TLS policy, extra
// CAs, patience, address family, pipelining — declared, typed and checked in one place.
import { type Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';
import { checkDomain } from '../smtp/command.js';
import type { Family } from '../dns/mail-hosts.js';
import { parseTimeout } from './options.js';
import { say } from '../catalog/messages.js';
import { osErrorText } from '../catalog/os-errors.js';

export interface ConnectionFlags {
  tls: 'auto' | 'require' | 'none';
  tlsVerify?: boolean;
  tlsName?: string;
  caFile?: string;
  /** Scale of the stage deadlines: --timeout over the 30 s default (60s → 2). */
  timeout: number;
  ipv4?: boolean;
  ipv6?: boolean;
  pipelining: boolean;
}

export function addConnectionFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--tls <mode>', 'STARTTLS: auto (when offered), require (fail without it), none').choices(['auto', 'require', 'none']).default('auto'))
    .option('--tls-verify', 'fail when the certificate is not trusted or does not match the host name (the IP itself for an IP target)')
    .option('--tls-name <name>', 'the name the certificate must carry, also sent as SNI (e.g. the MX name when probing an IP)')
    .option('--ca-file <path>', 'extra trusted CA certificates (PEM), e.g. a private CA')
    .addOption(new Option('--timeout <duration>', 'how long to wait for the banner and each reply; connect (1/3 of it), TLS (1/2), RSET, QUIT and the whole run scale with it').argParser(parseTimeout).default(1, '30s'))
    .option('-4, --ipv4', 'connect over IPv4 only')
    .option('-6, --ipv6', 'connect over IPv6 only')
    .option('--no-pipelining', 'send MAIL and RCPT one by one even when PIPELINING is offered');
}

/** The checked values: UsageError (exit 2) for -4 with -6 or an unreadable or non-PEM --ca-file. */
export function connectionOptions(flags: ConnectionFlags): { ca?: string; family?: Family; tlsName?: string } {
  if (flags.ipv4 && flags.ipv6) throw new UsageError(say('usage.ipv4-ipv6'));
  const out: { ca?: string; family?: Family; tlsName?: string } = {};
  if (flags.tlsName !== undefined) {
    // A DNS name (RFC 6125 reference identity, SNI per RFC 6066 §3): no IPs, no trailing dot.
    const name = flags.tlsName.replace(/\.$/, '').toLowerCase();
    if (isIP(name) !== 0) throw new UsageError(say('usage.tls-name.ip'));
    try {
      checkDomain('--tls-name', name);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    out.tlsName = name;
  }
  if (flags.ipv4) out.family = 4;
  else if (flags.ipv6) out.family = 6;
  if (flags.caFile) {
    let ca: string;
    try {
      ca = readFileSync(flags.caFile, 'utf8');
    } catch (e) {
      throw new UsageError(say('usage.file.unreadable', { flag: '--ca-file', path: flags.caFile, reasonMsg: osErrorText(e) }));
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(say('usage.ca-file.no-pem', { path: flags.caFile }));
    out.ca = ca;
  }
  return out;
}
