// `smtp-probe blocklist <ip|domain>`: flags → checkBlocklists (or the --health self-test)
// → renderer, and the exit code (8 listed on a block list, 3 every zone failed, 2 bad input).
// The check and the renderer are imported lazily so other commands do not pay for them.
import { Command } from 'commander';
import { presentation, type CliContext, type GlobalFlags } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { collect, resolverFromFlags, serversFromFlags, type ResolverFlags } from '../options.js';
import { UsageError } from '../../errors.js';
import { zoneFallbacks } from '../../catalog/zone-text.js';
import { BLOCKLIST_DEADLINE_MS, commandDeadline, deadlineNote } from '../deadline.js';
import { say } from '../../catalog/messages.js';

interface BlocklistFlags { zone?: string[]; zonesOnly?: boolean; health?: boolean }

export function blocklistCommand(ctx: CliContext): Command {
  return new Command('blocklist')
    .description('check an IP address or a domain against DNS blocklists (DNSBL/RHSBL) and allow-lists, all at once')
    .argument('[target]', 'IPv4 or IPv6 address, or a domain')
    .option('--zone <zone>', 'also check this zone (repeatable), e.g. a Spamhaus DQS zone KEY.zen.dq.spamhaus.net', collect)
    .option('--zones-only', 'check only the zones given with --zone')
    .option('--health', 'self-test the zones instead (RFC 5782: 127.0.0.2 / TEST listed, 127.0.0.1 / INVALID not)')
    .addHelpText(
      'after',
      `
Examples:
  smtp-probe blocklist 192.0.2.25
  smtp-probe blocklist 2001:db8::25
  smtp-probe blocklist example.com                  domain lists (Spamhaus DBL, SURBL, URIBL, ...)
  smtp-probe blocklist 192.0.2.25 --zone KEY.zen.dq.spamhaus.net
  smtp-probe blocklist 192.0.2.25 --zones-only --zone bl.spamcop.net --zone psbl.surriel.com
  smtp-probe blocklist 192.0.2.25 --resolver 127.0.0.1 --json
  smtp-probe blocklist --health                     which zones are dead or list everything

Several lists (Spamhaus, SURBL, URIBL, DNSWL) refuse queries that come through public
resolvers such as 8.8.8.8 and answer with error codes instead; those are reported as
errors, never as listings. Query through your own resolver (--resolver) for real answers.

The whole run has a deadline of ${BLOCKLIST_DEADLINE_MS / 1000} s (each lookup also has --dns-timeout);
zones it cuts are reported as timeouts, and the output says so.

Exit codes: 0 not listed (at least half of the lists answered), 8 listed on a block list
(allow-lists do not count; with --health: a zone is dead or lists everything), 3 could not
check (fewer than half of the lists answered: the output says why, once per cause), 6 the
domain does not exist (and no list has it), 2 bad input.`,
    )
    .action(async (target: string | undefined, _opts: unknown, cmd: Command) => {
      const p = presentation(ctx, cmd);
      const flags = cmd.optsWithGlobals<BlocklistFlags & ResolverFlags & GlobalFlags>();
      if (flags.health && target !== undefined) throw new UsageError(say('usage.blocklist.health-target'));
      if (!flags.health && target === undefined) throw new UsageError(say('usage.blocklist.no-target'));
      const [dnsbl, render] = await Promise.all([import('../../checks/dnsbl.js'), import('../../report/blocklist-human.js')]);
      const zoneOpts = { extraZones: flags.zone ?? [], zonesOnly: flags.zonesOnly === true };
      // Validate the zones before any DNS traffic: bad input exits 2 without a query.
      dnsbl.selectZones(zoneOpts);
      const servers = serversFromFlags(flags);
      // One total deadline for the run (every zone, its TXT, the self-test's two questions).
      const deadline = commandDeadline(await resolverFromFlags(flags), BLOCKLIST_DEADLINE_MS);
      const resolve = deadline.resolve;
      const ro = { chalk: p.chalk, width: p.width, verbose: p.verbose, quiet: p.quiet, lang: p.lang };

      if (flags.health) {
        const h = await dnsbl.checkZoneHealth({ resolve, ...zoneOpts });
        const dl = deadline.report();
        const fallback = zoneFallbacks(p.lang, h.zones.map((z) => ({ zone: z.zone, ...(z.positive?.problem ? { problem: z.positive.problem } : {}) })));
        ctx.io.stdout.write(p.json ? `${JSON.stringify({ schemaVersion: 1, command: 'blocklist', mode: 'health', ...h, deadline: dl, ...(fallback.length ? { fallback } : {}) }, null, 2)}\n` : render.renderBlocklistHealth(h, ro) + deadlineNote(dl, p.chalk, p.lang));
        const tested = h.counts.total - h.counts.notApplicable;
        ctx.exitCode = h.counts.dead + h.counts.listsEverything > 0 ? ExitCode.checkFailed
          : tested > 0 && h.counts.error + h.counts.timeout === tested ? ExitCode.network : ExitCode.ok;
        return;
      }

      const subject = dnsbl.parseSubject(target ?? '');
      const zones = dnsbl.selectZones(zoneOpts);
      if (!zones.some((z) => !('notApplicable' in dnsbl.planQuery(subject, z)) && !(z.keyZone && !z.keyed))) {
        throw new UsageError(say(`usage.blocklist.none-for.${subject.kind === 'domain' ? 'domain' : subject.kind === 'ipv4' ? 'ipv4' : 'ipv6'}`));
      }
      const r = await dnsbl.checkBlocklists(target ?? '', {
        resolve,
        ...zoneOpts,
        publicResolver: servers.some((s) => dnsbl.isPublicResolver(s.address)),
      });
      const dl = deadline.report();
      // --json stays English; a zone text with no translation into --lang is named (never a silent switch).
      const fallback = zoneFallbacks(p.lang, r.zones);
      ctx.io.stdout.write(p.json ? `${JSON.stringify({ schemaVersion: 1, command: 'blocklist', mode: 'check', ...r, deadline: dl, ...(fallback.length ? { fallback } : {}) }, null, 2)}\n` : render.renderBlocklist(r, ro) + deadlineNote(dl, p.chalk, p.lang));
      // The README's table: listed 8; could not check 3; a domain that does not exist 6 (as in
      // probe, verify and auth); otherwise 0.
      ctx.exitCode = r.verdict === 'listed' ? ExitCode.checkFailed : r.verdict === 'error' ? ExitCode.network : r.subjectExists === false ? ExitCode.noSuchUser : ExitCode.ok;
    });
}
