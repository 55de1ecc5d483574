// A DNS server on loopback that answers from a zone object, for the demo and the tests.
// It behaves like a small recursive resolver: CNAME chains are followed inside the zone,
// absent names are NXDOMAIN, present names without the type are NODATA. It can delay,
// truncate (forcing TCP), SERVFAIL, REFUSE or drop answers, per name or for everything, and
// forge them (an answer for another question or owner name, then perhaps the true one).
// UDP and TCP listen on the SAME port (dns2's TCP fallback reuses the UDP port number).
import dns2, { type Packet as DnsPacket } from 'dns2';
import type net from 'node:net';
import { encodeTlsaRdata, TLSA_TYPE, type TlsaFields } from '../dns/tlsa.js';

const { Packet } = dns2;

export type ZoneFault = 'servfail' | 'refused' | 'drop' | 'truncate' | 'formerr';
export type ZoneType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'SPF' | 'PTR' | 'CNAME' | 'NS' | 'TLSA';

export interface ZoneEntry {
  A?: string[];
  AAAA?: string[];
  MX?: { exchange: string; priority: number }[];
  /** Each record is one string or its character-strings (["v=spf1 ", "-all"]). */
  TXT?: (string | string[])[];
  SPF?: (string | string[])[];
  PTR?: string[];
  CNAME?: string;
  NS?: string[];
  /** TLSA records (RFC 6698): the fields, or raw RDATA in hex (malformed ones, for the tests). */
  TLSA?: (TlsaFields | { rdata: string })[];
  /** Answers for this name are "DNSSEC-validated": the AD bit is set when the query asked for
   *  it (DO or AD set, RFC 6840 §5.7), as a validating resolver does for a signed zone. */
  secure?: boolean;
  /** Trouble for this name: for every type, or only for `faultTypes`. */
  fault?: ZoneFault;
  faultTypes?: ZoneType[];
  /** Answer with a forgery: the question section naming `question`, and/or the answer records
   *  owned by `owner` (with `records`' data when given); `thenTrue` (UDP) sends the true answer
   *  right after it, as a real server would while a spoofer races it. */
  spoof?: { question?: string; owner?: string; records?: ZoneEntry; thenTrue?: boolean };
}

/** Names are matched case-insensitively, without a trailing dot; '*.example.com' is a wildcard. */
export type Zone = Record<string, ZoneEntry>;

export interface ZoneServerOptions {
  address?: string;
  /** Added before every answer (benchmarks' D, slow-resolver tests). */
  delayMs?: number;
  /** Answer every UDP query with TC=1 and no records, so clients must retry over TCP. */
  truncateAll?: boolean;
  /** Never answer over TCP (a TCP fallback that hangs). */
  dropTcp?: boolean;
}

export interface ZoneQuery { name: string; type: string; transport: 'udp' | 'tcp'; /** DO or AD was set. */ dnssec?: boolean }

export interface ZoneServer {
  address: string;
  port: number;
  /** Every question received, in order. */
  queries: ZoneQuery[];
  /** Replace the zone (the demo and tests reuse one server). */
  setZone(zone: Zone): void;
  close(): Promise<void>;
}

const MAX_CNAME_HOPS = 8;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const norm = (name: string): string => name.toLowerCase().replace(/\.$/, '');

interface Answer { rcode: number; records: object[]; drop?: boolean; truncate?: boolean }

function lookupEntry(zone: Map<string, ZoneEntry>, name: string): ZoneEntry | undefined {
  const exact = zone.get(name);
  if (exact) return exact;
  // Wildcard (RFC 4592, simplified): the closest '*.' ancestor, unless the name exists.
  const labels = name.split('.');
  for (let i = 1; i < labels.length; i++) {
    const w = zone.get(`*.${labels.slice(i).join('.')}`);
    if (w) return w;
  }
  return undefined;
}

function hasDescendant(names: readonly string[], name: string): boolean {
  return names.some((n) => n.endsWith(`.${name}`));
}

