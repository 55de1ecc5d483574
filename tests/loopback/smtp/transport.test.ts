// The transport's one queue of expected replies, over a raw loopback socket: concurrent
// reads get replies in order (a second read never displaces the first), a reply nobody
// asked for and bytes buffered before a write are refused at the write, and a flood while
// nothing is outstanding is cut at IDLE_BYTES_CAP.
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { connectTransport, IDLE_BYTES_CAP, type Transport } from '../../../src/smtp/transport.js';

let server: net.Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A raw peer: `onConn` writes what it likes; returns the port and what it received. */
async function rawPeer(onConn: (s: net.Socket) => void): Promise<{ port: number; received: string[] }> {
  const received: string[] = [];
  server = net.createServer((s) => {
    s.on('error', () => {});
    s.on('data', (d) => received.push(d.toString('latin1')));
    onConn(s);
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
  return { port: (server?.address() as net.AddressInfo).port, received };
}

async function open(port: number): Promise<Transport> {
  const c = await connectTransport({ host: 'raw.test', address: '127.0.0.1', port, implicitTls: false, tls: {} }, Date.now() + 5_000);
  if (!c.ok) throw new Error(c.message);
  return c.transport;
}

describe('one queue of expected replies', () => {
  it('two reads waiting at once get the banner and the next reply, in order', async () => {
    const { port } = await rawPeer((s) => {
      setTimeout(() => s.write('220 hi\r\n'), 30);
      s.on('data', () => s.write('250 ok\r\n'));
    });
    const t = await open(port);
    const first = t.readReply(Date.now() + 5_000);
    const second = t.readReply(Date.now() + 5_000);
    const [a] = await Promise.all([first]);
    expect(a).toMatchObject({ ok: true, reply: { code: 220 } });
    expect(t.write(Buffer.from('NOOP\r\n'))).toBeUndefined();
    expect(await second).toMatchObject({ ok: true, reply: { code: 250 } });
    t.close();
  });

  it('a reply nobody asked for is refused at the next write, which then sends nothing', async () => {
    const { port, received } = await rawPeer((s) => s.write('220 hi\r\n250 stray\r\n'));
    const t = await open(port);
    expect(await t.readReply(Date.now() + 5_000)).toMatchObject({ ok: true, reply: { code: 220 } });
    await new Promise((r) => setTimeout(r, 50));
    const f = t.write(Buffer.from('EHLO x.test\r\n'));
    expect(f).toMatchObject({ kind: 'protocol', unsolicited: { code: 250, text: 'stray' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(received.join('')).toBe('');
    t.close();
  });

  it('part of a line nobody asked for, buffered at the moment we write, is refused too', async () => {
    const { port, received } = await rawPeer((s) => s.write('220 hi\r\n250-half a'));
    const t = await open(port);
    await t.readReply(Date.now() + 5_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(t.write(Buffer.from('EHLO x.test\r\n'))).toMatchObject({ kind: 'protocol', message: expect.stringMatching(/bytes nobody asked for/), line: '250-half a' });
    expect(received.join('')).toBe('');
    t.close();
  });

  it(`a flood while nothing is outstanding is cut after ${IDLE_BYTES_CAP} bytes`, async () => {
    let written = 0;
    let stopped = false;
    const { port } = await rawPeer((s) => {
      s.write('220 hi\r\n');
      s.on('close', () => { stopped = true; });
      const pump = (): void => {
        if (stopped || s.destroyed) return;
        const chunk = `250-${'f'.repeat(300)}\r\n`.repeat(10);
        written += chunk.length;
        if (s.write(chunk)) setImmediate(pump);
        else s.once('drain', pump);
      };
      setTimeout(pump, 20);
    });
    const t = await open(port);
    await t.readReply(Date.now() + 5_000);
    const t0 = Date.now();
    while (!stopped && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 10));
    expect(stopped).toBe(true); // we hung up on it
    expect(t.pendingFailure?.()).toMatchObject({ kind: 'limit', message: expect.stringMatching(/while no reply was expected/) });
    expect(written).toBeGreaterThan(IDLE_BYTES_CAP);
    t.close();
  });
});
