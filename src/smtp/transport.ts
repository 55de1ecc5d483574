// The only socket code: TCP connect, implicit TLS, STARTTLS upgrade, reading whole replies
// with a deadline, writing command bytes. Never throws for what the peer does: every read,
// connect and handshake resolves to data (a reply, or a failure with its kind).
// It owns the one queue of expected replies: each command line written (and the banner)
// expects one reply; a reply nobody asked for, or more than IDLE_BYTES_CAP bytes arriving
// while nothing is outstanding, ends the connection as a failure (nodemailer's
// _responseQueue 'Unexpected Response'; issue 10 items 1-2).
import net from 'node:net';
import tls from 'node:tls';
import { ReplyReader, type Reply } from './reply-parser.js';
import { collectTlsFacts, explainHandshakeFailure, wantsLegacyTls, type TlsFacts, type TlsRange } from './tls-facts.js';
import { say } from '../catalog/messages.js';
import { osErrorText } from '../catalog/os-errors.js';

export type FailureKind = 'timeout' | 'refused' | 'unreachable' | 'reset' | 'closed' | 'protocol' | 'limit' | 'tls' | 'network';

export interface Failure {
  kind: FailureKind;
  message: string;
  line?: string;
  /** A whole reply that arrived while no command was waiting for one (kind 'protocol'). */
  unsolicited?: Reply;
  /** It happened while no reply was outstanding (stray bytes, a flood): the stream is out of step. */
  idle?: true;
}

/**
 * Bytes the server may send while no reply is outstanding before the connection is cut:
 * enough for one stray line to be shown, far below what a flood would need (issue 10 item 2).
 */
export const IDLE_BYTES_CAP = 4096;

export type ReadResult = { ok: true; reply: Reply } | ({ ok: false } & Failure);

export interface TlsClientOptions {
  /** SNI and the name the certificate must match: the MX name, never an IP. */
  servername?: string;
  /** Extra trusted CAs (PEM), e.g. --ca-file. */
  ca?: string | Buffer | (string | Buffer)[];
  /** --tls-min/--tls-max: the protocol versions offered. TLS 1.0/1.1 bring OpenSSL security level 0. */
  versions?: TlsRange;
}

export interface ConnectTarget {
  host: string;
  address: string;
  port: number;
  implicitTls: boolean;
  tls: TlsClientOptions;
  /** Bind the connection to this local address (--source-ip: one of this host's addresses). */
  localAddress?: string;
}

