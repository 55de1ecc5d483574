// `smtp-probe man` (the manual page, roff, for `man -l -` or man/smtp-probe.1) and
// `smtp-probe completion bash|zsh|fish`: both rendered from the program's own definitions.
import { Argument, Command } from 'commander';
import type { CliContext } from '../context.js';
import { cliSpec } from '../reference/cli-spec.js';
import { renderManPage } from '../reference/man-page.js';
import { renderCompletion, SHELLS, type Shell } from '../reference/completion.js';
import { ENVIRONMENT, EXIT_CODES } from '../exit-codes-help.js';

const rootOf = (c: Command): Command => (c.parent ? rootOf(c.parent) : c);

export function manCommand(ctx: CliContext, defaultCommand: string): Command {
  return new Command('man')
    .description('print the manual page (roff): smtp-probe man | man -l -')
    .action((_opts: unknown, command: Command) => {
      ctx.io.stdout.write(renderManPage(cliSpec(rootOf(command), defaultCommand), { exitCodes: EXIT_CODES, environment: ENVIRONMENT }));
    });
}

export function completionCommand(ctx: CliContext, defaultCommand: string): Command {
  return new Command('completion')
    .description('print a shell completion script: source <(smtp-probe completion bash)')
    .addArgument(new Argument('<shell>', 'the shell: bash, zsh or fish').choices(SHELLS))
    .addHelpText('after', `
Load it for this shell session, or add the line to your shell's start-up file:
  bash: source <(smtp-probe completion bash)          (~/.bashrc)
  zsh:  source <(smtp-probe completion zsh)           (~/.zshrc)
  fish: smtp-probe completion fish | source           (~/.config/fish/config.fish)`)
    .action((shell: Shell, _opts: unknown, command: Command) => {
      ctx.io.stdout.write(renderCompletion(cliSpec(rootOf(command), defaultCommand), shell));
    });
}
