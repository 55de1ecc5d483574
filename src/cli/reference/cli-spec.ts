// The command line as plain data, read from the commander definitions themselves: commands,
// arguments, flags (value, choices, default) and texts. The man page and the shell completions
// are rendered from it, so neither can drift from what the program accepts.
import type { Argument, Command, Option } from 'commander';

export interface FlagSpec {
  /** As written in help: "-p, --port <ports>". */
  flags: string;
  long?: string;
  short?: string;
  /** The value's name ("ports") when the flag takes one. */
  value?: string;
  description: string;
  choices?: string[];
  defaultText?: string;
}

export interface ArgSpec { name: string; description: string; required: boolean; variadic: boolean }

export interface CommandSpec {
  name: string;
  summary: string;
  description: string;
  usage: string;
  isDefault: boolean;
  arguments: ArgSpec[];
  options: FlagSpec[];
  /** Help text added after the options (examples), without the leading blank line. */
  after?: string;
}

export interface CliSpec {
  name: string;
  version: string;
  description: string;
  globalOptions: FlagSpec[];
  commands: CommandSpec[];
}

function flagSpec(o: Option): FlagSpec {
  const value = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1];
  const def = o.defaultValueDescription ?? (o.defaultValue !== undefined && typeof o.defaultValue !== 'boolean' && !Array.isArray(o.defaultValue) ? String(o.defaultValue) : undefined);
  return {
    flags: o.flags,
    ...(o.long ? { long: o.long } : {}),
    ...(o.short ? { short: o.short } : {}),
    ...(value ? { value } : {}),
    description: o.description,
    ...(o.argChoices ? { choices: [...o.argChoices] } : {}),
    ...(def !== undefined && value ? { defaultText: def } : {}),
  };
}

const HELP: FlagSpec = { flags: '-h, --help', long: '--help', short: '-h', description: 'show help (a command\'s --help lists its flags and the global ones)' };

function argSpec(a: Argument): ArgSpec {
  return { name: a.name(), description: a.description, required: a.required, variadic: a.variadic };
}

/** Help text a command added with addHelpText('after', …), if any (commander keeps it as a listener). */
function afterText(cmd: Command): string | undefined {
  let text = '';
  const fake = { error: false, command: cmd } as const;
  // Command extends EventEmitter at run time; its typings leave that out.
  for (const l of (cmd as unknown as NodeJS.EventEmitter).listeners('afterHelp')) {
    const write = (s: string): void => { text += s; };
    // addHelpText('after', text) registers a listener that writes through the context's write.
    (l as (ctx: unknown) => void)({ ...fake, write });
  }
  const t = text.replace(/^\n+/, '').trimEnd();
  return t === '' ? undefined : t;
}

export function cliSpec(program: Command, defaultCommand: string): CliSpec {
  const visible = (o: Option): boolean => !(o as Option & { hidden?: boolean }).hidden;
  return {
    name: program.name(),
    version: program.version() ?? '',
    description: program.description(),
    globalOptions: [...program.options.filter(visible).map(flagSpec), HELP],
    commands: program.commands
      .filter((c) => !(c as Command & { _hidden?: boolean })._hidden)
      .map((c) => ({
        name: c.name(),
        summary: c.summary() || c.description().split(/[:;]\s/)[0] || '',
        description: c.description(),
        usage: c.usage(),
        isDefault: c.name() === defaultCommand,
        arguments: c.registeredArguments.map(argSpec),
        options: c.options.filter(visible).map(flagSpec),
        ...(afterText(c) ? { after: afterText(c) } : {}),
      })),
  };
}