export interface Transport {
  readonly isTls: boolean;
  readonly localAddress: string | undefined;
  /**
   * The next whole reply, or why none came before `deadlineAt` (epoch ms). Reads queue up:
   * two calls get two replies, in order; neither overwrites the other.
   */
  readReply(deadlineAt: number): Promise<ReadResult>;
  /**
   * Write command lines; each line ending in LF expects one reply. Refused (nothing written,
   * the failure returned) when the connection has failed or the server sent something
   * nobody asked for since the last reply was expected.
   */
  write(bytes: Buffer): Failure | undefined;
  /** A failure already known (unsolicited bytes, close, reset) without waiting; undefined when none. */
  pendingFailure?(): Failure | undefined;
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
function contextWithCa(ca: NonNullable<TlsClientOptions['ca']>, versions: tls.SecureContextOptions): tls.SecureContext {
  const list = Array.isArray(ca) ? ca : [ca];
  const key = `${JSON.stringify(versions)}\n${list.map((c) => c.toString()).join('\n')}`;
  let ctx = contexts.get(key);
  if (!ctx) {
    ctx = tls.createSecureContext({ ca: [...tls.rootCertificates, ...list], ...versions });
    contexts.set(key, ctx);
  }
  return ctx;
}

/** The versions (and, for TLS 1.0/1.1 asked for, security level 0) of a context. */
function versionOptions(r: TlsRange | undefined): tls.SecureContextOptions {
  return {
    minVersion: r?.min ?? 'TLSv1',
    ...(r?.max ? { maxVersion: r.max } : {}),
    // Only when the user asked for a legacy version: SECLEVEL=0 also admits weak keys.
    ...(wantsLegacyTls(r) ? { ciphers: 'DEFAULT@SECLEVEL=0' } : {}),
  };
}

function tlsConnectOptions(o: TlsClientOptions): tls.ConnectionOptions {
  // Verification is recorded as a finding, never enforced here (policy decides later).
  // A secureContext carries the versions itself (tls.connect ignores them beside one).
  const versions = versionOptions(o.versions);
  const opts: tls.ConnectionOptions = { rejectUnauthorized: false };
  if (o.servername && net.isIP(o.servername) === 0) opts.servername = o.servername;
  if (o.ca) opts.secureContext = contextWithCa(o.ca, versions);
  else Object.assign(opts, versions);
  return opts;
}

class SocketTransport implements Transport {
  private reader = new ReplyReader();
  /** Whole replies (or the final failure) not yet read, in arrival order. */
  private queue: ReadResult[] = [];
  /** Reads waiting for a reply, oldest first (one FIFO: a second read never displaces a first). */
  private waiters: ((r: ReadResult) => void)[] = [];
  /** Replies expected and not yet arrived: the banner, then one per command line written. */
  private outstanding: number;
  private ended: Failure | null = null;
  /** STARTTLS was sent: once its 220 is here, nothing more is read in plaintext (RFC 3207 §6). */
  private startTlsSent = false;
  private discarding = false;
  private onData = (chunk: Buffer): void => {
    if (this.ended || this.discarding) return;
    for (const ev of this.reader.feed(chunk)) {
      if (ev.type === 'error') {
        const idle = this.outstanding === 0 ? ' while no reply was expected' : '';
        this.finish({ kind: ev.kind, message: `${ev.message}${idle}`, ...(ev.line !== undefined ? { line: ev.line } : {}), ...(idle ? { idle: true as const } : {}) });
        return;
      }
      if (this.outstanding === 0) {
        this.finish({ kind: 'protocol', message: say('os.net.unsolicited-reply'), unsolicited: ev.reply, idle: true });
        return;
      }
      this.outstanding--;
      this.push({ ok: true, reply: ev.reply });
      if (this.startTlsSent && this.outstanding === 0) {
        this.startTlsSent = false;
        // Bytes after the 220 to STARTTLS are dropped unread, whatever they look like.
        if (ev.reply.code === 220) {
          this.discarding = true;
          this.reader = new ReplyReader();
          return;
        }
      }
    }
    // Nothing asked for, yet bytes keep coming: keep enough to show, then cut the flood.
    if (this.outstanding === 0 && this.reader.bufferedBytes > IDLE_BYTES_CAP) {
      this.finish({ kind: 'limit', message: say('os.net.idle-flood', { max: IDLE_BYTES_CAP }), idle: true });
    }
  };
  private onEnd = (): void => this.finish({ kind: 'closed', message: say('os.net.server-closed') });
  private onError = (e: NodeJS.ErrnoException): void => {
    const kind = errnoKind(e);
    this.finish({ kind, message: kind === 'reset' ? say('os.net.server-reset') : osErrorText(e) });
  };
  private onClose = (): void => this.finish({ kind: 'closed', message: say('os.net.closed') });

  constructor(private socket: net.Socket | tls.TLSSocket, public isTls: boolean) {
    this.outstanding = 1; // the banner
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
    const w = this.waiters.shift();
    if (w) w(r);
    else this.queue.push(r);
  }

  private finish(f: Failure): void {
    if (this.ended) return;
    // A reply that was half read when the peer vanished is worth saying.
    const msg = this.reader.hasPartial && f.kind === 'closed' ? say('os.net.mid-reply', { errorMsg: f.message }) : f.message;
    this.ended = { ...f, message: msg };
    if (f.kind === 'protocol' || f.kind === 'limit') {
      // Stop reading at once: a flood must not keep filling buffers (issue 10 item 2).
      this.socket.off('data', this.onData);
      this.socket.destroy();
    }
    // Every waiting read learns it now; later reads get it from `ended`.
    const waiting = this.waiters;
    this.waiters = [];
    if (waiting.length === 0) this.queue.push({ ok: false, ...this.ended });
    for (const w of waiting) w({ ok: false, ...this.ended });
  }

