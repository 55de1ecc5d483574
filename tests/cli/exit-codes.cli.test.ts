// The README's exit-code table is the single truth for every command: each row here is one
// input, run through probe, verify, auth and blocklist (the built bin, as a user runs it),
// against loopback DNS and a scripted SMTP server. Same input, same meaning, same code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runBin, ROOT } from '../helpers/cli.js';
import { startZoneServer, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { startScriptServer, type ScriptServer } from '../../src/demo/smtp-script-server.js';
import { expectNoMessageSent } from '../helpers/smtp.js';

let dns: ZoneServer;
let mx: ScriptServer;
beforeAll(async () => {
  mx = await startScriptServer({ hostname: 'mx.ok.test', users: ['bob', 'postmaster'] });
  dns = await startZoneServer({
    'ok.test': { MX: [{ exchange: 'mx.ok.test', priority: 10 }], A: ['127.0.0.1'], TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
    '_dmarc.ok.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@ok.test'] },
    'mx.ok.test': { A: ['127.0.0.1'] },
    'nullmx.test': { MX: [{ exchange: '.', priority: 0 }], A: ['192.0.2.1'] },
    'nomail.test': { TXT: ['v=spf1 -all'] },
    'dead.test': { fault: 'servfail' },
    '*.dead.test': { fault: 'servfail' },
  });
});
afterAll(async () => {
  expectNoMessageSent(mx);
  await Promise.all([dns.close(), mx.close()]);
});

type Cmd = 'probe' | 'verify' | 'auth' | 'blocklist';
function args(cmd: Cmd, input: string): string[] {
  const r = ['--resolver', `${dns.address}:${dns.port}`, '--dns-timeout', '5s'];
  const domain = input.includes('@') ? input.slice(input.indexOf('@') + 1) : input;
  switch (cmd) {
    case 'probe': return [input, ...r, '--port', String(mx.port), '--helo', 'probe.ok.test', '--checks', 'never'];
    case 'verify': return ['verify', input.includes('@') ? input : `postmaster@${input}`, ...r, '--port', String(mx.port), '--helo', 'probe.ok.test'];
    case 'auth': return ['auth', domain, ...r];
    case 'blocklist': return ['blocklist', domain, ...r];
  }
}

/** input → the exit code of each command (undefined: the command does not judge that input). */
const TABLE: [string, string, Partial<Record<Cmd, number>>][] = [
  ['the domain does not exist (NXDOMAIN)', 'bob@nx.test', { probe: 6, verify: 6, auth: 6, blocklist: 6 }],
  ['the domain has neither MX nor address', 'bob@nomail.test', { probe: 6, verify: 6 }],
  ['the domain publishes a null MX', 'bob@nullmx.test', { probe: 5, verify: 5 }],
  ['DNS fails for the domain (SERVFAIL)', 'bob@dead.test', { probe: 3, verify: 3, auth: 3 }],
  ['the mailbox does not exist', 'nobody@ok.test', { probe: 6, verify: 6 }],
  ['everything is fine', 'bob@ok.test', { probe: 0, verify: 0, auth: 0, blocklist: 0 }],
];

describe('one input, one exit code, in every command (README exit-code table)', () => {
  for (const [what, input, codes] of TABLE) {
    it(`${what}: ${input} → ${JSON.stringify(codes)}`, async () => {
      const got: Partial<Record<Cmd, number>> = {};
      for (const cmd of Object.keys(codes) as Cmd[]) got[cmd] = (await runBin(args(cmd, input), { timeoutMs: 30_000 })).status;
      expect(got).toEqual(codes);
      // Commands that judge the same fact agree with each other.
      expect(new Set(Object.values(got).filter((c) => c !== 0)).size).toBeLessThanOrEqual(1);
    });
  }

  it('the README table lists 6 for a domain that does not exist, in every command', () => {
    const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
    expect(readme).toMatch(/\| the domain does not exist \(authoritative NXDOMAIN\) \| 6 \| 6 \| 6 \| 6 \(8/);
  });
});
