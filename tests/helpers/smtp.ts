// Loopback SMTP helpers: start a scripted server, run one session against it, and the
// safety assertion every loopback test makes (no DATA, no BDAT ever reached the server).
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { startScriptServer, type ScriptServer, type ScriptServerOptions, type SmtpScript } from '../../src/demo/smtp-script-server.js';
import { runSession, type SessionOptions, type SessionResult } from '../../src/smtp/session.js';
import { connectTransport } from '../../src/smtp/transport.js';
import { ROOT } from './cli.js';

export const TLS = {
  key: readFileSync(`${ROOT}/fixtures/tls/mx.key`),
  cert: readFileSync(`${ROOT}/fixtures/tls/mx.pem`),
  ca: readFileSync(`${ROOT}/fixtures/tls/ca.pem`, 'utf8'),
};
export const tlsMaterial = (name: 'mx' | 'expired' | 'wrong-name' | 'names-only'): { key: Buffer; cert: Buffer } => ({
  key: readFileSync(`${ROOT}/fixtures/tls/${name}.key`),
  cert: readFileSync(`${ROOT}/fixtures/tls/${name}.pem`),
});

export function expectNoMessageSent(server: ScriptServer): void {
  for (const line of server.received) expect(line).not.toMatch(/^(DATA|BDAT)\b/i);
}

/** A scripted server that threw while answering fails the test with its error (never a timeout). */
export function expectNoServerError(server: ScriptServer): void {
  if (server.errors.length > 0) throw server.errors[0];
}

export async function withServer<T>(script: SmtpScript, opts: ScriptServerOptions, fn: (s: ScriptServer) => Promise<T>): Promise<T> {
  const server = await startScriptServer(script, opts);
  try {
    return await fn(server);
  } finally {
    expectNoMessageSent(server);
    expectNoServerError(server);
    await server.close();
  }
}

export function sessionOptions(server: ScriptServer, over: Partial<SessionOptions> = {}): SessionOptions {
  return {
    host: 'mx.script.test',
    address: server.address,
    port: server.port,
    implicitTls: false,
    tlsMode: 'auto',
    tlsVerify: false,
    tls: { ca: TLS.ca },
    helo: 'probe.example.net',
    from: '',
    rcpts: ['bob@script.test'],
    timeoutScale: 1,
    runDeadline: Date.now() + 60_000,
    ...over,
  };
}

export function session(server: ScriptServer, over: Partial<SessionOptions> = {}): Promise<SessionResult> {
  return runSession(sessionOptions(server, over), { connect: connectTransport, now: () => Date.now() });
}
