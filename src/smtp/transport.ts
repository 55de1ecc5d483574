// The only socket code: TCP connect, implicit TLS, STARTTLS upgrade, reading whole replies
// with a deadline, writing command bytes. Never throws for what the peer does: every read,
// connect and handshake resolves to data (a reply, or a failure with its kind).
import net from 'node:net';
import tls from 'node:tls';
import { ReplyReader, type Reply } from './reply-parser.js';
import { collectTlsFacts, type TlsFacts } from './tls-facts.js';

export type FailureKind = 'timeout' | 'refused' | 'unreachable' | 'reset' | 'closed' | 'protocol' | 'limit' | 'tls' | 'network';

export interface Failure { kind: FailureKind; message: string; line?: string }

export type ReadResult = { ok: true; reply: Reply } | ({ ok: false } & Failure);

export interface TlsClientOptions {
  /** SNI and the name the certificate must match: the MX name, never an IP. */
  servername?: string;
  /** Extra trusted CAs (PEM), e.g. --ca-file. */
  ca?: string | Buffer | (string | Buffer)[];
}

export interface ConnectTarget {
  host: string;
  address: string;
  port: number;
  implicitTls: boolean;
  tls: TlsClientOptions;
}

export interface Transport {
  readonly isTls: boolean;
  readonly localAddress: string | undefined;
  /** The next whole reply, or why none came before `deadlineAt` (epoch ms). */
  readReply(deadlineAt: number): Promise<ReadResult>;
  write(bytes: Buffer): void;
  /** STARTTLS: discard anything read so far, wrap the socket, handshake before `deadlineAt`. */
  upgradeTls(opts: TlsClientOptions, deadlineAt: number): Promise<{ ok: true; facts: TlsFacts } | ({ ok: false } & Failure)>;
  close(): void;
}

export type ConnectResult = { ok: true; transport: Transport; tls?: TlsFacts } | ({ ok: false } & Failure);
export type Connect = (target: ConnectTarget, deadlineAt: number) => Promise<ConnectResult>;

function errnoKind(e: NodeJS.ErrnoException): FailureKind {
  switch (e.code) {
    case 'ECONNREFUSED': return 'refused';
    case 'ECONNRESET': case 'EPIPE': return 'reset';
    case 'EHOSTUNREACH': case 'ENETUNREACH': case 'EADDRNOTAVAIL': return 'unreachable';
    case 'ETIMEDOUT': return 'timeout';
    default: return e.code?.startsWith('ERR_SSL') || e.code?.startsWith('ERR_TLS') ? 'tls' : 'network';
  }
}

// Parsing the ~140 system roots plus --ca-file costs tens of milliseconds: one context
// per distinct CA set, reused by every connection of the run.
const contexts = new Map<string, tls.SecureContext>();
function contextWithCa(ca: NonNullable<TlsClientOptions['ca']>): tls.SecureContext {
  const list = Array.isArray(ca) ? ca : [ca];
  const key = list.map((c) => c.toString()).join('\n');
  let ctx = contexts.get(key);
  if (!ctx) {
    ctx = tls.createSecureContext({ ca: [...tls.rootCertificates, ...list], minVersion: 'TLSv1' });
    contexts.set(key, ctx);
  }
  return ctx;
}

function tlsConnectOptions(o: TlsClientOptions): tls.ConnectionOptions {
  // Verification is recorded as a finding, never enforced here (policy decides later).
  const opts: tls.ConnectionOptions = { rejectUnauthorized: false, minVersion: 'TLSv1' };
  if (o.servername && net.isIP(o.servername) === 0) opts.servername = o.servername;
  if (o.ca) opts.secureContext = contextWithCa(o.ca);
  return opts;
}

class SocketTransport implements Transport {
  private reader = new ReplyReader();
  private queue: ReadResult[] = [];
  private waiter: ((r: ReadResult) => void) | null = null;
  private ended: Failure | null = null;
  private onData = (chunk: Buffer): void => {
    for (const ev of this.reader.feed(chunk)) {
      if (ev.type === 'reply') this.push({ ok: true, reply: ev.reply });
      else this.finish({ kind: ev.kind, message: ev.message, ...(ev.line !== undefined ? { line: ev.line } : {}) });
    }
  };
  private onEnd = (): void => this.finish({ kind: 'closed', message: 'the server closed the connection' });
  private onError = (e: NodeJS.ErrnoException): void => {
    const kind = errnoKind(e);
    this.finish({ kind, message: kind === 'reset' ? 'the server reset the connection' : e.message });
  };
  private onClose = (): void => this.finish({ kind: 'closed', message: 'the connection was closed' });

  constructor(private socket: net.Socket | tls.TLSSocket, public isTls: boolean) {
    this.attach();
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  private attach(): void {
    // Commands are small and each waits for its reply: Nagle's delay would cost a round trip.
    this.socket.setNoDelay(true);
    this.socket.on('data', this.onData);
    this.socket.on('end', this.onEnd);
    this.socket.on('error', this.onError);
    this.socket.on('close', this.onClose);
  }

  private detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('error', this.onError);
    this.socket.off('close', this.onClose);
  }

