// Test guard: any TCP connection or UDP datagram to a non-loopback address throws.
// Proves that no test reaches the internet, and that dns2's built-in public servers
// (8.8.8.8, 114.114.114.114) are never contacted (mailauth's deny-dns.js idea).
import net from 'node:net';
import dgram from 'node:dgram';

function isLoopback(host: unknown): boolean {
  if (host === undefined || host === null || host === '') return true; // node defaults to localhost
  const h = String(host).replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (/^::ffff:127\./i.test(h)) return true;
  return false;
}

export class NetworkDenied extends Error {}

function deny(what: string, host: unknown): never {
  throw new NetworkDenied(`test network guard: ${what} to non-loopback address ${String(host)} refused`);
}

const origConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function patchedConnect(this: net.Socket, ...args: unknown[]) {
  const first = args[0];
  let host: unknown;
  if (Array.isArray(first)) host = (first[0] as { host?: string } | undefined)?.host; // internal normalized form
  else if (typeof first === 'object' && first !== null) {
    const o = first as { host?: string; path?: string };
    if (o.path === undefined) host = o.host;
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) host = args[1];
  if (typeof host === 'string' && !isLoopback(host)) deny('TCP connect', host);
  return (origConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

const origSend = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function patchedSend(this: dgram.Socket, ...args: unknown[]) {
  // send(msg, [offset, length,] port, address, cb?)
  const addr = typeof args[2] === 'number' && typeof args[3] === 'number' ? args[4] : args[2];
  if (typeof addr === 'string' && !isLoopback(addr)) deny('UDP send', addr);
  return (origSend as (...a: unknown[]) => void).apply(this, args);
} as typeof dgram.Socket.prototype.send;
