// Reply normalisation for recognition: reads the basic and enhanced codes and the SMTP stage
// out of a reply or a mail-log line ("said: 550 5.1.1 ...", "(in reply to RCPT TO command)")
// and returns the text with each line's codes removed and whitespace collapsed. Pure.

/** What recognition is asked to read (see match-text.ts). */
export interface ReplyInput {
  code?: number;
  enhanced?: string;
  text: string;
  /** 'banner' | 'ehlo' | 'helo' | 'starttls' | 'auth' | 'mail' | 'rcpt' | 'data' | ... */
  stage?: string;
  /** The replying host's name, when known (an MX name says who the provider is). */
  host?: string;
}

// Replies are bounded before matching: recognition time stays linear in this, whatever a peer
// or a log line holds (the reply reader already caps replies at 64 KiB).
export const MAX_TEXT = 2048;

// Input normalisation

const LEAD_CODE = /^([2-5][0-9][0-9])(?:[ -]|$)\s*/;
// A session transcript marks the server's lines: swaks "<-  " / "<** " / "<~  ", other tools
// "<<< " or "<-- ", RFC examples "S: ". The marker goes when a reply code follows it.
export const TRANSCRIPT_MARK = /^(?:<[<~*-]{0,3}|S:)\s*(?=[2-5][0-9][0-9](?:[ -]|$))/;
const LEAD_ENH = /^([245])\.([0-9]{1,3})\.([0-9]{1,3})(?=\s|$|[,;:])[,;:]?\s*/;
const INNER_ENH = /(?:^|[\s(#])([245])\.([0-9]{1,3})\.([0-9]{1,3})(?=[\s)\]:;,]|$)/;
const SAID_CODE = /(?:said|to me|response):\s*([2-5][0-9][0-9])[ -](?:([245])\.([0-9]{1,3})\.([0-9]{1,3})\s)?/i;
// In a log line the reply sits after a prefix; "550 5.1.1" (code and enhanced code of one class)
// is distinctive enough to find it there.
const CODE_PAIR = /(?:^|[\s:(;'"#[])([245])([0-9][0-9])[ -]([245])\.([0-9]{1,3})\.([0-9]{1,3})(?=[\s,;:'"\]]|$)/;
// A pasted DSN (RFC 3464) names the reply in its Diagnostic-Code field and the enhanced code in
// its Status field, wherever they sit in the paragraph.
const DIAG_CODE = /diagnostic-code:\s*[a-z0-9-]+\s*;\s*([2-5][0-9][0-9])(?=[\s-]|$)/i;
// Exim's "SMTP error from remote mail server after MAIL FROM:<…>: 553 sorry…" and other log lines
// that quote a bare reply after a colon.
const AFTER_COLON_CODE = /:\s+([45][0-9][0-9])(?:[ -](?=[^0-9\s])|$)/;
// A DSN's Status field ("Status: 5.2.2"), or the DSN status a log line records of a delivery
// (Postfix and Sendmail: "dsn=5.2.2").
const STATUS_FIELD = /(?:^|[\s,])(?:status:\s*|dsn=)([245])\.([0-9]{1,3})\.([0-9]{1,3})(?=[\s;,)]|$)/i;
// Postfix "(in reply to RCPT TO command)", Exim "after RCPT TO:<...>", a mail client's "MAIL FROM command
// failed: ...": the text names the stage.
const STAGE_HINT =
  /(?:in reply to |^)(rcpt to|rcpt|mail from|end of data|data|ehlo|helo|lhlo|starttls) command|after (rcpt to|mail from|end of data|data|ehlo|helo|initial connection)|(while receiving the initial server greeting)|reject: (rcpt|mail|data|end-of-message|ehlo|helo|connect) from/i;
// Sendmail names the check that refused: check_relay at connect, check_mail, check_rcpt.
const SENDMAIL_RULESET = /\bruleset=check_(relay|mail|rcpt|eoh|data)\b/;
const RULESET_STAGE: Record<string, string> = { relay: 'banner', mail: 'mail', rcpt: 'rcpt', eoh: 'data', data: 'data' };
// Courier's log line of a refused command: a sender alone is a MAIL FROM refusal, with a
// recipient a RCPT TO refusal ("error,relay=…,from=<a@b>: 517 …").
const COURIER_ERROR = /\berror,relay=[^,\s]*,(?:ident=[^,]*,)?from=<[^>]*>(,to=<[^>]*>)?: /;
const STAGE_OF: Record<string, string> = {
  'rcpt to': 'rcpt', rcpt: 'rcpt', 'mail from': 'mail', 'end of data': 'data', data: 'data',
  ehlo: 'ehlo', helo: 'ehlo', lhlo: 'ehlo', starttls: 'starttls', 'initial connection': 'banner',
  mail: 'mail', 'end-of-message': 'data', connect: 'banner',
};
const STAGE_ALIAS: Record<string, string> = { connect: 'banner', greeting: 'banner', lhlo: 'ehlo', 'mail from': 'mail', 'rcpt to': 'rcpt', bdat: 'data' };

// qmail-send logs a delivery's result with underscores for spaces ("delivery 5: failure:
// Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/"): the words are read as words.
const QMAIL_RESULT = /\bdelivery [0-9]+: (?:success|failure|deferral): /;

const ODD_SPACE = /\s\s|[\t\r\f\v\u00a0\u2000-\u200b\u3000]/;
const COMBINING = /[\u0300-\u036f\u093c\u0951-\u0954]/;
const ODD_SPACE_OR_MARK = new RegExp(`${ODD_SPACE.source}|${COMBINING.source}`);

// Arabic vowel marks and the shadda are optional in writing ("تعذّر" is "تعذر") and the tatweel
// only stretches a letter: texts, patterns and concept words are all read without them.
const ARABIC_MARKS = /[\u0640\u064b-\u065f\u0670]/;
const ARABIC_MARKS_ALL = new RegExp(ARABIC_MARKS.source, 'g');

/** The text without the marks that writing may leave out (see ARABIC_MARKS). */
export function withoutOptionalMarks(s: string): string {
  return ARABIC_MARKS.test(s) ? s.replace(ARABIC_MARKS_ALL, '') : s;
}

export interface ParsedReplyText { text: string; code?: number; enhanced?: string; stage?: string }

type Normalized = ParsedReplyText;

const prefixMemo = new Map<number, RegExp>();

/** The repeated "550-5.7.26 " / "550 5.7.26 " line prefixes of one reply inside a text. */
function innerPrefix(code: number): RegExp {
  let re = prefixMemo.get(code);
  if (!re) {
    re = new RegExp(`(^|\\s)${code}(?:-|\\s(?=[245]\\.[0-9]))(?:[245]\\.[0-9]{1,3}\\.[0-9]{1,3}\\s+)?`, 'g');
    prefixMemo.set(code, re);
  }
  return re;
}

export function normalize(input: ReplyInput): Normalized {
  let code = Number.isInteger(input.code) && (input.code as number) >= 200 && (input.code as number) <= 599 ? input.code : undefined;
  let enhanced = input.enhanced && /^[245]\.[0-9]{1,3}\.[0-9]{1,3}$/.test(input.enhanced) ? input.enhanced : undefined;
  const raw = (typeof input.text === 'string' ? input.text : '').slice(0, MAX_TEXT * 2);
  const parts: string[] = [];
  for (const rawLine of raw.includes('\n') ? raw.split('\n') : [raw]) {
    let line = rawLine.trim();
    const t0 = line.charCodeAt(0);
    if (t0 === 60 || t0 === 83) line = line.replace(TRANSCRIPT_MARK, '');
    // The regexes only when the line starts with a digit they can read ('2'-'5').
    const c0 = line.charCodeAt(0);
    const mc = c0 >= 50 && c0 <= 53 ? LEAD_CODE.exec(line) : null;
    if (mc) {
      code ??= Number(mc[1]);
      line = line.slice(mc[0].length);
    }
    const c1 = line.charCodeAt(0);
    const me = c1 === 50 || c1 === 52 || c1 === 53 ? LEAD_ENH.exec(line) : null;
    if (me) {
      const e = `${me[1]}.${Number(me[2])}.${Number(me[3])}`;
      if (code === undefined || String(code)[0] === me[1]) {
        enhanced ??= e;
        line = line.slice(me[0].length);
      }
    }
    if (line) parts.push(line);
  }
  let text = parts.length === 1 ? (parts[0] as string) : parts.join(' ');
  // One scan tells whether either of the two fixes below can apply (most texts need neither).
  const odd = ODD_SPACE_OR_MARK.test(text);
  if (odd && ODD_SPACE.test(text)) text = text.replace(/\s+/g, ' ').trim();
  if (text.length > MAX_TEXT) text = text.slice(0, MAX_TEXT);
  if (text.includes('_')) {
    const q = QMAIL_RESULT.exec(text);
    if (q) {
      const at = q.index + q[0].length;
      text = text.slice(0, at) + text.slice(at).replace(/_/g, ' ').replace(/\/$/, '');
    }
  }
  // Decomposed accents (NFD Vietnamese, a Hindi nukta typed apart) read like the composed
  // wording the patterns are written in.
  if (odd && COMBINING.test(text)) text = text.normalize('NFC');
  if (code === undefined) {
    const s = SAID_CODE.exec(text);
    if (s) {
      code = Number(s[1]);
      if (s[2] && s[2] === String(code)[0]) enhanced ??= `${s[2]}.${Number(s[3])}.${Number(s[4])}`;
    } else {
      const p = CODE_PAIR.exec(text);
      if (p && p[1] === p[3]) {
        code = Number(`${p[1]}${p[2]}`);
        enhanced ??= `${p[3]}.${Number(p[4])}.${Number(p[5])}`;
      } else if (text.includes(':')) {
        const d = DIAG_CODE.exec(text) ?? AFTER_COLON_CODE.exec(text);
        if (d) code = Number(d[1]);
      }
    }
  }
  if (enhanced === undefined && (text.includes(':') || text.includes('dsn='))) {
    const s = STATUS_FIELD.exec(text);
    if (s && (code === undefined || String(code)[0] === s[1])) enhanced = `${s[1]}.${Number(s[2])}.${Number(s[3])}`;
  }
  if (enhanced === undefined) {
    const m = INNER_ENH.exec(text.slice(0, 200));
    // A success code inside a text with no reply code of its own is a quoted earlier reply (a
    // client library's "STARTTLS failed (code: 220, response: 2.0.0 Ready …)"), not the answer.
    if (m && (code === undefined ? m[1] !== '2' : String(code)[0] === m[1])) enhanced = `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
  }
  // A log line carries a multi-line reply on one line ("said: 550-5.7.26 a 550-5.7.26 b 550
  // 5.7.26 c"): the repeated line prefixes go, so wording that spans two lines reads whole.
  if (code !== undefined && text.includes(`${code}-`)) text = text.replace(innerPrefix(code), '$1');
  let stage = input.stage?.toLowerCase();
  if (stage) stage = STAGE_ALIAS[stage] ?? stage;
  else {
    const h = STAGE_HINT.exec(text);
    if (h) stage = h[3] ? 'banner' : STAGE_OF[(h[1] ?? h[2] ?? h[4] ?? '').toLowerCase()];
    else if (text.includes('ruleset=')) {
      const r = SENDMAIL_RULESET.exec(text);
      if (r) stage = RULESET_STAGE[r[1] as string];
    } else if (text.includes('error,relay=')) {
      const r = COURIER_ERROR.exec(text);
      if (r) stage = r[1] ? 'rcpt' : 'mail';
    }
  }
  const out: Normalized = { text };
  if (code !== undefined) out.code = code;
  if (enhanced !== undefined) out.enhanced = enhanced;
  if (stage) out.stage = stage;
  return out;
}
