// The HTTPS fetch of an MTA-STS policy (RFC 8461 §3.3): certificate verified against the
// system roots plus --ca-file, a deadline, a 64 KiB cap, no redirects followed. The host's
// address comes from the injected `lookup` (the probe's own resolver; in tests the loopback
// zone), never from the system resolver. Returns plain data; never throws.
import { say } from '../catalog/messages.js';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Resolve } from '../dns/resolver.js';

/** RFC 8461 §3.3: senders may refuse policies larger than 64 KiB. */
export const MAX_POLICY_BYTES = 64 * 1024;
export const POLICY_FETCH_TIMEOUT_MS = 10_000;

export type FetchFailureKind = 'dns' | 'network' | 'tls' | 'timeout' | 'too-large' | 'redirect' | 'http';

export type FetchResult =
  | { ok: true; url: string; address: string; status: number; contentType: string | null; body: string }
  | { ok: false; url: string; address?: string; kind: FetchFailureKind; message: string; status?: number; location?: string };

/** Fetch `https://<host><path>`; the shape checks take so tests can pass their own. */
export type FetchPolicy = (host: string, path: string) => Promise<FetchResult>;

export interface PolicyFetchOptions {
  /** The host's address (first A, else AAAA); rejects when the name has none. */
  lookup: (host: string) => Promise<string>;
  /** Extra trusted CA certificates (PEM), from --ca-file. */
  ca?: string;
  timeoutMs?: number;
  port?: number;
  maxBytes?: number;
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|HOSTNAME|ERR_SSL|ERR_TLS|EPROTO|DEPTH_ZERO|UNABLE_TO_VERIFY/;

export function createPolicyFetch(o: PolicyFetchOptions): FetchPolicy {
  const timeoutMs = o.timeoutMs ?? POLICY_FETCH_TIMEOUT_MS;
  const maxBytes = o.maxBytes ?? MAX_POLICY_BYTES;
  const ca = o.ca ? [...tls.rootCertificates, o.ca] : undefined;
  return async (host, path) => {
    const url = `https://${host}${path}`;
    let address: string;
    try {
      address = await o.lookup(host);
    } catch (e) {
      return { ok: false, url, kind: 'dns', message: say('fetch.no-address', { host, errorMsg: (e as Error).message }) };
    }
    return new Promise<FetchResult>((resolve) => {
      let done = false;
      const finish = (r: FetchResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        req.destroy();
        resolve(r);
      };
      const fail = (kind: FetchFailureKind, message: string, extra: { status?: number; location?: string } = {}): void =>
        finish({ ok: false, url, address, kind, message, ...extra });
      const req = https.request({
        host: address,
        family: net.isIP(address) === 6 ? 6 : 4,
        port: o.port ?? 443,
        path,
        method: 'GET',
        servername: host, // SNI and the identity the certificate must carry
        headers: { Host: host, 'User-Agent': 'smtp-probe', Accept: 'text/plain' },
        ...(ca ? { ca } : {}),
        rejectUnauthorized: true,
        agent: false,
      });
      const timer = setTimeout(() => fail('timeout', say('fetch.timeout', { host, seconds: Math.round(timeoutMs / 1000) })), timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) => {
        const code = String(e.code ?? '');
        if (TLS_CODES.test(code)) fail('tls', say('fetch.certificate', { host, errorMsg: e.message }));
        else fail('network', `${host} [${address}]: ${e.message}`);
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          const location = typeof res.headers.location === 'string' ? res.headers.location : undefined;
          fail('redirect', say('fetch.redirect', { url, status }), { status, ...(location ? { location } : {}) });
          return;
        }
        if (status !== 200) {
          fail('http', say('fetch.http', { url, status }), { status });
          return;
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          fail('too-large', say('fetch.too-large-declared', { bytes: declared, max: maxBytes }), { status });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > maxBytes) fail('too-large', say('fetch.too-large', { max: maxBytes }), { status });
          else chunks.push(d);
        });
        res.on('end', () => {
          const ct = res.headers['content-type'];
          finish({ ok: true, url, address, status, contentType: typeof ct === 'string' ? ct : null, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => fail('network', `${host}: ${e.message}`));
      });
      req.end();
    });
  };
}

/** The policy host's address through the run's own resolver: the first A, else the first AAAA. */
export function lookupWith(resolve: Resolve): (host: string) => Promise<string> {
  return async (host) => {
    try {
      const a = await resolve(host, 'A');
      if (a[0]) return a[0];
    } catch (e) {
      const aaaa = await resolve(host, 'AAAA').catch(() => { throw e; });
      if (aaaa[0]) return aaaa[0];
    }
    throw new Error('no address');
  };
}
