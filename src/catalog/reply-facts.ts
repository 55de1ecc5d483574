// What a reply text states outright: blocklist zones, the client IP the server saw, provider
// reference codes, URLs, a retry-after hint and mail addresses. Pure string work over the
// tables in data/reply-patterns.json; never resolves, connects or prints anything.
import { isIPv6 } from 'node:net';
import data from '../../data/reply-patterns.json' with { type: 'json' };

export interface ReplyFacts {
  /** DNSBL zones the text names ("blocked using zen.spamhaus.org", "Barracuda Reputation"). */
  zones?: string[];
  /** IP addresses the server quotes: in practice the client IP it saw. */
  ips?: string[];
  /** Provider reference codes (S3150, AS(1410), TSS04, AUP#CXBL, IB104, POL-P1, OFR_416...). */
  providerCodes?: string[];
  urls?: string[];
  /** "try again in 5 minutes", "come back in 00:05:00": the server's own retry hint. */
  retryAfterSeconds?: number;
  addresses?: string[];
}

export interface BlocklistOperator { suffix: string; name: string; reference: string }

interface FactTables {
  blocklists: BlocklistOperator[];
  knownZones: string[];
  zoneAliases: { match: string; zone: string; weak?: boolean }[];
  providerCodes: { match: string; provider: string }[];
}

const T = data as unknown as FactTables;

/**
 * The characters that make up words, for every pattern boundary and for the word prefilter of
 * match-text.ts alike. Explicit ranges (Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic, Indic,
 * Thai, CJK, Hangul) instead of \p{L}: Unicode property classes make V8 compile a thousand
 * case-insensitive regexes about ten times slower, which a one-shot `explain` would feel.
 */
export const WORD_CLASS =
  '0-9a-z\\u00aa\\u00b5\\u00ba\\u00c0-\\u00d6\\u00d8-\\u00f6\\u00f8-\\u02ff\\u0370-\\u03ff\\u0400-\\u0482\\u048a-\\u052f\\u0531-\\u058f\\u05d0-\\u05ff\\u0620-\\u064a\\u0660-\\u06ff\\u0900-\\u0dff\\u0e00-\\u0eff\\u1e00-\\u1fff\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uac00-\\ud7af\\uf900-\\ufaff';

// Host names after the phrases MTAs use when they quote the list that matched.
const HOST = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\\.[a-z]{2,63}';
const ZONE_PHRASE = new RegExp(
  `(?:blocked using|listed (?:on|in|at|by)|black ?list(?:ed)? (?:at|on|in|by)|block ?list(?:ed)? (?:at|on|in|by)|found (?:on|in)|rejected by)\\s+(${HOST})(?![a-z0-9/@-])`,
  'gi',
);
const ALIASES = T.zoneAliases.map((a) => ({ re: new RegExp(`(?<![${WORD_CLASS}])(?:${a.match})(?![${WORD_CLASS}])`, 'i'), zone: a.zone, weak: a.weak === true }));
// One scan tells whether any alias can match at all (most lines name no list).
// These three run on the lower-cased text: without the i flag when their sources are lower case
// (V8 scans case-insensitive classes of these Unicode ranges several times slower).
const caseFlag = (src: string): string => (/[A-Z]/.test(src.replace(/\\./g, '')) ? 'i' : '');
const ANY_ALIAS_SRC = T.zoneAliases.map((a) => `(?:${a.match})`).join('|');
const ANY_ALIAS = new RegExp(ANY_ALIAS_SRC, caseFlag(ANY_ALIAS_SRC));
const KNOWN_ZONES_SRC = T.knownZones.map((z) => z.replace(/[.]/g, '\\.')).join('|');
const KNOWN_ZONES = new RegExp(KNOWN_ZONES_SRC, `g${caseFlag(KNOWN_ZONES_SRC)}`);
const CODES_SRC = T.providerCodes.map((c) => `(?:${c.match})`).join('|');
const CODES = new RegExp(`(?:^|[^${WORD_CLASS}_])(${CODES_SRC})(?![${WORD_CLASS}_])`, `g${caseFlag(CODES_SRC)}`);

