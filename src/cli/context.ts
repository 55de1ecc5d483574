// What every command gets: the Io, the global flags resolved (language, colour, width),
// and a way to set the exit code. Commands return; they never call process.exit.
import { Chalk, supportsColor, type ChalkInstance } from 'chalk';
import type { Command } from 'commander';
import type { Lang } from '../catalog/data.js';
import { isLang, langFromEnv } from '../catalog/i18n.js';
import type { Io } from './io.js';
import { UsageError } from '../errors.js';
import { say } from '../catalog/messages.js';

export interface GlobalFlags {
  json?: boolean;
  color?: boolean; // commander's --no-color sets color=false
  lang?: string;
  verbose?: boolean;
  quiet?: boolean;
}

export interface CliContext {
  io: Io;
  exitCode: number;
  /** The language of stderr lines, known before parsing (stderr-lang.ts); English when absent. */
  lang?: Lang;
}

export interface Presentation {
  json: boolean;
  verbose: boolean;
  quiet: boolean;
  lang: Lang;
  chalk: ChalkInstance;
  width: number;
}

export function presentation(ctx: CliContext, cmd: Command): Presentation {
  const flags = cmd.optsWithGlobals<GlobalFlags>();
  const env = ctx.io.env;
  if (flags.lang !== undefined && !isLang(flags.lang)) {
    throw new UsageError(say('cli.unknown-language', { lang: flags.lang }));
  }
  const lang = flags.lang ?? langFromEnv(env);
  // NO_COLOR (https://no-color.org): any non-empty value turns colour off.
  const noColor = flags.color === false || (env.NO_COLOR !== undefined && env.NO_COLOR !== '');
  let level: 0 | 1 | 2 | 3 = 0;
  if (!noColor) {
    const force = env.FORCE_COLOR;
    if (force !== undefined && force !== '' && force !== '0' && force !== 'false') level = (Math.min(3, Number(force) || 1) as 1 | 2 | 3);
    else if (ctx.io.stdoutIsTTY && supportsColor) level = supportsColor.level;
  }
  return {
    json: flags.json === true,
    verbose: flags.verbose === true,
    quiet: flags.quiet === true,
    lang,
    chalk: new Chalk({ level }),
    width: Math.max(40, Math.min(100, ctx.io.columns ?? 80)),
  };
}

export function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text);
}
