// --source-ip for the in-process verify (no Redis needed): every SMTP connection leaves from
// the given address of this host; an address this host does not have, or a family that
// cannot reach the servers, is a usage error before anything is sent — as are a malformed
// --queue URL (its password never repeated) and a bad --queue-name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { startWorld, type World } from '../loopback/verify/world.js';

let world: World;
let base: string[];
beforeAll(async () => {
  world = await startWorld({ 'src.test': { script: { users: ['bob'] } } });
  base = ['verify', '--resolver', `${world.dns.address}:${world.dns.port}`, '--port', String(world.port), '--helo', 'verify.example.net', '--timeout', '6s'];
});
afterAll(async () => {
  await world?.close();
});

describe('verify --source-ip', () => {
  it('binds every connection to the source address', async () => {
    const r = await runBin([...base, '--json', '--source-ip', '127.0.0.77', 'bob@src.test', 'nobody@src.test']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { verdict: string }).verdict).sort()).toEqual(['deliverable', 'undeliverable']);
    const s = world.servers['src.test']!;
    expect(s.clientAddresses.length).toBeGreaterThan(0);
    expect(new Set(s.clientAddresses)).toEqual(new Set(['127.0.0.77']));
  });

  it.each([
    [['--source-ip', '192.0.2.200'], /--source-ip 192\.0\.2\.200 is not an address of this host/],
    [['--source-ip', 'not-an-ip'], /is not an IP address/],
    [['--source-ip', '127.0.0.77', '-6'], /IPv4: it cannot send over IPv6/],
    [['--source-ip', '127.0.0.77', '--queue', 'redis://127.0.0.1:1/0'], /--source-ip is a worker's flag with --queue/],
    [['--queue', 'http://:pw-secret-9@127.0.0.1/0'], /^smtp-probe: --queue "http:\/\/\*\*\*@127\.0\.0\.1\/0": the scheme must be redis: or rediss:/],
    [['--queue', 'redis://127.0.0.1:1/0', '--queue-name', 'a:b'], /--queue-name "a:b": use 1 to 64 letters/],
  ])('refuses %j before any I/O (exit 2)', async (flags, why) => {
    const before = world.servers['src.test']!.connections;
    const r = await runBin([...base, ...flags, 'bob@src.test']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(why);
    expect(r.stderr).not.toContain('pw-secret-9');
    expect(world.servers['src.test']!.connections).toBe(before);
  });
});
