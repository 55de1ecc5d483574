// The wire side of the Resolve contract, over dns2's packet codec: random query IDs, a fresh
// UDP socket per query, and an answer is taken only if it answers the question — from the
// server asked, with our ID, our question (name compared case-insensitively, RFC 4343; type;
// class) and answer records owned by the name or its CNAME chain; anything else is dropped
// and we keep listening, as for a wrong ID. dns2 is never given its default public servers.
// Every query has a deadline (the TCP retry after truncation too) and can be aborted.
import dns2, { type Packet as DnsPacket } from 'dns2';
import dgram from 'node:dgram';
import net from 'node:net';
import { say } from '../catalog/messages.js';
import { decodeTlsaRdata, TLSA_TYPE } from './tlsa.js';
import { DEADLINE_REASON, DnsError, type DnsErrorCode, type LookupOptions, type RecordMap, type Resolve, type RRType } from './resolver.js';
import { osErrorText } from '../catalog/os-errors.js';

const { Packet } = dns2;

export interface DnsServerAddress { address: string; port: number }

export interface Dns2ResolverOptions {
  servers: readonly DnsServerAddress[];
  /** Deadline for one lookup over all servers and the TCP retry (ms). */
  timeoutMs?: number;
}

export const DEFAULT_DNS_TIMEOUT_MS = 5_000;
const MAX_TCP_MESSAGE = 65_535;

type Raw = DnsPacket & {
  header: { id: number; qr: number; rcode: number; tc: number; ad?: number };
  questions: { name: string; type: number; class: number }[];
  answers: Record<string, unknown>[];
};

const TYPE_DNAME = 39;
/** dns2's type codes plus the ones it lacks (TLSA, decoded here). */
const TYPE_CODE: Readonly<Record<string, number>> = { ...Packet.TYPE, TLSA: TLSA_TYPE };
const typeName = (code: number): string => (code === TLSA_TYPE ? 'TLSA' : Packet.typeName(code));
const lower = (n: unknown): string => String(n ?? '').toLowerCase().replace(/\.$/, '');

/** The asked name and every name its CNAME records in `p` lead to (in any order, bounded). */
function ownerChain(p: Raw, qname: string): Set<string> {
  const chain = new Set([lower(qname)]);
  for (let grew = true, hops = 0; grew && hops < 16; hops++) {
    grew = false;
    for (const a of p.answers) {
      if (a.type === Packet.TYPE.CNAME && chain.has(lower(a.name)) && !chain.has(lower(a.domain))) {
        chain.add(lower(a.domain));
        grew = true;
      }
    }
  }
  return chain;
}

/**
 * Why `p` does not answer (qname, type), or undefined when it does: a reply (QR set) to our one
 * question, every answer record owned by the name or its CNAME chain (a DNAME by an ancestor).
 */
export function answerMismatch(p: Raw, qname: string, type: RRType): string | undefined {
  if (!p.header.qr) return 'not a response';
  const q = p.questions[0];
  if (p.questions.length !== 1 || !q) return `${p.questions.length} questions in the answer`;
  if (lower(q.name) !== lower(qname) || q.type !== TYPE_CODE[type] || q.class !== Packet.CLASS.IN) {
    return `the answer is for ${typeName(q.type)} ${lower(q.name) || '(root)'}, not for ${type} ${lower(qname)}`;
  }
  const chain = ownerChain(p, qname);
  for (const a of p.answers) {
    const owner = lower(a.name);
    if (chain.has(owner)) continue;
    if (a.type === TYPE_DNAME && [...chain].some((n) => n.endsWith(`.${owner}`))) continue;
    return `an answer record for ${owner || '(root)'}, a name that was not asked`;
  }
  return undefined;
}

function newQuery(name: string, type: RRType): { id: number; msg: Buffer } {
  const q = new Packet();
  q.header.id = Packet.uuid();
  q.header.rd = 1;
  q.questions.push({ name, type: TYPE_CODE[type], class: Packet.CLASS.IN } as never);
  if (type === 'TLSA') {
    // DANE needs to know whether the answer was DNSSEC-validated: ask for the AD bit in the
    // header (RFC 6840 §5.7) and set DO in an EDNS0 OPT record (RFC 3225), as validating
    // stub resolvers do; only for TLSA, so other answers stay small (no RRSIGs, no TCP retry).
    (q.header as { ad?: number }).ad = 1;
    q.additionals.push(Packet.Resource.EDNS([], { doFlag: true, udpPayloadSize: 1232 }) as never);
  }
  return { id: q.header.id, msg: q.toBuffer() };
}

