// Runs the program against an Io and returns the exit code: the single catch-all.
// Usage errors → one line, exit 2. Anything unexpected → one line (stack with --verbose), exit 1.
import { CommanderError } from 'commander';
import { createProgram, mistypedCommand } from './program.js';
import type { CliContext } from './context.js';
import type { Io } from './io.js';
import { ExitCode } from './exit-codes.js';
import { SmtpProbeError, UsageError } from '../errors.js';
import { printableLines } from '../report/printable.js';
import { guardWritable } from './safe-output.js';
import { refusePasswordArgv } from './auth-flags.js';
import { cliLine, earlyLang } from './stderr-lang.js';
import { say } from '../catalog/messages.js';

export async function runCli(argv: readonly string[], rawIo: Io): Promise<number> {
  // Everything a command writes to stdout passes the terminal guard (safe-output.ts).
  const stdout = guardWritable(rawIo.stdout);
  try {
    return await runGuarded(argv, { ...rawIo, stdout });
  } finally {
    await stdout.flushAndEnd();
  }
}

async function runGuarded(argv: readonly string[], io: Io): Promise<number> {
  // Errors about the flags themselves are written in the language asked for (stderr-lang.ts).
  const lang = earlyLang(argv, io.env);
  const ctx: CliContext = { io, exitCode: ExitCode.ok, lang };
  const program = createProgram(ctx);
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  if (argv.length === 0) {
    // No target and no command: what a person needs first is the overview, not an error.
    program.outputHelp();
    return ExitCode.usage;
  }
  // A password on the command line is refused before commander could echo it (auth-flags.ts).
  try {
    refusePasswordArgv(argv, io.env);
  } catch (e) {
    io.stderr.write(cliLine(lang, (e as Error).message));
    return ExitCode.usage;
  }
  // A bare target is a probe, so commander would take "verfy" for a host name: catch typos first.
  const typo = mistypedCommand(program, argv);
  if (typo) {
    io.stderr.write(cliLine(lang, typo));
    return ExitCode.usage;
  }
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with exit code 0; parse errors were already printed.
      return e.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (e instanceof UsageError) {
      io.stderr.write(cliLine(lang, e.message));
      return ExitCode.usage;
    }
    if (io.signal.aborted) return ExitCode.interrupted;
    const msg = e instanceof Error ? e.message : String(e);
    io.stderr.write(cliLine(lang, say(verbose ? 'cli.internal-error' : 'cli.internal-error.hint', { errorMsg: msg })));
    if (verbose && e instanceof Error && e.stack) io.stderr.write(`${printableLines(e.stack)}\n`);
    if (e instanceof SmtpProbeError && verbose && e.cause) io.stderr.write(`cause: ${printableLines(String(e.cause))}\n`);
    return ExitCode.internal;
  }
}