const IPV4 = /(?<![0-9.])(?:25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})(?:\.(?:25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})){3}(?![0-9]|\.[0-9])/g;
const IPV6 = /(?<![0-9a-f:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![0-9a-f:/])/gi;
// An IPv4 number is the server quoting an address (not a version or an internal code such as
// Yahoo's "4.16.55.1") when brackets, "ip=" or a naming word stand next to it.
const IP_BEFORE = /(?:[[(=?]|\b(?:ip|ips|ipv4|address|addr|from|client|host|sender|server|mta|connection|because|rejected|blocked|denied|relay|to|for|by|comcast|ip:)[^a-z0-9]{0,3})$/i;
const IP_AFTER = /^(?:[\])]|[^a-z0-9]{0,3}(?:is|was|has|found|listed|blocked|rejected|not)\b)/i;
const URL = /\b(?:https?:\/\/|www\.)[^\s<>"'\])]+/gi;
const ADDRESS = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}(?![A-Za-z0-9-])/g;
const RETRY_CLOCK = /come back in ([0-9]{1,2}):([0-9]{2}):([0-9]{2})/i;
const RETRY_UNIT =
  /\b(?:try(?: again)?|retry|come back|wait|greylisted|graylisted|deferred|again)\b[^.;]{0,24}?\b(?:in|after|for)\s+([0-9]{1,6})\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)\b/i;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

// Words without which a text cannot name a blocklist: the operators' names (first label of their
// domains) and the words of the phrases MTAs put before a zone. Most replies contain none.
const OPERATOR_WORDS = new Set(T.blocklists.map((b) => b.suffix.split('.')[0] ?? '').concat(['barracuda', 'psbl', 'uceprotect', 'exploits', 'policy']));
const PHRASE_WORDS = new Set(['using', 'listed', 'list', 'blacklist', 'blacklisted', 'blocklist', 'blocklisted', 'found', 'rejected']);
const ZONE_WORD_RE = new RegExp(`[${WORD_CLASS}]+`, 'g');

/** Zone cue flags: the text holds an operator's name, or (only) a phrase word. */
export const OPERATOR_CUE = 1;
export const PHRASE_CUE = 2;
/** Needle cue flags: the text may hold a provider code, a retry hint, a URL. */
export const CODE_CUE = 4;
export const RETRY_CUE = 8;
export const URL_CUE = 16;

// Substrings without which a text states no retry hint or URL (RETRY_UNIT needs one of these).
const RETRY_WORDS = ['again', 'retry', 'come back', 'wait', 'greylist', 'graylist', 'deferred'];
const RETRY_GATE = new RegExp(RETRY_WORDS.join('|'));
const URL_WORDS = ['http', 'www.'];

/**
 * What the word scan looks for on behalf of fact extraction (pattern-compiler.ts turns it into
 * needles): substrings that set the retry and URL cues, and the provider-code regex source whose
 * leading strings set the code cue (`fold`: it is matched with the i flag).
 */
export function factGates(): { retry: string[]; url: string[]; codes: { source: string; fold: boolean } } {
  return { retry: RETRY_WORDS, url: URL_WORDS, codes: { source: CODES_SRC, fold: caseFlag(CODES_SRC) === 'i' } };
}

/** Each zone cue word with its flag, for the word scan that reads a text's words once. */
export function zoneCueWords(): Map<string, number> {
  const m = new Map<string, number>();
  for (const w of PHRASE_WORDS) m.set(w, PHRASE_CUE);
  for (const w of OPERATOR_WORDS) m.set(w, OPERATOR_CUE);
  return m;
}

/** The zone cue flags of a lower-cased text, read word by word (the reference for the scan). */
function zoneCuesOf(lower: string): number {
  let f = 0;
  for (const w of lower.match(ZONE_WORD_RE) ?? []) f |= OPERATOR_WORDS.has(w) ? OPERATOR_CUE : PHRASE_WORDS.has(w) ? PHRASE_CUE : 0;
  return f;
}

/** Calls `fn` for every match of the global regex `re` in `s` (cheaper than matchAll's clone). */
function eachMatch(re: RegExp, s: string, fn: (m: RegExpExecArray) => void): void {
  re.lastIndex = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    fn(m);
    if (m[0].length === 0) re.lastIndex++;
  }
}

/** The blocklist operator a zone belongs to (Spamhaus for zen.spamhaus.org), if known. */
export function zoneOperator(zone: string): BlocklistOperator | undefined {
  const z = zone.toLowerCase();
  return T.blocklists.find((b) => z === b.suffix || z.endsWith(`.${b.suffix}`));
}