const timedOut = (): Error => Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' });
const aborted = (): Error => Object.assign(new Error(DEADLINE_REASON), { code: 'EABORTED' });

type Done = (err: Error | null, p?: Raw) => void;

/**
 * The one way a query ends, for UDP and TCP alike: settle once, stop the deadline timer and the
 * abort listener, close the socket (`close`), then resolve or reject. The deadline and an abort
 * (already aborted included) end it through the same `done`.
 */
function settleOnce(resolve: (p: Raw) => void, reject: (e: Error) => void, deadlineAt: number, signal: AbortSignal | undefined, onDeadline: () => Error, close: () => void): Done {
  let settled = false;
  const onAbort = (): void => done(aborted());
  const done: Done = (err, p) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    close();
    if (err) reject(err);
    else resolve(p as Raw);
  };
  const timer = setTimeout(() => done(onDeadline()), Math.max(1, deadlineAt - Date.now()));
  if (signal?.aborted) done(aborted());
  else signal?.addEventListener('abort', onAbort, { once: true });
  return done;
}

/**
 * One query over UDP. A datagram from another address or port, that does not parse, carries
 * another ID, or does not answer our question is dropped, and we keep listening (a forged
 * answer cannot pre-empt the real one); what was last dropped is told on timeout.
 */
function queryUdp(server: DnsServerAddress, name: string, type: RRType, deadlineAt: number, signal?: AbortSignal): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const { id, msg } = newQuery(name, type);
    const socket = dgram.createSocket(net.isIPv6(server.address) ? 'udp6' : 'udp4');
    let lastDropped = '';
    const done = settleOnce(resolve, reject, deadlineAt, signal,
      () => Object.assign(timedOut(), lastDropped ? { message: `timed out (dropped: ${lastDropped})` } : {}),
      () => {
        socket.removeAllListeners('message');
        socket.on('error', () => {});
        try { socket.close(); } catch { /* already closed */ }
      });
    if (signal?.aborted) return;
    socket.on('message', (m: Buffer, rinfo: dgram.RemoteInfo) => {
      if (rinfo.port !== server.port || rinfo.address !== server.address) {
        lastDropped = `a datagram from ${rinfo.address}:${rinfo.port}`;
        return;
      }
      let p: Raw;
      try {
        p = Packet.parse(m) as Raw;
      } catch (e) {
        lastDropped = `an answer that could not be decoded (${(e as Error).message})`;
        return;
      }
      if (p.header.id !== id) {
        lastDropped = `an answer with another query ID (${p.header.id})`;
        return;
      }
      const wrong = answerMismatch(p, name, type);
      if (wrong) {
        lastDropped = `an answer to another question: ${wrong}`;
        return;
      }
      done(null, p);
    });
    socket.on('error', (e) => done(e));
    socket.send(msg, server.port, server.address, (e) => { if (e) done(e); });
  });
}

/** One query over TCP (RFC 1035 §4.2.2 two-byte length framing), bounded by `deadlineAt`. */
function queryTcp(server: DnsServerAddress, name: string, type: RRType, deadlineAt: number, signal?: AbortSignal): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const q = newQuery(name, type);
    const msg = q.msg;
    const framed = Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 0xff]), msg]);
    const socket = net.connect({ host: server.address, port: server.port });
    let buf = Buffer.alloc(0);
    const done = settleOnce(resolve, reject, deadlineAt, signal,
      () => Object.assign(new Error('TCP query timed out'), { code: 'ETIMEDOUT' }),
      () => {
        socket.removeAllListeners('data');
        socket.on('error', () => {});
        socket.destroy();
      });
    if (signal?.aborted) return;
    socket.on('connect', () => socket.write(framed));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > MAX_TCP_MESSAGE + 2) return done(new Error('TCP answer too long'));
      if (buf.length < 2) return;
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) return;
      try {
        const p = Packet.parse(buf.subarray(2, 2 + len)) as Raw;
        if (p.header.id !== q.id) return done(new Error('TCP answer with the wrong query id'));
        // One answer per connection: one that answers another question is a broken server's.
        const wrong = answerMismatch(p, name, type);
        if (wrong) return done(new Error(`TCP answer to another question: ${wrong}`));
        done(null, p);
      } catch (e) {
        done(e as Error);
      }
    });
    socket.on('error', (e) => done(e));
    socket.on('end', () => done(new Error('the DNS server closed the TCP connection without an answer')));
  });
}

