// A scripted SMTP peer on loopback for the demo and the tests: table-driven replies
// (smtp-server's handler table and send() rule), STARTTLS and implicit TLS with test
// certificates, and hostile behaviours (slow drip, endless continuation, 1 MB line,
// garbage, resets, TLS that never finishes, plaintext injected after STARTTLS).
// It records every line it receives so tests can assert that DATA/BDAT never arrive.
import net from 'node:net';
import tls from 'node:tls';
import { startSaslExchange, type SaslExchange, type ScriptAuth } from './sasl-server.js';

export interface ReplySpec {
  /** Full reply lines as sent ("250-PIPELINING", "250 OK"). */
  lines?: string[];
  /** Bytes sent as-is instead of lines (garbage, HTTP, injection). */
  raw?: string | Buffer;
  delayMs?: number;
  /** After replying: close politely ('end') or with a TCP RST ('reset'). */
  close?: 'end' | 'reset';
  /** Drip the reply one byte per this many ms. */
  dripMs?: number;
  /** Repeat this line forever (until the client goes away). */
  endless?: string;
  /** After replying 220 to STARTTLS: never complete the handshake. */
  hangTls?: boolean;
  /**
   * Sent after this reply without waiting for a command (a stray reply, a flood): its own
   * delayMs counts from this reply, and commands that arrive meanwhile wait behind it.
   */
  then?: ReplySpec;
}

export interface ScriptRule {
  /** Regular expression (case-insensitive) matched against the received command line. */
  match: string;
  reply: ReplySpec;
  /** Match only inside TLS (true) or only in plaintext (false). */
  tls?: boolean;
  /** Use this rule at most this many times (e.g. greylist the first attempt only). */
  times?: number;
  /** Only after this many earlier lines on the same connection matched `match` (e.g. 421 after 20 RCPT). */
  afterPerConnection?: number;
}

export interface SmtpScript {
  name?: string;
  hostname?: string;
  /** null: send no banner at all (the client must time out). */
  banner?: ReplySpec | null;
  /** Extensions offered after EHLO (STARTTLS is added when TLS material is set). */
  extensions?: string[];
  /** Local parts (or whole addresses) that exist; others get 550 5.1.1. */
  users?: string[];
  catchAll?: boolean;
  /** Local parts matching this regular expression exist too (large populations, for benchmarks). */
  userPattern?: string;
  rules?: ScriptRule[];
  /** Close the connection as soon as it opens. */
  closeOnConnect?: 'end' | 'reset';
  implicitTls?: boolean;
  /** Advertise STARTTLS even without TLS material (for tests of broken handshakes). */
  offerStartTls?: boolean;
  /** SMTP AUTH (sasl-server.ts): mechanisms offered in EHLO and the users that may log in. */
  auth?: ScriptAuth;
  /** More than `count` connections open at once: the extra ones get `banner` instead (e.g. 421 too many connections). */
  maxConnections?: { count: number; banner: ReplySpec };
  /**
   * Greylisting as postgrey does it: the first RCPT for a (client address, recipient) pair gets
   * 450 "Greylisted"; the same pair is let through once `delayMs` have passed since then.
   */
  greylist?: { delayMs: number };
}

export interface ScriptServerOptions {
  address?: string;
  port?: number;
  /** minVersion/maxVersion/ciphers: a server that speaks only some TLS versions (--tls-min/--tls-max tests). */
  tls?: { key: string | Buffer; cert: string | Buffer; minVersion?: tls.SecureVersion; maxVersion?: tls.SecureVersion; ciphers?: string };
  /** Delay added before every reply (benchmarks' D). */
  replyDelayMs?: number;
}

