// Finds English left in a human report rendered in another language. The English vocabulary
// is every word of the English output sentences (data/messages.json, data/labels.json) plus
// common English function words, minus the words the language's own sentences use (SMTP,
// TLS, Postfix, "port" in French…). Not checked: the transcript (-> / <- lines: the server's
// own words), values (host names, addresses, codes, URLs, flags), quoted server words and the
// blocklists' own names ("SpamCop Blocking List": names, printed as the operator spells them).
// The reply-text reason texts and the blocklists' answer meanings are checked: they render in
// every language (data/reply-reasons.i18n.json, data/dnsbl-zones.i18n.json), and the English
// words of REASON_TEXTS and ZONE_TEXTS count as English.
import labelsJson from '../../data/labels.json' with { type: 'json' };
import messagesJson from '../../data/messages.json' with { type: 'json' };
import patternsJson from '../../data/reply-patterns.json' with { type: 'json' };
import zonesJson from '../../data/dnsbl-zones.json' with { type: 'json' };
import reasonsI18nJson from '../../data/reply-reasons.i18n.json' with { type: 'json' };
import zonesI18nJson from '../../data/dnsbl-zones.i18n.json' with { type: 'json' };

type Lang = 'fr' | 'vi' | 'tr' | 'hi';
const MESSAGES = (messagesJson as unknown as { messages: Record<string, Record<string, string>> }).messages;
const LABELS = labelsJson as unknown as Record<string, Record<string, string>>;

const FUNCTION_WORDS = ['the', 'and', 'with', 'from', 'this', 'that', 'not', 'are', 'was', 'has', 'have', 'for', 'you', 'your', 'will', 'can', 'which', 'when', 'does', 'into', 'been', 'there', 'their', 'its', 'is', 'it', 'of', 'to', 'by', 'or', 'an', 'no', 'be'];

// Whole words in any script ("olağan" is one Turkish word, not "ol" + "an").
const words = (s: string): string[] => (s.replace(/\{\w+\}/gu, ' ').match(/[\p{L}\p{M}]+(?:'[a-z]+)?/gu) ?? []).map((w) => w.toLowerCase());

function englishWords(): Set<string> {
  const out = new Set(FUNCTION_WORDS);
  for (const e of Object.values(MESSAGES)) for (const w of words(e.en ?? '')) if (w.length >= 3) out.add(w);
  for (const v of Object.values(LABELS.en ?? {})) for (const w of words(v)) if (w.length >= 3) out.add(w);
  for (const v of REASON_TEXTS) for (const w of words(v)) if (w.length >= 3) out.add(w);
  for (const v of ZONE_TEXTS) for (const w of words(v)) if (w.length >= 3) out.add(w);
  return out;
}

/** Every string under a `lang` key of the reason and zone translations (any depth). */
function reasonTranslations(lang: Lang): string[] {
  const out: string[] = [];
  const walk = (x: unknown, inLang: boolean): void => {
    if (typeof x === 'string') { if (inLang) out.push(x); }
    else if (Array.isArray(x)) x.forEach((v) => walk(v, inLang));
    else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) walk(v, inLang || k === lang);
  };
  walk(reasonsI18nJson, false);
  walk(zonesI18nJson, false);
  return out;
}

function ownWords(lang: Lang): Set<string> {
  const out = new Set<string>();
  for (const v of reasonTranslations(lang)) for (const w of words(v)) out.add(w);
  for (const e of Object.values(MESSAGES)) for (const w of words(e[lang] ?? '')) out.add(w);
  for (const v of Object.values(LABELS[lang] ?? {})) for (const w of words(v)) out.add(w);
  return out;
}

/** Every English text of the reply-text reasons and patterns (title, meaning, action). */
export const REASON_TEXTS: string[] = (() => {
  const out: string[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      for (const [k, v] of Object.entries(x)) {
        if ((k === 'title' || k === 'meaning' || k === 'action') && typeof v === 'string') out.push(v);
        else walk(v);
      }
    }
  };
  walk((patternsJson as { reasons?: unknown }).reasons);
  walk((patternsJson as { patterns?: unknown }).patterns);
  return out.sort((a, b) => b.length - a.length);
})();

/** The English texts the blocklist reports print from data/dnsbl-zones.json: answer meanings,
 *  error fixes, the "other codes" texts and the octet tables (not descriptions or sources). */
export const ZONE_TEXTS: string[] = (() => {
  const out: string[] = [];
  const walk = (x: unknown, key = ''): void => {
    if (typeof x === 'string') { if (['meaning', 'fix', 'otherCodes', 'thirdLabel', 'fourthLabel'].includes(key) || /^\d+$/.test(key)) out.push(x); }
    else if (Array.isArray(x)) x.forEach((v) => walk(v, key));
    else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) walk(v, k);
  };
  walk((zonesJson as { zones: unknown }).zones);
  return out.sort((a, b) => b.length - a.length);
})();

const norm = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** The lists' names (data/dnsbl-zones.json `name`), longest first: names, not sentences. */
const ZONE_NAMES: string[] = (zonesJson as { zones: { name: string }[] }).zones.map((z) => z.name).sort((a, b) => b.length - a.length);

/** Reason names (userunknown, greylisted, …): the JSON's values, printed beside their title. */
const REASON_NAMES = new Set(Object.keys((patternsJson as { reasons?: Record<string, unknown> }).reasons ?? {}));
/** The checks' result words (RFC 8601 words, listed/clean): values, as in the JSON. */
const RESULT_WORDS = new Set(['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror', 'listed', 'clean', 'error', 'skipped', 'found']);

/** The English words found in `report` (lang's rendering), with the line each came from. */
export function englishIn(report: string, lang: Lang): string[] {
  const english = englishWords();
  const own = ownWords(lang);
  // The transcript is the server's words (and the commands sent): never translated.
  const lines = report.split('\n').filter((l) => !/^\s*(?:->|<-|~>|<~)\s/.test(l));
  let text = norm(lines.join('\n'));
  for (const n of ZONE_NAMES) text = text.split(n).join(' ');
  text = text
    .replace(/«[^»]*»|"[^"]*"|'[^'\s][^']*'|“[^”]*”/g, ' ') // quoted server words
    .replace(/https?:\/\/\S+/g, ' ');
  const found: string[] = [];
  for (const token of text.split(' ')) {
    // Values: host names, addresses, codes, flags, file names.
    if (/[@\d_/<>[\]=]|\w\.\w|^--?\w|\w:\w/.test(token)) continue;
    // SMTP keywords and extension names (PIPELINING, SIZE, STARTTLS) are values too.
    if (/^[(]?[A-Z][A-Z0-9-]+[),.;:]*$/.test(token)) continue;
    for (const w of words(token)) if (english.has(w) && !own.has(w) && !REASON_NAMES.has(w) && !RESULT_WORDS.has(w)) found.push(`${w} (in "${token}")`);
  }
  return found;
}