async function queryServer(server: DnsServerAddress, name: string, type: RRType, deadlineAt: number, signal?: AbortSignal): Promise<Raw> {
  if (TYPE_CODE[type] === undefined) throw new DnsError('EFORMERR', name, type, `unsupported record type ${type}`);
  const p = await queryUdp(server, name, type, deadlineAt, signal);
  if (p.header.tc) return queryTcp(server, name, type, deadlineAt, signal);
  return p;
}

function rcodeError(rcode: number): DnsErrorCode | null {
  switch (rcode) {
    case Packet.RCODE.NOERROR: return null;
    case Packet.RCODE.NXDOMAIN: return 'ENOTFOUND';
    case Packet.RCODE.SERVFAIL: return 'ESERVFAIL';
    case Packet.RCODE.REFUSED: return 'EREFUSED';
    case Packet.RCODE.FORMERR: return 'EFORMERR';
    default: return 'EBADRESP';
  }
}

/** Answer records of the asked type owned by the name or its CNAME chain (checked before). */
function extract<T extends RRType>(p: Raw, qname: string, type: T): RecordMap[T] {
  const code = TYPE_CODE[type];
  const chain = ownerChain(p, qname);
  const rrs = p.answers.filter((a) => a.type === code && chain.has(lower(a.name)));
  switch (type) {
    case 'A': case 'AAAA':
      return rrs.map((a) => String(a.address)) as RecordMap[T];
    case 'MX':
      return rrs.map((a) => ({ exchange: String(a.exchange ?? '').replace(/\.$/, ''), priority: Number(a.priority) })) as RecordMap[T];
    case 'TXT':
      // One string per record: its character-strings joined (RFC 7208 §3.3).
      return rrs.map((a) => (Array.isArray(a.data) ? (a.data as string[]).join('') : String(a.data ?? ''))) as RecordMap[T];
    case 'PTR': case 'CNAME':
      return rrs.map((a) => String(a.domain ?? '').replace(/\.$/, '')) as RecordMap[T];
    case 'NS':
      return rrs.map((a) => String(a.ns ?? '').replace(/\.$/, '')) as RecordMap[T];
    case 'TLSA': {
      // dns2 keeps RDATA of types it does not know verbatim (RFC 3597 §5) in `data`.
      const authenticated = p.header.ad === 1;
      return rrs.map((a) => ({ ...decodeTlsaRdata(Buffer.isBuffer(a.data) ? a.data : Buffer.alloc(0)), authenticated })) as RecordMap[T];
    }
    default:
      return rrs.map((a) => JSON.stringify(a)) as RecordMap[T];
  }
}

/**
 * A Resolve over the given servers: tried in order (the next one on timeout, SERVFAIL or
 * REFUSED, as stub resolvers do), all within one deadline per lookup.
 */
export function createDns2Resolver(opts: Dns2ResolverOptions): Resolve {
  if (opts.servers.length === 0) throw new Error('createDns2Resolver: no DNS servers given');
  const timeoutMs = opts.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS;
  return async <T extends RRType>(name: string, type: T, lookup?: LookupOptions): Promise<RecordMap[T]> => {
    const qname = name.replace(/\.$/, '');
    const deadlineAt = Date.now() + timeoutMs;
    let last: DnsError = new DnsError('ETIMEOUT', qname, type);
    for (const [i, server] of opts.servers.entries()) {
      // Give each remaining server a fair share of what is left of the deadline.
      const left = deadlineAt - Date.now();
      if (left <= 0) break;
      const share = Date.now() + Math.max(1, Math.floor(left / (opts.servers.length - i)));
      let p: Raw;
      try {
        p = await queryServer(server, qname, type, share, lookup?.signal);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (e instanceof DnsError) throw e;
        if (code === 'EABORTED') throw new DnsError('ETIMEOUT', qname, type, say('dns.not-answered', { qtype: type, qname, reasonMsg: DEADLINE_REASON }));
        last = code === 'ETIMEDOUT' || /timed out/i.test(String((e as Error).message))
          ? new DnsError('ETIMEOUT', qname, type)
          : code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
            ? new DnsError('ECONNREFUSED', qname, type, say('dns.error.server', { qtype: type, qname, address: server.address, port: server.port, errorMsg: osErrorText(e) }))
            : new DnsError('EBADRESP', qname, type, say('dns.error.query', { qtype: type, qname, errorMsg: osErrorText(e) }));
        continue;
      }
      const err = rcodeError(p.header.rcode);
      if (err === 'ESERVFAIL' || err === 'EREFUSED') {
        last = new DnsError(err, qname, type);
        continue;
      }
      if (err) throw new DnsError(err, qname, type);
      const records = extract(p, qname, type);
      if (records.length === 0) throw new DnsError('ENODATA', qname, type);
      return records;
    }
    throw last;
  };
}