export interface ScriptServer {
  address: string;
  port: number;
  /** Every command line received, in order, over all connections. */
  received: string[];
  connections: number;
  /** The client's address of each connection, in order (tests of --source-ip). */
  clientAddresses: string[];
  /** When each connection opened (epoch ms), in the same order. */
  connectedAt: number[];
  /** When each line of `received` arrived (epoch ms), in the same order (tests of shared rates). */
  receivedAt: number[];
  /** When a connection got the maxConnections banner instead of the greeting (epoch ms). */
  refusedAt: number[];
  /** The most connections that were open at once. */
  maxOpen: number;
  /** The SNI each TLS handshake asked for ('' when none was sent), in order. */
  sni: string[];
  /** Connections whose socket has closed (the client hung up or we did). */
  closedConnections: number;
  /**
   * Errors thrown while answering (a bad rule in a test): the connection gets a 421 at
   * once instead of silence, and tests see the error here instead of a timeout.
   */
  errors: Error[];
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startScriptServer(script: SmtpScript, opts: ScriptServerOptions = {}): Promise<ScriptServer> {
  const address = opts.address ?? '127.0.0.1';
  const sockets = new Set<net.Socket>();
  const received: string[] = [];
  const clientAddresses: string[] = [];
  const connectedAt: number[] = [];
  const receivedAt: number[] = [];
  const refusedAt: number[] = [];
  const ruleUses = new Map<ScriptRule, number>();
  /** Greylisting: when each (client address, recipient) pair was first seen. */
  const greylistSeen = new Map<string, number>();
  const state = { connections: 0, open: 0, maxOpen: 0, closed: 0 };
  const errors: Error[] = [];
  const sni: string[] = [];
  const hostname = script.hostname ?? 'mx.script.test';
  const userPattern = script.userPattern !== undefined ? new RegExp(script.userPattern, 'i') : undefined;

  // One server context for all connections (parsing the key per connection is slow).
  let secureContext: tls.SecureContext | undefined;
  const serverContext = (): tls.SecureContext => {
    secureContext ??= tls.createSecureContext({
      key: opts.tls?.key, cert: opts.tls?.cert,
      ...(opts.tls?.minVersion ? { minVersion: opts.tls.minVersion } : {}),
      ...(opts.tls?.maxVersion ? { maxVersion: opts.tls.maxVersion } : {}),
      ...(opts.tls?.ciphers ? { ciphers: opts.tls.ciphers } : {}),
    });
    return secureContext;
  };

  const handle = (raw: net.Socket): void => {
    state.connections++;
    clientAddresses.push(raw.remoteAddress ?? '');
    connectedAt.push(Date.now());
    sockets.add(raw);
    state.open++;
    state.maxOpen = Math.max(state.maxOpen, state.open);
    // A connection counts as open until it closes or says QUIT (then it is on its way out).
    let counted = true;
    const leave = (): void => {
      if (counted) state.open--;
      counted = false;
    };
    raw.on('close', () => { sockets.delete(raw); leave(); state.closed++; });
    raw.on('error', () => {});
    raw.setNoDelay(true); // replies are small; Nagle would add a delayed-ACK wait to pipelined flights
    if (script.closeOnConnect === 'reset') return void raw.resetAndDestroy();
    if (script.closeOnConnect === 'end') return void raw.end();

    let sock: net.Socket = raw;
    let inTls = false;
    let buf = '';
    let chain = Promise.resolve();
    let dead = false;
    let lineArrivedAt = Date.now(); // when the command being answered arrived (the banner: the connection)
    const seenOnConnection = new Map<ScriptRule, number>();
    const overLimit = script.maxConnections !== undefined && state.open > script.maxConnections.count;
    raw.on('close', () => { dead = true; });

    const send = async (spec: ReplySpec, arrivedAt = lineArrivedAt): Promise<void> => {
      // replyDelayMs models the network: D after the command arrived, so a pipelined
      // flight costs one D, not one per command. delayMs is the server's own slowness.
      const delay = Math.max(0, (opts.replyDelayMs ?? 0) - (Date.now() - arrivedAt)) + (spec.delayMs ?? 0);
      if (delay > 0) await sleep(delay);
      if (dead) return;
      if (spec.endless !== undefined) {
        while (!dead && sock.writable) {
          if (!sock.write(`${spec.endless}\r\n`)) await new Promise((r) => sock.once('drain', r));
          await sleep(1);
        }
        return;
      }
      const bytes = spec.raw !== undefined ? Buffer.from(spec.raw) : Buffer.from((spec.lines ?? []).map((l) => `${l}\r\n`).join(''));
      if (spec.dripMs !== undefined) {
        for (const b of bytes) {
          if (dead) return;
          sock.write(Buffer.from([b]));
          await sleep(spec.dripMs);
        }
      } else if (bytes.length > 0) sock.write(bytes);
      if (spec.close === 'reset') {
        await sleep(5);
        raw.resetAndDestroy();
        dead = true;
      } else if (spec.close === 'end') {
        sock.end();
        dead = true;
      }
      if (spec.then) await send(spec.then, Date.now());
    };

    const upgrade = (): void => {
      raw.removeListener('data', onData);
      buf = '';
      if (!opts.tls) return;
      const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: serverContext() });
      secure.on('error', () => {});
      secure.once('secure', () => sni.push(typeof secure.servername === 'string' ? secure.servername : ''));
      secure.on('data', onData);
      sock = secure;
      inTls = true;
    };

