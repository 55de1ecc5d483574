// DNS answers that must answer the question, and MX hosts that point back at this machine,
// end to end: a forged MX answer racing the true one never reaches the probe; an MX resolving
// to loopback, 0.0.0.0 or link-local is still dialled (tests rely on it) but warned about in
// the human output and in --json.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZoneServer, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { startScriptServer, type ScriptServer } from '../../src/demo/smtp-script-server.js';
import { localAddressKind } from '../../src/dns/ip-names.js';
import { runBin } from '../helpers/cli.js';
import { expectNoMessageSent } from '../helpers/smtp.js';

const WARNING = 'probing it tests this machine, not the domain';
let dns: ZoneServer;
let mx: ScriptServer;
let args: (target: string, ...more: string[]) => string[];
beforeAll(async () => {
  mx = await startScriptServer({ hostname: 'mx.forged.test', users: ['bob'] });
  dns = await startZoneServer({
    'forged.test': {
      MX: [{ exchange: 'mx.forged.test', priority: 10 }],
      spoof: { owner: 'attacker.test', records: { MX: [{ exchange: 'mx.attacker.test', priority: 0 }] }, thenTrue: true },
    },
    'mx.forged.test': { A: ['127.0.0.1'] },
    'mx.attacker.test': { A: ['127.0.0.1'] },
    'nowhere.test': { MX: [{ exchange: 'mx.nowhere.test', priority: 10 }] },
    'mx.nowhere.test': { A: ['0.0.0.0'] },
  });
  args = (target, ...more) => [target, '--resolver', `${dns.address}:${dns.port}`, '--port', String(mx.port), '--helo', 'probe.example.net', '--checks', 'never', ...more];
});
afterAll(async () => {
  expectNoMessageSent(mx);
  await Promise.all([dns.close(), mx.close()]);
});

describe('DNS answers in the probe', () => {
  it('a forged MX answer is dropped; the true MX is probed', async () => {
    const r = await runBin(args('bob@forged.test'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^MX forged\.test: 10 mx\.forged\.test \[127\.0\.0\.1\]$/m);
    expect(r.stdout).not.toContain('attacker');
  });

  it('an MX on loopback is probed and warned about, in text and in JSON', async () => {
    const r = await runBin(args('bob@forged.test'));
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(`! mx.forged.test: resolves to 127.0.0.1 (loopback: this machine): ${WARNING}`);
    const j = JSON.parse((await runBin(args('bob@forged.test', '--json'))).stdout) as { warnings: string[]; mailHosts: { hosts: { notes: string[] }[] }; verdict: { kind: string } };
    expect(j.verdict.kind).toBe('accepted'); // warned, not blocked
    expect(j.warnings.some((w) => w.includes(WARNING))).toBe(true);
    expect(j.mailHosts.hosts[0]?.notes.some((n) => n.includes(WARNING))).toBe(true);
  });

  it('an MX on 0.0.0.0 ("nowhere", which connects to this machine) is warned about too', async () => {
    const r = await runBin(args('bob@nowhere.test'));
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(`mx.nowhere.test: resolves to 0.0.0.0 (unspecified`);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(WARNING);
  });
});

describe('localAddressKind', () => {
  it('knows loopback, unspecified and link-local, IPv4, IPv6 and IPv4-mapped', () => {
    for (const ip of ['127.0.0.1', '127.255.3.4', '0.0.0.0', '0.1.2.3', '169.254.10.1', '::1', '::', 'fe80::1', 'febf::1', '::ffff:127.0.0.1', '::FFFF:169.254.0.1']) {
      expect(localAddressKind(ip), ip).toBeDefined();
    }
    for (const ip of ['192.0.2.1', '10.0.0.1', '128.0.0.1', '2001:db8::1', 'fec0::1', '::2', '::ffff:192.0.2.1', 'mx.example.test']) {
      expect(localAddressKind(ip), ip).toBeUndefined();
    }
  });
});
