// `smtp-probe auth <domain>`: flags → checkAuth (SPF, DKIM, DMARC, reverse DNS) → renderer,
// and the exit code (8 a check found a problem, 3 DNS failed for everything, 2 bad input).
// The checks and the renderer are imported lazily so other commands do not pay for them.
import { Command, Option } from 'commander';
import { presentation, type CliContext, type GlobalFlags } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { collect, parseIp, resolverFromFlags, type ResolverFlags } from '../options.js';
import { UsageError } from '../../errors.js';
import { AUTH_DEADLINE_MS, commandDeadline, deadlineNote } from '../deadline.js';
import { say } from '../../catalog/messages.js';

interface AuthFlags { ip?: string; from?: string; helo?: string; dkimSelector?: string[]; dmarcMode?: 'rfc9989' | 'rfc7489' }

// CR, LF and NUL never pass (DESIGN.md safety invariants), nor anything over RFC 5321 sizes.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** --from: an address, or "" / "<>" for the null sender (RFC 5321 §4.5.5). */
export function parseFrom(value: string): string {
  const v = value.trim().replace(/^<(.*)>$/, '$1');
  if (v === '') return '';
  if (CONTROL.test(v) || v.length > 256) throw new UsageError(say('usage.from.unusable', { value }));
  const at = v.lastIndexOf('@');
  if (at <= 0 || at === v.length - 1 || /[\s<>]/.test(v)) throw new UsageError(say('usage.from.not-address', { value }));
  return v;
}

/** --helo: a domain name or an address literal such as [192.0.2.1] (RFC 5321 §4.1.3). */
export function parseHelo(value: string): string {
  const v = value.trim();
  if (v === '' || CONTROL.test(v) || v.length > 255 || /\s/.test(v)) throw new UsageError(say('usage.helo.not-host', { value }));
  if (/^\[.*\]$/.test(v)) return v;
  if (!/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?$/.test(v)) throw new UsageError(say('usage.helo.not-host', { value }));
  return v;
}

export function authCommand(ctx: CliContext): Command {
  return new Command('auth')
    .description('check the sender authentication of a domain: SPF, DKIM keys, DMARC, and the reverse DNS of the sending IP')
    .argument('<domain>', 'the sending domain (the From: domain of your mail)')
    .option('--ip <ip>', 'the sending IP: evaluate SPF and DMARC alignment for it and check its reverse DNS', parseIp)
    .option('--from <address>', 'MAIL FROM address for SPF (default postmaster@<domain>; "" = null sender, then the HELO name is checked)')
    .option('--helo <name>', 'the HELO/EHLO name your server uses')
    .option('--dkim-selector <selector>', 'a DKIM selector to check besides the common ones (repeatable)', collect)
    .addOption(new Option('--dmarc-mode <rfc>', 'DMARC rules: rfc9989 (DNS tree walk; default) or rfc7489 (Public Suffix List)').choices(['rfc9989', 'rfc7489']))
    .addHelpText(
      'after',
      `
Examples:
  smtp-probe auth example.com
  smtp-probe auth example.com --ip 203.0.113.5 --helo mail.example.com
  smtp-probe auth example.com --ip 203.0.113.5 --from bounces@mail.example.com
  smtp-probe auth example.com --ip 203.0.113.5 --from "" --helo mail.example.com   null sender
  smtp-probe auth example.com --dkim-selector s2024 --dkim-selector s2025
  smtp-probe auth example.com --resolver 127.0.0.1 --json

DKIM selectors cannot be listed from DNS: common ones are tried; find yours in the s= tag
of the DKIM-Signature header of a message you sent and pass it with --dkim-selector.

The whole report has a deadline of ${AUTH_DEADLINE_MS / 1000} s (each lookup also has --dns-timeout);
lookups it cuts are named in the output.

Exit codes: 0 nothing wrong found, 8 a check found a problem (SPF fail/permerror, no or
broken DMARC, an unusable DKIM key, no or unconfirmed reverse DNS), 3 DNS failed for
every check, 6 the domain does not exist (NXDOMAIN), 2 bad input.`,
    )
    .action(async (domain: string, _opts: unknown, cmd: Command) => {
      const p = presentation(ctx, cmd);
      const flags = cmd.optsWithGlobals<AuthFlags & ResolverFlags & GlobalFlags>();
      const from = flags.from === undefined ? undefined : parseFrom(flags.from);
      const helo = flags.helo === undefined ? undefined : parseHelo(flags.helo);
      if (CONTROL.test(domain)) throw new UsageError(say('usage.domain.not-domain', { value: domain.replace(/[\u0000-\u001f\u007f]/g, '?') }));
      const [{ checkAuth }, render] = await Promise.all([import('../../checks/auth.js'), import('../../report/auth-human.js')]);
      // One total deadline for the whole report, however deep the SPF include chain.
      const deadline = commandDeadline(await resolverFromFlags(flags), AUTH_DEADLINE_MS);
      const result = await checkAuth(domain, {
        resolve: deadline.resolve,
        ...(flags.ip ? { ip: flags.ip } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(helo ? { helo } : {}),
        selectors: flags.dkimSelector ?? [],
        ...(flags.dmarcMode ? { dmarcMode: flags.dmarcMode } : {}),
      });
      const { schemaVersion, ...rest } = result;
      const dl = deadline.report();
      ctx.io.stdout.write(p.json
        ? `${JSON.stringify({ schemaVersion, command: 'auth', ...rest, deadline: dl }, null, 2)}\n`
        : render.renderAuth(result, { chalk: p.chalk, width: p.width, verbose: p.verbose, quiet: p.quiet, lang: p.lang }) + deadlineNote(dl, p.chalk, p.lang));
      ctx.exitCode = result.verdict.status === 'fail' ? ExitCode.checkFailed : result.verdict.status === 'error' ? ExitCode.network
        : result.verdict.status === 'no-such-domain' ? ExitCode.noSuchUser : ExitCode.ok;
    });
}
