// The wire side of the Resolve contract, over dns2 (random query IDs, a fresh UDP socket
// per query, answers from the wrong source dropped). dns2 is never given its default
// public servers: the caller passes the system's or --resolver. Every query has a deadline,
// including the TCP retry after a truncated answer, which we do ourselves because dns2's
// TCP client has no timeout. rcode → DnsError code, so callers branch on codes.
import dns2, { type Packet as DnsPacket } from 'dns2';
import net from 'node:net';
import { DnsError, type DnsErrorCode, type RecordMap, type Resolve, type RRType } from './resolver.js';

const { Packet } = dns2;

export interface DnsServerAddress { address: string; port: number }

export interface Dns2ResolverOptions {
  servers: readonly DnsServerAddress[];
  /** Deadline for one lookup over all servers and the TCP retry (ms). */
  timeoutMs?: number;
}

export const DEFAULT_DNS_TIMEOUT_MS = 5_000;
const MAX_TCP_MESSAGE = 65_535;

type Raw = DnsPacket & { header: { rcode: number; tc: number }; answers: Record<string, unknown>[] };

/** One query over TCP (RFC 1035 §4.2.2 two-byte length framing), bounded by `deadlineAt`. */
function queryTcp(server: DnsServerAddress, name: string, type: RRType, deadlineAt: number): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const q = new Packet();
    q.header.id = Packet.uuid();
    q.header.rd = 1;
    q.questions.push({ name, type: Packet.TYPE[type], class: Packet.CLASS.IN } as never);
    const msg = q.toBuffer();
    const framed = Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 0xff]), msg]);
    const socket = net.connect({ host: server.address, port: server.port });
    let buf = Buffer.alloc(0);
    const done = (err: Error | null, p?: Raw): void => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.on('error', () => {});
      socket.destroy();
      if (err) reject(err);
      else resolve(p as Raw);
    };
    const timer = setTimeout(() => done(Object.assign(new Error('TCP query timed out'), { code: 'ETIMEDOUT' })), Math.max(0, deadlineAt - Date.now()));
    socket.on('connect', () => socket.write(framed));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > MAX_TCP_MESSAGE + 2) return done(new Error('TCP answer too long'));
      if (buf.length < 2) return;
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) return;
      try {
        const p = Packet.parse(buf.subarray(2, 2 + len)) as Raw;
        if (p.header.id !== q.header.id) return done(new Error('TCP answer with the wrong query id'));
        done(null, p);
      } catch (e) {
        done(e as Error);
      }
    });
    socket.on('error', (e) => done(e));
    socket.on('end', () => done(new Error('the DNS server closed the TCP connection without an answer')));
  });
}

async function queryServer(server: DnsServerAddress, name: string, type: RRType, deadlineAt: number): Promise<Raw> {
  const remaining = Math.max(1, deadlineAt - Date.now());
  const udp = Packet.TYPE[type] === undefined ? undefined : dns2.UDPClient({
    dns: server.address,
    port: server.port,
    socketType: net.isIPv6(server.address) ? 'udp6' : 'udp4',
    timeout: remaining,
    retryOverTCP: false, // we retry over TCP ourselves, with a deadline
  });
  if (!udp) throw new DnsError('EFORMERR', name, type, `unsupported record type ${type}`);
  const p = (await udp(name, type)) as Raw;
  if (p.header.tc) return queryTcp(server, name, type, deadlineAt);
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

/** Answer records of the asked type (a recursive answer may carry the CNAME chain first). */
function extract<T extends RRType>(p: Raw, type: T): RecordMap[T] {
  const code = Packet.TYPE[type];
  const rrs = p.answers.filter((a) => a.type === code);
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
  return async <T extends RRType>(name: string, type: T): Promise<RecordMap[T]> => {
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
        p = await queryServer(server, qname, type, share);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (e instanceof DnsError) throw e;
        last = code === 'ETIMEDOUT' || /timed out/i.test(String((e as Error).message))
          ? new DnsError('ETIMEOUT', qname, type)
          : code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
            ? new DnsError('ECONNREFUSED', qname, type, `${type} ${qname}: ${server.address} port ${server.port}: ${(e as Error).message}`)
            : new DnsError('EBADRESP', qname, type, `${type} ${qname}: ${(e as Error).message}`);
        continue;
      }
      const err = rcodeError(p.header.rcode);
      if (err === 'ESERVFAIL' || err === 'EREFUSED') {
        last = new DnsError(err, qname, type);
        continue;
      }
      if (err) throw new DnsError(err, qname, type);
      const records = extract(p, type);
      if (records.length === 0) throw new DnsError('ENODATA', qname, type);
      return records;
    }
    throw last;
  };
}
