// The language of what the CLI itself writes on stderr (usage errors, commander's own
// messages, notes), known before anything is parsed: --lang X / --lang=X anywhere in argv,
// else LC_ALL/LC_MESSAGES/LANG. A bad error about a bad flag must already be in that language.
// cliLine() is the one place such a line is localised: the core wrote it in English with say().
import type { Lang } from '../catalog/data.js';
import { isLang, langFromEnv } from '../catalog/i18n.js';
import { localize, t } from '../catalog/messages.js';
import { printableLines } from '../report/printable.js';

/** --lang from argv (the last one wins, as commander does), else the environment's language. */
export function earlyLang(argv: readonly string[], env: Record<string, string | undefined>): Lang {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') break;
    if (a === '--lang') found = argv[++i];
    else if (a.startsWith('--lang=')) found = a.slice(7);
  }
  return found !== undefined && isLang(found) ? found : langFromEnv(env);
}

/**
 * commander's own messages ("error: unknown option '--x'\n(Did you mean --y?)"): one line,
 * localised (data/messages.json has commander's sentences as cli.* keys), with "(see --help)".
 */
export function commanderLine(lang: Lang, raw: string): string {
  const text = raw.trim().replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
  return `smtp-probe: ${printableLines(localize(lang, text))} ${t(lang, 'cli.see-help')}\n`;
}

/** One "smtp-probe: …" line of an English sentence the core wrote with say(), in `lang`. */
export function cliLine(lang: Lang, english: string): string {
  return `smtp-probe: ${printableLines(localize(lang, english))}\n`;
}