    const ruleFor = (line: string): ScriptRule | undefined =>
      (script.rules ?? []).find((r) => {
        if (r.tls !== undefined && r.tls !== inTls) return false;
        if (r.times !== undefined && (ruleUses.get(r) ?? 0) >= r.times) return false;
        if (!new RegExp(r.match, 'i').test(line)) return false;
        if (r.afterPerConnection !== undefined) {
          const n = seenOnConnection.get(r) ?? 0;
          seenOnConnection.set(r, n + 1);
          if (n < r.afterPerConnection) return false;
        }
        return true;
      });

    let sasl: SaslExchange | undefined;
    const respond = async (line: string): Promise<void> => {
      // Inside an AUTH exchange a line is a SASL response, never a command.
      if (sasl) {
        const turn = sasl.next(line);
        if (turn.done) sasl = undefined;
        return send({ lines: turn.lines });
      }
      const rule = ruleFor(line);
      if (rule) {
        ruleUses.set(rule, (ruleUses.get(rule) ?? 0) + 1);
        if (/^STARTTLS/i.test(line) && rule.reply.hangTls) {
          await send(rule.reply);
          raw.removeListener('data', onData); // swallow the ClientHello, never answer
          return;
        }
        await send(rule.reply);
        const first = rule.reply.lines?.[0] ?? String(rule.reply.raw ?? '');
        if (/^STARTTLS/i.test(line) && first.startsWith('220')) upgrade();
        return;
      }
      const verb = (line.split(' ')[0] ?? '').toUpperCase();
      switch (verb) {
        case 'EHLO': {
          const ext = [...(script.extensions ?? ['PIPELINING', 'SIZE 10240000', '8BITMIME', 'ENHANCEDSTATUSCODES'])];
          if ((opts.tls || script.offerStartTls) && !inTls && !script.implicitTls) ext.push('STARTTLS');
          if (script.auth && (inTls || !script.auth.tlsOnly)) ext.push(`AUTH ${script.auth.mechanisms.join(' ')}`);
          const lines = [`${hostname} Hello ${line.slice(5)}`, ...ext];
          return send({ lines: lines.map((l, i) => `250${i === lines.length - 1 ? ' ' : '-'}${l}`) });
        }
        case 'HELO': return send({ lines: [`250 ${hostname}`] });
        case 'STARTTLS':
          if (!opts.tls && !script.offerStartTls) return send({ lines: ['502 5.5.1 STARTTLS not available'] });
          await send({ lines: ['220 2.0.0 Ready to start TLS'] });
          return upgrade();
        case 'AUTH': {
          if (!script.auth) return send({ lines: ['502 5.5.1 Error: authentication not enabled'] });
          if (script.auth.plaintext538 && !inTls) return send({ lines: ['538 5.7.11 Encryption required for requested authentication mechanism'] });
          const started = startSaslExchange(script.auth, line.slice(5));
          if (!started.turn.done) sasl = started.exchange;
          return send({ lines: started.turn.lines });
        }
        case 'VRFY': case 'EXPN': return send({ lines: ['502 5.5.1 VRFY and EXPN are disabled'] });
        case 'MAIL': return send({ lines: ['250 2.1.0 Ok'] });
        case 'RCPT': {
          const addr = /<([^>]*)>/.exec(line)?.[1] ?? '';
          const local = addr.split('@')[0] ?? '';
          if (script.greylist) {
            const pair = `${raw.remoteAddress ?? ''} ${addr.toLowerCase()}`;
            const first = greylistSeen.get(pair);
            if (first === undefined) greylistSeen.set(pair, Date.now());
            if (first === undefined || Date.now() - first < script.greylist.delayMs) {
              return send({ lines: [`450 4.2.0 <${addr}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/${addr.split('@')[1] ?? ''}.html`] });
            }
          }
          const users = script.users ?? [];
          if (script.catchAll || users.includes(addr) || users.includes(local) || userPattern?.test(local)) return send({ lines: ['250 2.1.5 Ok'] });
          return send({ lines: [`550 5.1.1 <${addr}>: Recipient address rejected: User unknown in local recipient table`] });
        }
        case 'RSET': return send({ lines: ['250 2.0.0 Ok'] });
        case 'NOOP': return send({ lines: ['250 2.0.0 Ok'] });
        case 'QUIT': return send({ lines: ['221 2.0.0 Bye'], close: 'end' });
        case 'DATA': case 'BDAT': return send({ lines: ['554 5.5.0 this test server never takes a message'] });
        default: return send({ lines: ['502 5.5.2 Error: command not recognized'] });
      }
    };