/** A character-string holds at most 255 octets (RFC 1035 §3.3): longer text is split. */
function characterStrings(d: string | string[]): Buffer[] {
  const out: Buffer[] = [];
  for (const part of Array.isArray(d) ? d : [d]) {
    const b = Buffer.from(part, 'utf8');
    if (b.length === 0) out.push(b);
    for (let i = 0; i < b.length; i += 255) out.push(b.subarray(i, i + 255));
  }
  return out;
}

function recordsOf(name: string, type: ZoneType, e: ZoneEntry): object[] {
  const base = { name, class: Packet.CLASS.IN, ttl: 300 };
  switch (type) {
    case 'A': return (e.A ?? []).map((address) => ({ ...base, type: Packet.TYPE.A, address }));
    case 'AAAA': return (e.AAAA ?? []).map((address) => ({ ...base, type: Packet.TYPE.AAAA, address }));
    case 'MX': return (e.MX ?? []).map((m) => ({ ...base, type: Packet.TYPE.MX, exchange: m.exchange, priority: m.priority }));
    case 'TXT': return (e.TXT ?? []).map((d) => ({ ...base, type: Packet.TYPE.TXT, data: characterStrings(d) }));
    case 'SPF': return (e.SPF ?? []).map((d) => ({ ...base, type: Packet.TYPE.SPF, data: characterStrings(d) }));
    case 'PTR': return (e.PTR ?? []).map((domain) => ({ ...base, type: Packet.TYPE.PTR, domain }));
    case 'NS': return (e.NS ?? []).map((ns) => ({ ...base, type: Packet.TYPE.NS, ns }));
    case 'CNAME': return e.CNAME ? [{ ...base, type: Packet.TYPE.CNAME, domain: e.CNAME }] : [];
    // dns2 writes the `data` Buffer of a type it has no encoder for verbatim.
    case 'TLSA': return (e.TLSA ?? []).map((t) => ({ ...base, type: TLSA_TYPE, data: 'rdata' in t ? Buffer.from(t.rdata, 'hex') : encodeTlsaRdata(t) }));
    default: return [];
  }
}

function answer(zone: Map<string, ZoneEntry>, qname: string, qtype: string): Answer {
  const records: object[] = [];
  let name = norm(qname);
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const e = lookupEntry(zone, name);
    if (!e) {
      if (hop > 0) return { rcode: Packet.RCODE.NOERROR, records };
      return { rcode: hasDescendant([...zone.keys()], name) ? Packet.RCODE.NOERROR : Packet.RCODE.NXDOMAIN, records };
    }
    if (e.fault && (!e.faultTypes || e.faultTypes.includes(qtype as ZoneType))) {
      switch (e.fault) {
        case 'servfail': return { rcode: Packet.RCODE.SERVFAIL, records: [] };
        case 'refused': return { rcode: Packet.RCODE.REFUSED, records: [] };
        case 'formerr': return { rcode: Packet.RCODE.FORMERR, records: [] };
        case 'drop': return { rcode: 0, records: [], drop: true };
        case 'truncate': return { rcode: 0, records: [...records, ...recordsOf(name, qtype as ZoneType, e)], truncate: true };
      }
    }
    if (e.CNAME && qtype !== 'CNAME') {
      records.push(...recordsOf(name, 'CNAME', e));
      name = norm(e.CNAME);
      continue;
    }
    records.push(...recordsOf(name, qtype as ZoneType, e));
    return { rcode: Packet.RCODE.NOERROR, records };
  }
  return { rcode: Packet.RCODE.SERVFAIL, records: [] }; // CNAME loop: what resolvers answer
}

/** dns2's UDP send returns a promise, its TCP send does not; a peer gone away is not our error. */
function reply(send: (r: DnsPacket) => Promise<Buffer> | void, response: DnsPacket): void {
  try {
    void Promise.resolve(send(response)).catch(() => {});
  } catch {
    // the client went away
  }
}

