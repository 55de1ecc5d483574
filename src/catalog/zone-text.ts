// The blocklists' answer meanings in the user's language. English lives in data/dnsbl-zones.json
// (what the core returns and --json keeps); fr/vi/tr/hi live in data/dnsbl-zones.i18n.json, keyed
// by zone id and return code, bit, error code or octet. The catalog (messages.ts) reads these
// texts back like its own sentences, by their exact English, so the blocklist report and the
// probe's findings print them in the language asked for. Pure lookups, no I/O.
import zonesJson from '../../data/dnsbl-zones.json' with { type: 'json' };
import i18nJson from '../../data/dnsbl-zones.i18n.json' with { type: 'json' };
import type { Lang } from './data.js';

export type OtherLang = Exclude<Lang, 'en'>;
type PerLang = Partial<Record<OtherLang, string>>;
type CodeLike = { value?: string; from?: string; to?: string; bit?: number; label?: string; meaning: string; fix?: string };
interface ZoneData {
  id: string;
  codes?: CodeLike[];
  bits?: CodeLike[];
  errors?: CodeLike[];
  otherCodes?: string;
  octets?: { third?: Record<string, string>; fourth?: Record<string, string>; thirdLabel?: string; fourthLabel?: string };
}
interface ZoneI18n {
  codes?: Record<string, PerLang>;
  bits?: Record<string, PerLang>;
  otherCodes?: PerLang;
  errors?: Record<string, { meaning?: PerLang; fix?: PerLang }>;
  octets?: { thirdLabel?: PerLang; fourthLabel?: PerLang; third?: Record<string, PerLang>; fourth?: Record<string, PerLang> };
}

const ZONES = (zonesJson as unknown as { zones: ZoneData[] }).zones;
export const ZONE_I18N = (i18nJson as unknown as { zones: Record<string, ZoneI18n> }).zones;

/** One English text of the zone catalog: where it sits (`zone-id codes 127.0.0.2`) and its translations. */
export interface ZoneText { where: string; en: string; i18n: PerLang }

const codeKey = (c: CodeLike): string => c.value ?? `${c.from}-${c.to}`;

/** Every text of data/dnsbl-zones.json that a report prints, with its translations (tests walk these). */
export function zoneTexts(): ZoneText[] {
  const out: ZoneText[] = [];
  for (const z of ZONES) {
    const t = ZONE_I18N[z.id] ?? {};
    const add = (where: string, en: string | undefined, i18n: PerLang | undefined): void => { if (en !== undefined) out.push({ where: `${z.id} ${where}`, en, i18n: i18n ?? {} }); };
    for (const c of z.codes ?? []) add(`codes ${codeKey(c)}`, c.meaning, t.codes?.[codeKey(c)]);
    for (const b of z.bits ?? []) add(`bits ${b.bit}`, b.meaning, t.bits?.[String(b.bit)]);
    add('otherCodes', z.otherCodes, t.otherCodes);
    for (const e of z.errors ?? []) {
      add(`errors ${codeKey(e)} meaning`, e.meaning, t.errors?.[codeKey(e)]?.meaning);
      add(`errors ${codeKey(e)} fix`, e.fix, t.errors?.[codeKey(e)]?.fix);
    }
    const o = z.octets;
    if (o) {
      add('octets thirdLabel', o.thirdLabel, t.octets?.thirdLabel);
      add('octets fourthLabel', o.fourthLabel, t.octets?.fourthLabel);
      for (const [n, v] of Object.entries(o.third ?? {})) add(`octets third ${n}`, v, t.octets?.third?.[n]);
      for (const [n, v] of Object.entries(o.fourth ?? {})) add(`octets fourth ${n}`, v, t.octets?.fourth?.[n]);
    }
  }
  return out;
}

let book: Map<string, PerLang> | undefined;
let labels: Set<string> | undefined;

/** English → translations; a text used by several zones takes the first zone's words. */
function phraseBook(): Map<string, PerLang> {
  if (book) return book;
  book = new Map();
  for (const x of zoneTexts()) {
    const have = book.get(x.en) ?? {};
    book.set(x.en, { ...x.i18n, ...have });
  }
  return book;
}

/** The labels the catalog gives answers (SBL, XBL, "open DNS resolver", …, "flag 16"). */
function knownLabel(label: string): boolean {
  if (!labels) {
    labels = new Set();
    for (const z of ZONES) {
      for (const c of [...(z.codes ?? []), ...(z.bits ?? [])]) if (c.label) labels.add(c.label);
      for (const v of Object.values(z.octets?.fourth ?? {})) labels.add(v.split(' ')[0] ?? v);
    }
  }
  return labels.has(label) || /^flag \d+$/.test(label);
}

/** A label that names a list or sub-list (SBL, PBL-ISP, RATS-NoPtr, H3): the same in every
 *  language. Other labels are English descriptions, left out of other languages: the answer's
 *  translated meaning says the same. */
export function isIdentifierLabel(label: string): boolean {
  return /^[A-Z0-9]{2,}(?:-[A-Za-z0-9]+)*$/.test(label);
}

const ANSWER = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}) (.+)$/;

/** Whether `text` is a zone text (or an answer with its label, "127.0.0.2 SBL"), which
 *  zoneTextIn() renders in every language it has. */
export function isZoneText(text: string): boolean {
  if (phraseBook().has(text)) return true;
  const m = ANSWER.exec(text);
  return m !== null && knownLabel(m[2]!);
}

/** `text` in `lang` when it is a translated zone text; undefined when there is no translation. */
export function zoneTextIn(lang: Lang, text: string): string | undefined {
  if (lang === 'en') return text;
  const m = ANSWER.exec(text);
  if (m && knownLabel(m[2]!)) return isIdentifierLabel(m[2]!) ? text : m[1]!;
  return phraseBook().get(text)?.[lang];
}

/** The zone texts among `texts` that have no translation into `lang` (they print in English). */
export function untranslatedZoneTexts(lang: Lang, texts: readonly string[]): string[] {
  if (lang === 'en') return [];
  return [...new Set(texts.filter((x) => phraseBook().has(x) && zoneTextIn(lang, x) === undefined))];
}

/** One zone text a --json result carries in English because `lang` has no translation of it. */
export interface ZoneTextFallback { zone: string; text: string }

/** The zone texts of a blocklist (or --health) result left in English for `lang`: what --json
 *  names in `fallback`, so a missing translation is never a silent switch of language. */
export function zoneFallbacks(lang: Lang, zones: readonly { zone: string; codes?: readonly { meaning: string }[]; problem?: { message: string; fix: string } }[]): ZoneTextFallback[] {
  if (lang === 'en') return [];
  const out: ZoneTextFallback[] = [];
  for (const z of zones) {
    const texts = [...(z.codes ?? []).map((c) => c.meaning), ...(z.problem ? [z.problem.message, z.problem.fix] : [])];
    for (const text of untranslatedZoneTexts(lang, texts)) out.push({ zone: z.zone, text });
  }
  return out;
}

/** Forget the English → translation table (tests change ZONE_I18N to see a fallback). */
export function reloadZoneTexts(): void {
  book = undefined;
}
