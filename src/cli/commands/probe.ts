// `smtp-probe <target>` (the default command): flags → ProbeOptions → runProbe → render.
// Bad flags and targets are UsageErrors (exit 2) before any DNS query or connection;
// the exit code comes from the verdict (exit-codes.ts).
import { Command, InvalidArgumentError, Option } from 'commander';
import os from 'node:os';
import { UsageError } from '../../errors.js';
import type { PortSpec, ProbeDeps, ProbeOptions, ProbeResult } from '../../probe/run-probe.js';
import { recipientAddress } from '../../probe/targets.js';
import { checkDomain, checkMailbox } from '../../smtp/command.js';
import { presentation, type CliContext, type Presentation } from '../context.js';
import { exitCodeForVerdict } from '../exit-codes.js';
import { collect, parseIp, resolverFromFlags, type ResolverFlags } from '../options.js';
import { addConnectionFlags, connectionOptions, type ConnectionFlags } from '../connection-flags.js';
import { addAuthFlags, authSetup, postureOptions, promptHidden, type AuthFlags } from '../auth-flags.js';
import { TLS_VERSIONS, type TlsRange, type TlsVersion } from '../../smtp/tls-facts.js';
import { say } from '../../catalog/messages.js';

export interface ProbeFlags extends ResolverFlags, ConnectionFlags, AuthFlags {
  port: PortSpec[];
  from: string;
  rcpt?: string[];
  helo?: string;
  checks: 'auto' | 'always' | 'never';
  ip?: string;
  dkimSelector?: string[];
  /** --no-mta-sts: skip MTA-STS and TLS-RPT for a domain target. */
  mtaSts: boolean;
  tlsMin?: TlsVersion;
  tlsMax?: TlsVersion;
}

/** --tls-min/--tls-max, checked: the range must not be empty. */
export function tlsRange(flags: Pick<ProbeFlags, 'tlsMin' | 'tlsMax' | 'tls'>): TlsRange | undefined {
  if (!flags.tlsMin && !flags.tlsMax) return undefined;
  if (flags.tls === 'none') throw new UsageError(say('usage.tls-range.no-tls'));
  if (flags.tlsMin && flags.tlsMax && TLS_VERSIONS.indexOf(flags.tlsMin) > TLS_VERSIONS.indexOf(flags.tlsMax)) {
    throw new UsageError(say('usage.tls-range.empty', { min: flags.tlsMin, max: flags.tlsMax }));
  }
  return { ...(flags.tlsMin ? { min: flags.tlsMin } : {}), ...(flags.tlsMax ? { max: flags.tlsMax } : {}) };
}

/** "25", "25,587,465", "all", "2525/tls", "2587/plain" → ports (465 is implicit TLS). */
export function parsePorts(value: string): PortSpec[] {
  const v = value.trim().toLowerCase();
  if (v === 'all') return [25, 587, 465].map((port) => ({ port, implicitTls: port === 465 }));
  const out: PortSpec[] = [];
  for (const part of v.split(',')) {
    const m = /^(\d{1,5})(?:\/(tls|plain|starttls))?$/.exec(part.trim());
    const port = Number(m?.[1]);
    if (!m || !(port >= 1 && port <= 65_535)) throw new InvalidArgumentError(say('usage.port.bad', { value: part }));
    if (!out.some((p) => p.port === port)) out.push({ port, implicitTls: m[2] ? m[2] === 'tls' : port === 465 });
  }
  return out;
}

/** The machine's name for HELO; the probe warns when it is not a FQDN. */
export function defaultHelo(): string {
  const h = os.hostname().trim().toLowerCase();
  return h === '' ? 'localhost' : h;
}