function pushUnique(list: string[], v: string): void {
  if (!list.includes(v)) list.push(v);
}

function zonesOf(lower: string, cues: number): string[] {
  const found: string[] = [];
  const operator = (cues & OPERATOR_CUE) !== 0;
  const phrase = (cues & PHRASE_CUE) !== 0;
  if (!operator && !phrase) return found;
  if (phrase) {
    eachMatch(ZONE_PHRASE, lower, (m) => {
      if (m[1]) pushUnique(found, m[1]);
    });
  }
  if (!operator && found.length === 0) return found;
  eachMatch(KNOWN_ZONES, lower, (m) => pushUnique(found, m[0]));
  const weak: string[] = [];
  if (!ANY_ALIAS.test(lower)) return found;
  for (const a of ALIASES) {
    if (!a.re.test(lower)) continue;
    if (a.weak) weak.push(a.zone);
    else pushUnique(found, a.zone);
  }
  // "Spamhaus" alone means ZEN, but not when the text already named SBL, PBL, DBL...
  for (const z of weak) {
    const op = zoneOperator(z);
    if (!found.some((f) => op !== undefined && zoneOperator(f) === op)) pushUnique(found, z);
  }
  return found;
}

function ipsOf(text: string): string[] {
  const out: string[] = [];
  eachMatch(IPV4, text, (m) => {
    const i = m.index;
    const before = text.slice(Math.max(0, i - 24), i);
    const after = text.slice(i + m[0].length, i + m[0].length + 16);
    if (IP_BEFORE.test(before) || IP_AFTER.test(after)) pushUnique(out, m[0]);
  });
  if (text.indexOf(':') !== text.lastIndexOf(':')) {
    eachMatch(IPV6, text, (m) => {
      if (m[0].length >= 3 && isIPv6(m[0])) pushUnique(out, m[0].toLowerCase());
    });
  }
  return out;
}

function retryOf(text: string): number | undefined {
  const c = RETRY_CLOCK.exec(text);
  if (c) return Number(c[1]) * 3600 + Number(c[2]) * 60 + Number(c[3]);
  const u = RETRY_UNIT.exec(text);
  if (!u) return undefined;
  const unit = (u[2] ?? 's').toLowerCase();
  return Number(u[1]) * (UNIT_SECONDS[unit[0] ?? 's'] ?? 1);
}

/**
 * Facts stated by `text` (one reply, lines joined). Empty lists are left out. Callers that have
 * already lower-cased the text and scanned it (word-scan.ts) pass the text and the scan's cue
 * flags along: the extractors whose needles the scan did not find are then skipped.
 */
export function extractFacts(text: string, lower = text.toLowerCase(), scanned?: number): ReplyFacts {
  const facts: ReplyFacts = {};
  const cues = scanned ?? zoneCuesOf(lower) | CODE_CUE | (RETRY_GATE.test(lower) ? RETRY_CUE : 0) | (lower.includes('http') || lower.includes('www.') ? URL_CUE : 0);
  const zones = zonesOf(lower, cues);
  if (zones.length) facts.zones = zones;
  if (/[0-9]\.[0-9]|:[0-9a-f]*:/i.test(text)) {
    const ips = ipsOf(text);
    if (ips.length) facts.ips = ips;
  }
  if (cues & CODE_CUE) {
    const codes: string[] = [];
    eachMatch(CODES, lower, (m) => pushUnique(codes, (m[1] ?? '').replace(/^[([](.*)[)\]]$/, '$1').toUpperCase()));
    if (codes.length) facts.providerCodes = codes;
  }
  if (cues & URL_CUE) {
    const urls: string[] = [];
    eachMatch(URL, text, (m) => pushUnique(urls, m[0].replace(/[.,;:!?]+$/, '')));
    if (urls.length) facts.urls = urls;
  }
  if (cues & RETRY_CUE) {
    const r = retryOf(text);
    if (r !== undefined) facts.retryAfterSeconds = r;
  }
  if (text.includes('@')) {
    const addrs: string[] = [];
    eachMatch(ADDRESS, text, (m) => pushUnique(addrs, m[0]));
    if (addrs.length) facts.addresses = addrs;
  }
  return facts;
}