  private push(r: ReadResult): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(r);
    } else this.queue.push(r);
  }

  private finish(f: Failure): void {
    if (this.ended) return;
    // A reply that was half read when the peer vanished is worth saying.
    const msg = this.reader.hasPartial && f.kind === 'closed' ? `${f.message} in the middle of a reply` : f.message;
    this.ended = { ...f, message: msg };
    if (f.kind === 'protocol' || f.kind === 'limit') this.socket.destroy();
    this.push({ ok: false, ...this.ended });
  }

  readReply(deadlineAt: number): Promise<ReadResult> {
    const next = this.queue.shift();
    if (next) return Promise.resolve(next);
    if (this.ended) return Promise.resolve({ ok: false, ...this.ended });
    return new Promise((resolve) => {
      const ms = Math.max(0, deadlineAt - Date.now());
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve({ ok: false, kind: 'timeout', message: 'no complete reply before the deadline' });
      }, ms);
      this.waiter = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
    });
  }

  write(bytes: Buffer): void {
    if (this.ended || this.socket.destroyed) return;
    this.socket.write(bytes);
  }

  upgradeTls(opts: TlsClientOptions, deadlineAt: number): Promise<{ ok: true; facts: TlsFacts } | ({ ok: false } & Failure)> {
    // RFC 3207 §6: nothing received before the handshake may survive it.
    this.detach();
    this.reader = new ReplyReader();
    this.queue = [];
    const plain = this.socket;
    return new Promise((resolve) => {
      let done = false;
      const secure = tls.connect({ ...tlsConnectOptions(opts), socket: plain });
      const settle = (r: { ok: true; facts: TlsFacts } | ({ ok: false } & Failure)): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        secure.off('secureConnect', onSecure);
        secure.off('error', onErr);
        if (!r.ok) {
          secure.on('error', () => {});
          secure.destroy();
          plain.destroy();
          this.ended = r;
        }
        resolve(r);
      };
      const onSecure = (): void => {
        this.socket = secure;
        this.isTls = true;
        this.attach();
        settle({ ok: true, facts: collectTlsFacts(secure, opts.servername) });
      };
      const onErr = (e: NodeJS.ErrnoException): void => settle({ ok: false, kind: 'tls', message: `TLS handshake failed: ${e.message}` });
      const timer = setTimeout(() => settle({ ok: false, kind: 'timeout', message: 'the TLS handshake did not finish before the deadline' }), Math.max(0, deadlineAt - Date.now()));
      secure.once('secureConnect', onSecure);
      secure.on('error', onErr);
      plain.once('close', () => settle({ ok: false, kind: 'tls', message: 'the server closed the connection during the TLS handshake' }));
    });
  }

  close(): void {
    // A read still waiting (Ctrl-C closes sessions mid-stage) ends now, not at its deadline.
    this.finish({ kind: 'closed', message: 'the connection was closed on our side (interrupted)' });
    this.detach();
    this.socket.on('error', () => {});
    this.socket.destroy();
  }
}

/** Connect over TCP (and TLS for port 465). Resolves to a transport or a failure; never rejects. */
export const connectTransport: Connect = (target, deadlineAt) =>
  new Promise((resolve) => {
    let done = false;
    const family = net.isIP(target.address);
    const socket: net.Socket | tls.TLSSocket = target.implicitTls
      ? tls.connect({ ...tlsConnectOptions({ ...target.tls, servername: target.tls.servername ?? target.host }), host: target.address, port: target.port, ...(family ? { family } : {}) })
      : net.connect({ host: target.address, port: target.port, ...(family ? { family } : {}) });
    const settle = (r: ConnectResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('error', onErr);
      if (!r.ok) {
        socket.on('error', () => {});
        socket.destroy();
      }
      resolve(r);
    };
    const onErr = (e: NodeJS.ErrnoException): void => {
      const kind = errnoKind(e);
      settle({ ok: false, kind: target.implicitTls && kind === 'network' ? 'tls' : kind, message: e.message });
    };
    const timer = setTimeout(
      () => settle({ ok: false, kind: 'timeout', message: target.implicitTls ? 'the connection or TLS handshake did not finish before the deadline' : 'the connection was not accepted before the deadline' }),
      Math.max(0, deadlineAt - Date.now()),
    );
    socket.on('error', onErr);
    if (target.implicitTls) {
      socket.once('secureConnect', () => {
        const t = socket as tls.TLSSocket;
        settle({ ok: true, transport: new SocketTransport(t, true), tls: collectTlsFacts(t, target.tls.servername ?? target.host) });
      });
      socket.once('close', () => settle({ ok: false, kind: 'tls', message: 'the server closed the connection during the TLS handshake' }));
    } else {
      socket.once('connect', () => settle({ ok: true, transport: new SocketTransport(socket, false) }));
    }
  });