function checkAddressFlag(flag: string, value: string): void {
  try {
    checkMailbox(flag, value);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function probeOptions(flags: ProbeFlags, p: Presentation): ProbeOptions {
  const helo = flags.helo ?? defaultHelo();
  try {
    checkDomain('--helo', helo);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  checkAddressFlag('--from', flags.from);
  // --rcpt goes through the same address parser as verify (mailto:, "Name <addr>", IDN).
  const rcpts = flags.rcpt?.map((r) => recipientAddress(r, '--rcpt').address);
  const conn = connectionOptions(flags);
  const versions = tlsRange(flags);
  return {
    ports: flags.port,
    tlsMode: flags.tls,
    tlsVerify: flags.tlsVerify === true,
    ...(conn.ca ? { ca: conn.ca } : {}),
    ...(conn.tlsName ? { tlsName: conn.tlsName } : {}),
    ...(versions ? { tlsVersions: versions } : {}),
    helo,
    from: flags.from,
    ...(rcpts ? { rcpts } : {}),
    ...(conn.family ? { family: conn.family } : {}),
    timeoutScale: flags.timeout,
    pipelining: flags.pipelining,
    lang: p.lang,
    ...(flags.quitAfter ? { quitAfter: flags.quitAfter } : {}),
    ...postureOptions(flags),
  };
}

/** Render a finished probe to stdout and set the exit code: shared by `probe` and `demo`. */
export async function printProbe(ctx: CliContext, p: Presentation, result: ProbeResult): Promise<void> {
  if (p.json) {
    ctx.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const { renderProbe } = await import('../../report/probe-human.js');
    ctx.io.stdout.write(renderProbe(result, { chalk: p.chalk, width: p.width, lang: p.lang, verbose: p.verbose, quiet: p.quiet }));
  }
  ctx.exitCode = exitCodeForVerdict(result.verdict.kind);
}

export function addProbeFlags(cmd: Command): Command {
  return addConnectionFlags(cmd)
    .addOption(new Option('-p, --port <ports>', 'port(s): 25, 587, 465, a list (25,587), "all", or N/tls for implicit TLS').argParser(parsePorts).default([{ port: 25, implicitTls: false }], '25'))
    .addOption(new Option('--from <address>', 'MAIL FROM address').default('', 'the null sender <>'))
    .option('--rcpt <address>', 'RCPT TO address, repeatable (default: the target address, or postmaster@domain)', collect)
    .option('--helo <name>', 'EHLO/HELO name (default: this machine\'s host name; use its real FQDN)')
    .addOption(new Option('--checks <when>', 'sender-side checks: auto (after a 5xx), always, never').choices(['auto', 'always', 'never']).default('auto'))
    .option('--ip <ip>', 'the sending IP to check (default: what the server saw, or a DNS who-am-I lookup)', parseIp)
    .option('--dkim-selector <selector>', 'DKIM selector to check (repeatable)', collect)
    .option('--no-mta-sts', 'skip the MTA-STS, TLS-RPT and DANE checks of a domain target')
    .addOption(new Option('--tls-min <version>', 'oldest TLS version to offer (test what the server accepts); TLSv1 and TLSv1.1 lower OpenSSL\'s security level to 0').choices([...TLS_VERSIONS]))
    .addOption(new Option('--tls-max <version>', 'newest TLS version to offer, e.g. TLSv1.2 to see whether the server still speaks it').choices([...TLS_VERSIONS]));
}

/** The probe command's own posture flags (AUTH, --quit-after); demo keeps the plain set. */
function addPostureFlags(cmd: Command): Command {
  return addAuthFlags(cmd);
}

export function probeCommand(ctx: CliContext): Command {
  const cmd = new Command('probe')
    .description('probe the mail servers of a domain, a host, an IP or an address: a real SMTP dialogue up to RCPT TO, every reply explained')
    .argument('<target>', 'domain (example.com), mail host (mx1.example.com), IP (192.0.2.10) or address (bob@example.com)');
  addPostureFlags(addProbeFlags(cmd))
    .addHelpText(
      'after',
      `
Examples:
  smtp-probe example.com                     the domain's MX hosts on port 25
  smtp-probe bob@example.com                 does the server accept this recipient?
  smtp-probe mx1.example.com --port all      ports 25, 587 and 465
  smtp-probe 192.0.2.10 --tls require --tls-verify
  smtp-probe example.com --from me@my.example --helo mail.my.example --json
  SMTP_PROBE_PASSWORD=… smtp-probe smtp.example.com --port 587 --auth me@example.com
  smtp-probe mx1.example.com --quit-after ehlo   a health check: banner, EHLO, STARTTLS, QUIT
  smtp-probe example.com --relay-test --vrfy postmaster   open relay? does VRFY confirm users?

Transcript: -> sent, <- received; ~> and <~ inside TLS.`,
    )
    .action(async (target: string, _opts: unknown, command: Command) => {
      const p = presentation(ctx, command);
      const flags = command.optsWithGlobals<ProbeFlags>();
      const options = probeOptions(flags, p);
      const { parseTarget } = await import('../../probe/targets.js');
      const t = parseTarget(target);
      // Asked only once the flags and the target are known good.
      const auth = await authSetup(flags, ctx.io, promptHidden, ctx.lang ?? 'en');
      if (auth) options.auth = auth;
      const resolve = await resolverFromFlags(flags);
      const [{ runProbe }, { connectTransport }, { createProgress }, { runFollowUp }, { createDns2Resolver }, { runDomainSecurity }, { createPolicyFetch, lookupWith, POLICY_FETCH_TIMEOUT_MS }] = await Promise.all([
        import('../../probe/run-probe.js'),
        import('../../smtp/transport.js'),
        import('../../report/progress.js'),
        import('../../probe/follow-up.js'),
        import('../../dns/dns2-resolver.js'),
        import('../../probe/domain-security.js'),
        import('../../checks/policy-fetch.js'),
      ]);
      const followUp: NonNullable<ProbeDeps['followUp']> = (sessions, fctx) => runFollowUp(
        sessions,
        { when: flags.checks, from: options.from, helo: options.helo, ...(flags.ip ? { ip: flags.ip } : {}), ...(flags.dkimSelector ? { selectors: flags.dkimSelector } : {}) },
        // The who-am-I lookup asks authoritative servers directly, never through recursion;
        // all the checks' DNS runs under the probe's run deadline (fctx).
        { resolve: fctx.resolve, resolverAt: (ip: string) => fctx.bound(createDns2Resolver({ servers: [{ address: ip, port: 53 }], timeoutMs: flags.dnsTimeout ?? 3_000 })) },
      );
      const security = flags.mtaSts === false ? undefined : async (domain: string, mailHosts: Parameters<typeof runDomainSecurity>[1], sessions: Parameters<typeof runDomainSecurity>[2]) => {
        // The policy host is looked up through the same resolver as the MX hosts (--dns).
        const fetchPolicy = createPolicyFetch({ lookup: lookupWith(resolve), ...(options.ca ? { ca: options.ca } : {}), timeoutMs: POLICY_FETCH_TIMEOUT_MS * options.timeoutScale });
        return runDomainSecurity(domain, mailHosts, sessions, { resolve, fetchPolicy, judgeSessions: options.tlsMode !== 'none' });
      };
      const { compareAllServerNames } = await import('../../probe/server-names.js');
      const progress = await createProgress(ctx.io, !p.json && !p.quiet, p.lang);
      try {
        const result = await runProbe(t, options, {
          resolve, connect: connectTransport, now: () => Date.now(), onEvent: progress.onEvent, signal: ctx.io.signal, followUp,
          serverNames: compareAllServerNames,
          ...(security ? { security } : {}),
        });
        progress.stop();
        if (ctx.io.signal.aborted) {
          ctx.exitCode = 130;
          return;
        }
        await printProbe(ctx, p, result);
      } finally {
        progress.stop();
      }
    });
  return cmd;
}
