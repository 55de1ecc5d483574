// The commander root: global flags, one addCommand per command file, errors routed to
// the Io instead of process.exit (exitOverride), so the program runs in-process in tests.
import { Command, Option } from 'commander';
import type { CliContext } from './context.js';
import { explainCommand } from './commands/explain.js';
import { blocklistCommand } from './commands/blocklist.js';
import { probeCommand } from './commands/probe.js';
import { demoCommand } from './commands/demo.js';
import { authCommand } from './commands/auth.js';
import { verifyCommand } from './commands/verify.js';
import { workerCommand } from './commands/worker.js';
import { completionCommand, manCommand } from './commands/reference.js';
import { VERSION } from '../version.js';
import { collectResolver, parseDuration } from './options.js';
import { firstWord, suggestCommands } from './suggest.js';
import { commanderLine } from './stderr-lang.js';
import { say } from '../catalog/messages.js';

/** The command a bare target runs. */
export const DEFAULT_COMMAND = 'probe';

export function createProgram(ctx: CliContext): Command {
  const program = new Command('smtp-probe')
    .description('Live SMTP diagnostics: see every step of a real SMTP dialogue, every reply explained.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--json', 'print one JSON object (documented, with schemaVersion) instead of text')
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .addOption(new Option('--lang <lang>', 'language of explanations (default from LANG)').choices(['en', 'fr', 'vi', 'tr', 'hi']))
    .option('-v, --verbose', 'more detail; stack traces for internal errors')
    .option('-q, --quiet', 'print only the verdict')
    .option('--resolver <ip[:port]>', 'DNS server to ask instead of the system\'s (repeatable)', collectResolver)
    .option('--dns-timeout <duration>', 'deadline for each DNS lookup (default 5s)', parseDuration)
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
      // commander's own errors (unknown flag, missing argument): one line, ours.
      outputError: (s, write) => write(commanderLine(ctx.lang ?? 'en', s)),
    });
  program.addCommand(probeCommand(ctx), { isDefault: true });
  program.addCommand(explainCommand(ctx));
  program.addCommand(blocklistCommand(ctx));
  program.addCommand(demoCommand(ctx));
  program.addCommand(authCommand(ctx));
  program.addCommand(verifyCommand(ctx));
  program.addCommand(workerCommand(ctx));
  program.addCommand(manCommand(ctx, DEFAULT_COMMAND));
  program.addCommand(completionCommand(ctx, DEFAULT_COMMAND));
  for (const c of program.commands) {
    // A command's --help lists the global flags too: they work after the command name.
    c.configureHelp({ showGlobalOptions: true });
    c.exitOverride().configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
      outputError: (s, write) => write(commanderLine(ctx.lang ?? 'en', s)),
    });
  }
  program.addHelpText(
    'after',
    `
Examples:
  smtp-probe demo                         a whole probe, offline, against built-in servers
  smtp-probe example.com                  probe the domain's MX hosts on port 25
  smtp-probe bob@example.com --port all   does the server accept this recipient? (25, 587, 465)
  smtp-probe verify --file list.txt --json
  smtp-probe blocklist 192.0.2.25
  smtp-probe auth example.com --ip 192.0.2.25
  smtp-probe explain 550                  what a reply code means
  smtp-probe explain 220 554              compare two codes

Exit codes: 0 ok, 1 internal error, 2 usage error, 3 network, 4 timeout,
5 rejected, 6 no such recipient, 7 temporary failure, 8 a check found a problem, 130 interrupted.`,
  );
  return program;
}

/**
 * "unknown command" with a suggestion when the first word is not a command but a likely typo of
 * one (suggest.ts says which words can be); undefined when argv is fine for commander.
 */
export function mistypedCommand(program: Command, argv: readonly string[]): string | undefined {
  const def = program.commands.find((c) => c.name() === DEFAULT_COMMAND);
  const options = [...program.options, ...(def?.options ?? [])];
  const takesValue = (flag: string): boolean => options.some((o) => (o.long === flag || o.short === flag) && (o.required || o.optional));
  const first = firstWord(argv, takesValue);
  if (!first) return undefined;
  const names = [...program.commands.map((c) => c.name()), 'help'];
  const near = suggestCommands(first.word, names);
  if (near.length === 0) return undefined;
  const fixed = [program.name(), ...argv.map((a, i) => (i === first.index ? near[0] : a))].join(' ');
  if (near.length === 1) return say('cli.did-you-mean.one', { word: first.word, name: near[0], fixed });
  if (near.length === 2) return say('cli.did-you-mean.two', { word: first.word, name: near[0], other: near[1], fixed });
  return say('cli.did-you-mean.many', { word: first.word, names: near.map((n) => `"${n}"`).join(', '), fixed });
}
