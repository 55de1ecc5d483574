// IP address arithmetic for SPF (RFC 7208): strict parsing of the client IP and of ip4/ip6
// networks, CIDR matching, the %{i}/%{c} text forms and the reverse-DNS name for PTR queries.
// Pure functions over strings and bytes; it never touches the network or node:net.
// An IPv4-mapped IPv6 client (::ffff:a.b.c.d) is an IPv4 client (RFC 7208 §5, last paragraph).

export interface SpfIp {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

/** qnum = DIGIT / %x31-39 DIGIT / "1" 2DIGIT / "2" %x30-34 DIGIT / "25" %x30-35 (RFC 7208 §5.6):
 *  decimal 0-255 without leading zeros. */
const QNUM = /^(?:0|[1-9]\d{0,2})$/;

export function parseIp4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!QNUM.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** RFC 4291 §2.2 text forms: x:x:x:x:x:x:x:x, "::" compression, trailing dotted IPv4. */
export function parseIp6(text: string): Uint8Array | null {
  if (text.length === 0 || text.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  const dbl = text.indexOf('::');
  if (dbl !== -1 && text.indexOf('::', dbl + 1) !== -1) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (const [i, p] of parts.entries()) {
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIp4(p);
        if (!v4) return null;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  let words: number[];
  if (dbl === -1) {
    const g = groups(text);
    if (!g || g.length !== 8) return null;
    words = g;
  } else {
    const head = groups(text.slice(0, dbl));
    const tail = groups(text.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return null;
    // A dotted IPv4 part may only end the address.
    if (text.slice(0, dbl).includes('.')) return null;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => { out[2 * i] = w >> 8; out[2 * i + 1] = w & 0xff; });
  return out;
}

/** The SMTP client's address. An IPv4-mapped IPv6 address is returned as IPv4. */
export function parseIp(text: string): SpfIp | null {
  const t = text.trim();
  const v4 = parseIp4(t);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIp6(t);
  if (!v6) return null;
  if (isV4Mapped(v6)) return { family: 4, bytes: v6.slice(12) };
  return { family: 6, bytes: v6 };
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** True when the first `prefix` bits of `a` and `b` agree (both the same length). */
export function inNetwork(a: Uint8Array, b: Uint8Array, prefix: number): boolean {
  if (a.length !== b.length) return false;
  let bits = prefix;
  for (let i = 0; i < a.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a[i] as number) & mask) !== ((b[i] as number) & mask)) return false;
  }
  return true;
}

/** True when `net` has bits set after its prefix (ip4:192.0.2.1/24): legal, but probably a typo. */
export function hasHostBits(net: Uint8Array, prefix: number): boolean {
  for (let bit = prefix; bit < net.length * 8; bit++) {
    if (((net[bit >> 3] as number) >> (7 - (bit & 7))) & 1) return true;
  }
  return false;
}

export function formatIp4(b: Uint8Array): string {
  return Array.from(b).join('.');
}

/** RFC 5952 canonical text: lower case, longest run (≥ 2) of zero groups as "::". */
export function formatIp6(b: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push(((b[i] as number) << 8) | (b[i + 1] as number));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = w.map((x) => x.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** The readable form (%{c}, RFC 7208 §7.3): dotted quad or RFC 5952 text. */
export function formatIp(ip: SpfIp): string {
  return ip.family === 4 ? formatIp4(ip.bytes) : formatIp6(ip.bytes);
}

/** The %{i} form (RFC 7208 §7.3): dotted quad for IPv4; for IPv6 the 32 nibbles in "dot-format",
 *  written lower case as in the RFC's §7.4 example ("1.0.b.c.0.0...."). */
export function dotFormat(ip: SpfIp): string {
  if (ip.family === 4) return formatIp4(ip.bytes);
  const nibbles: string[] = [];
  for (const byte of ip.bytes) nibbles.push((byte >> 4).toString(16), (byte & 0xf).toString(16));
  return nibbles.join('.');
}

/** The name to ask PTR for: reversed octets under in-addr.arpa or nibbles under ip6.arpa. */
export function reverseName(ip: SpfIp): string {
  return `${dotFormat(ip).split('.').reverse().join('.')}.${ip.family === 4 ? 'in-addr' : 'ip6'}.arpa`;
}

/** Parse an address found in DNS (an A or AAAA answer); null when it is not one. */
export function parseAnswerIp(text: string, family: 4 | 6): Uint8Array | null {
  return family === 4 ? parseIp4(text) : parseIp6(text);
}

export function sameIp(ip: SpfIp, bytes: Uint8Array): boolean {
  return inNetwork(ip.bytes, bytes, ip.bytes.length * 8);
}
