// UI labels and localized catalog fields. English is the base: a missing label or a
// missing translation of catalog text falls back to English, field by field.
import { LABELS, LANGS, type Lang, type LocalizedFields } from './data.js';

export function isLang(s: string): s is Lang {
  return (LANGS as readonly string[]).includes(s);
}

/** Language from LC_ALL, LC_MESSAGES, LANG ("fr_FR.UTF-8" → fr); English when none fits. */
export function langFromEnv(env: Record<string, string | undefined>): Lang {
  for (const key of ['LC_ALL', 'LC_MESSAGES', 'LANG'] as const) {
    const v = env[key];
    if (!v) continue;
    const code = v.slice(0, 2).toLowerCase();
    return isLang(code) ? code : 'en';
  }
  return 'en';
}

export function label(lang: Lang, key: string, vars: Record<string, string> = {}): string {
  const template = LABELS[lang][key] ?? LABELS.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? `{${k}}`);
}

/** The entry's field in `lang` when translated, else the English field. */
export function localized<T extends LocalizedFields>(
  entry: T & { i18n?: Partial<Record<Lang, LocalizedFields>> },
  field: keyof LocalizedFields,
  lang: Lang,
): string | undefined {
  return entry.i18n?.[lang]?.[field] ?? entry[field];
}

/** "MAIL FROM and RCPT TO" in the language's words. */
export function joinStages(lang: Lang, stages: readonly string[]): string {
  const names = stages.map((s) => label(lang, `stage.${s}`));
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} ${label(lang, 'and')} ${names[names.length - 1]}`;
}