export async function startZoneServer(zone: Zone, opts: ZoneServerOptions = {}): Promise<ZoneServer> {
  const address = opts.address ?? '127.0.0.1';
  let table = new Map(Object.entries(zone).map(([k, v]) => [norm(k), v]));
  const queries: ZoneQuery[] = [];

  const handle = (transport: 'udp' | 'tcp') => async (request: DnsPacket, send: (r: DnsPacket) => Promise<Buffer>): Promise<void> => {
    const q = request.questions[0];
    const response = Packet.createResponseFromRequest(request);
    if (!q) {
      response.header.rcode = Packet.RCODE.FORMERR;
      return reply(send, response);
    }
    const type = q.type === TLSA_TYPE ? 'TLSA' : Packet.typeName(q.type);
    const opt = (request.additionals ?? []).find((r) => (r as { type?: number }).type === Packet.TYPE.EDNS) as { doFlag?: boolean } | undefined;
    const dnssec = Boolean(opt?.doFlag) || (request.header as { ad?: number }).ad === 1;
    queries.push({ name: q.name, type, transport, ...(dnssec ? { dnssec } : {}) });
    const a = answer(table, q.name, type);
    if (a.drop || (transport === 'tcp' && opts.dropTcp)) return;
    if (opts.delayMs) await sleep(opts.delayMs);
    const spoof = lookupEntry(table, norm(q.name))?.spoof;
    if (spoof) {
      const forged = Packet.createResponseFromRequest(request);
      forged.header.ra = 1;
      if (spoof.question) forged.questions = [{ ...q, name: spoof.question }];
      const owner = spoof.owner ?? norm(q.name);
      const data = spoof.records ? recordsOf(owner, type as ZoneType, spoof.records) : (a.records as { name: string }[]).map((r) => ({ ...r, name: owner }));
      forged.answers.push(...(data as DnsPacket['answers']));
      reply(send, forged);
      if (!spoof.thenTrue || transport === 'tcp') return;
      await sleep(20);
    }
    response.header.rcode = a.rcode;
    response.header.ra = 1;
    if (dnssec && a.rcode === Packet.RCODE.NOERROR && lookupEntry(table, norm(q.name))?.secure) (response.header as { ad?: number }).ad = 1;
    if (transport === 'udp' && (a.truncate || opts.truncateAll)) {
      response.header.tc = 1;
      return reply(send, response);
    }
    response.answers.push(...(a.records as DnsPacket['answers']));
    reply(send, response);
  };

  const udp = dns2.createUDPServer(handle('udp') as unknown as dns2.DnsHandler);
  const tcp = dns2.createTCPServer(handle('tcp') as unknown as dns2.DnsHandler);
  const conns = new Set<net.Socket>();
  tcp.on('connection', (s: net.Socket) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
  });
  udp.on('error', () => {});
  tcp.on('error', () => {});
  // TCP first on an ephemeral port, then UDP on the same number; retry if UDP's is taken.
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(0, address, () => { tcp.off('error', reject); resolve(); });
    });
    port = (tcp.address() as net.AddressInfo).port;
    const ok = await new Promise<boolean>((resolve) => {
      const onErr = (): void => resolve(false);
      udp.once('error', onErr);
      udp.bind(port, address, () => { udp.off('error', onErr); resolve(true); });
    });
    if (ok) break;
    await new Promise<void>((r) => tcp.close(() => r()));
    if (attempt > 20) throw new Error('could not bind UDP and TCP on the same port');
  }
  return {
    address,
    port,
    queries,
    setZone(z: Zone) {
      table = new Map(Object.entries(z).map(([k, v]) => [norm(k), v]));
    },
    close: async () => {
      for (const s of conns) s.destroy();
      await Promise.all([
        new Promise<void>((r) => { try { udp.close(() => r()); } catch { r(); } }),
        new Promise<void>((r) => tcp.close(() => r())),
      ]);
    },
  };
}