  readReply(deadlineAt: number): Promise<ReadResult> {
    const next = this.queue.shift();
    if (next) {
      // The final failure stays for every later read too.
      if (!next.ok) this.queue.unshift(next);
      return Promise.resolve(next);
    }
    if (this.ended) return Promise.resolve({ ok: false, ...this.ended });
    return new Promise((resolve) => {
      const ms = Math.max(0, deadlineAt - Date.now());
      const waiter = (r: ReadResult): void => {
        clearTimeout(timer);
        resolve(r);
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
        resolve({ ok: false, kind: 'timeout', message: say('os.net.reply-deadline') });
      }, ms);
      this.waiters.push(waiter);
    });
  }

  pendingFailure(): Failure | undefined {
    if (this.ended) return this.ended;
    if (this.discarding) return undefined;
    // Part of a line nobody asked for is already here: the stream is out of step.
    if (this.outstanding === 0 && this.queue.length === 0 && this.reader.hasPartial) {
      this.finish({ kind: 'protocol', message: say('os.net.unsolicited-bytes'), idle: true, ...(this.reader.partialText ? { line: this.reader.partialText } : {}) });
      return this.ended ?? undefined;
    }
    return undefined;
  }

  write(bytes: Buffer): Failure | undefined {
    const pending = this.pendingFailure();
    if (pending) return pending;
    if (this.socket.destroyed) return { kind: 'closed', message: say('os.net.closed') };
    let lines = 0;
    for (const b of bytes) if (b === 0x0a) lines++;
    this.outstanding += lines;
    if (/^STARTTLS\r?\n$/i.test(bytes.toString('latin1'))) this.startTlsSent = true;
    this.socket.write(bytes);
    return undefined;
  }

  upgradeTls(opts: TlsClientOptions, deadlineAt: number): Promise<{ ok: true; facts: TlsFacts } | ({ ok: false } & Failure)> {
    // RFC 3207 §6: nothing received before the handshake may survive it.
    this.detach();
    this.reader = new ReplyReader();
    this.queue = [];
    this.outstanding = 0; // after the handshake the server speaks only when asked (EHLO)
    this.discarding = false;
    this.startTlsSent = false;
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
      const onErr = (e: NodeJS.ErrnoException): void => settle({ ok: false, kind: 'tls', message: explainHandshakeFailure(e, opts.versions) });
      const timer = setTimeout(() => settle({ ok: false, kind: 'timeout', message: say('os.net.tls-deadline') }), Math.max(0, deadlineAt - Date.now()));
      secure.once('secureConnect', onSecure);
      secure.on('error', onErr);
      plain.once('close', () => settle({ ok: false, kind: 'tls', message: say('os.net.tls-closed') }));
    });
  }

  close(): void {
    // A read still waiting (Ctrl-C closes sessions mid-stage) ends now, not at its deadline.
    this.finish({ kind: 'closed', message: say('os.net.interrupted') });
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
    const local = target.localAddress ? { localAddress: target.localAddress } : {};
    const socket: net.Socket | tls.TLSSocket = target.implicitTls
      ? tls.connect({ ...tlsConnectOptions({ ...target.tls, servername: target.tls.servername ?? target.host }), host: target.address, port: target.port, ...(family ? { family } : {}), ...local })
      : net.connect({ host: target.address, port: target.port, ...(family ? { family } : {}), ...local });
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
      const k = target.implicitTls && kind === 'network' ? 'tls' : kind;
      settle({ ok: false, kind: k, message: target.implicitTls && e.code?.startsWith('ERR_SSL') ? explainHandshakeFailure(e, target.tls.versions) : osErrorText(e) });
    };
    const timer = setTimeout(
      () => settle({ ok: false, kind: 'timeout', message: say(target.implicitTls ? 'os.net.connect-tls-deadline' : 'os.net.connect-deadline') }),
      Math.max(0, deadlineAt - Date.now()),
    );
    socket.on('error', onErr);
    if (target.implicitTls) {
      socket.once('secureConnect', () => {
        const t = socket as tls.TLSSocket;
        settle({ ok: true, transport: new SocketTransport(t, true), tls: collectTlsFacts(t, target.tls.servername ?? target.host) });
      });
      socket.once('close', () => settle({ ok: false, kind: 'tls', message: say('os.net.tls-closed') }));
    } else {
      socket.once('connect', () => settle({ ok: true, transport: new SocketTransport(socket, false) }));
    }
  });