    // Never silence: the test learns the error, the client gets a reply instead of a timeout.
    const failed = (e: unknown): void => {
      errors.push(e instanceof Error ? e : new Error(String(e)));
      if (!dead && sock.writable) sock.end(`421 4.3.0 scripted server error: ${String(e instanceof Error ? e.message : e).replace(/[\r\n]/g, ' ')}\r\n`);
      dead = true;
    };

    function onData(chunk: Buffer): void {
      buf += chunk.toString('latin1');
      if (buf.length > 64 * 1024) return void raw.destroy();
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = Buffer.from(buf.slice(0, nl).replace(/\r$/, ''), 'latin1').toString('utf8');
        buf = buf.slice(nl + 1);
        received.push(line);
        receivedAt.push(Date.now());
        if (/^QUIT\b/i.test(line)) leave();
        const wasTls = inTls;
        const at = Date.now();
        chain = chain.then(() => { lineArrivedAt = at; return respond(line); }).catch(failed);
        // After STARTTLS the rest of the plaintext buffer must not be read as commands.
        if (/^STARTTLS/i.test(line) && !wasTls) {
          chain = chain.then(() => undefined);
          break;
        }
      }
    }

    const greet = (): void => {
      sock.on('data', onData);
      if (script.banner === null) return;
      const banner = overLimit ? script.maxConnections?.banner : script.banner;
      if (overLimit) refusedAt.push(Date.now());
      chain = chain.then(() => send(banner ?? { lines: [`220 ${hostname} ESMTP scripted`] })).catch(failed);
    };

    if (script.implicitTls && opts.tls) {
      const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: serverContext() });
      secure.on('error', () => {});
      secure.once('secure', () => sni.push(typeof secure.servername === 'string' ? secure.servername : ''));
      sock = secure;
      inTls = true;
      secure.once('secure', greet);
    } else greet();
  };

  const server = net.createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, address, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    address,
    port,
    received,
    clientAddresses,
    connectedAt,
    receivedAt,
    refusedAt,
    errors,
    sni,
    get connections() {
      return state.connections;
    },
    get maxOpen() {
      return state.maxOpen;
    },
    get closedConnections() {
      return state.closed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
