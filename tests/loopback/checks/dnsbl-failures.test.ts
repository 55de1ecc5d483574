// Blocklists through a resolver that refuses or fails, over the loopback zone server: one line
// per cause with its remedy (not one block per list), and "could not check" (exit 3) when too
// few lists answered to judge — never "clean". A listing still wins; a domain that does not
// exist is exit 6 (as in probe, verify and auth).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { blocklistSummary, checkBlocklists, MIN_ANSWERED_SHARE, ZONES } from '../../../src/checks/dnsbl.js';
import { createDns2Resolver } from '../../../src/dns/dns2-resolver.js';
import { startZoneServer, type Zone as DnsZone, type ZoneServer } from '../../../src/demo/zone-dns-server.js';
import { renderBlocklist } from '../../../src/report/blocklist-human.js';
import { runBin } from '../../helpers/cli.js';

const ipZones = ZONES.filter((z) => z.kind === 'ip' && z.ipv4 && !(z.keyZone && !z.keyed)).map((z) => z.zone);

function zoneWhere(answering: readonly string[], extra: DnsZone = {}): DnsZone {
  const zone: DnsZone = { ...extra };
  // Every list refused by "the resolver", except those that answer (clean: no entry).
  for (const z of ipZones) if (!answering.includes(z)) zone[`*.${z}`] = { fault: 'refused' };
  return zone;
}

let server: ZoneServer;
beforeAll(async () => { server = await startZoneServer({}); });
afterAll(async () => { await server.close(); });
const resolve = () => createDns2Resolver({ servers: [{ address: server.address, port: server.port }], timeoutMs: 5_000 });
const render = (r: Parameters<typeof renderBlocklist>[0]) => renderBlocklist(r, { chalk: new Chalk({ level: 0 }), width: 100 });

describe('a resolver that refuses most lists', () => {
  it('all but one refused: "could not check", one line with the cause and the remedy', async () => {
    server.setZone(zoneWhere([ipZones[0]!]));
    const r = await checkBlocklists('192.0.2.10', { resolve: resolve() });
    const n = r.counts.checked;
    expect(r.verdict).toBe('error');
    expect(r.failures).toEqual([expect.objectContaining({ cause: 'EREFUSED', count: n - 1 })]);
    expect(r.failures[0]!.message).toBe(`the resolver refused ${n - 1} of ${n} queries`);
    expect(r.failures[0]!.fix).toMatch(/^query through your own recursive resolver/);
    expect(r.summary).toMatch(new RegExp(`^Could not check 192\\.0\\.2\\.10: only 1 of ${n} lists answered, too few to say it is not listed \\(the resolver refused ${n - 1} of ${n} queries: query through your own recursive resolver`));
    expect(r.answered).toEqual({ count: 1, of: n, needed: Math.ceil(n * MIN_ANSWERED_SHARE) });
    const out = render(r);
    expect(out.match(/^ERROR/gm)).toHaveLength(1); // one line for the cause, not one block per list
    expect(out.split('\n').length).toBeLessThan(20);
    expect(blocklistSummary(r)).toMatchObject({ status: 'error', result: 'error' });
    expect(blocklistSummary(r).findings.filter((f) => f.code === 'dnsbl.query-error')).toHaveLength(1);
  });

  it('the threshold: half of the lists answering is enough for "clean", one fewer is not', async () => {
    const n = ipZones.length;
    const needed = Math.ceil(n * MIN_ANSWERED_SHARE);
    server.setZone(zoneWhere(ipZones.slice(0, needed)));
    const ok = await checkBlocklists('192.0.2.10', { resolve: resolve() });
    expect(ok.verdict).toBe('clean');
    expect(ok.summary).toMatch(/could not be checked: the resolver refused/);
    server.setZone(zoneWhere(ipZones.slice(0, needed - 1)));
    expect((await checkBlocklists('192.0.2.10', { resolve: resolve() })).verdict).toBe('error');
  });

  it('a listing on a list that answered still wins', async () => {
    server.setZone(zoneWhere([ipZones[0]!], { [`10.2.0.192.${ipZones[0]!}`]: { A: ['127.0.0.2'] } }));
    const r = await checkBlocklists('192.0.2.10', { resolve: resolve() });
    expect(r.verdict).toBe('listed');
  });

  it('the "query refused" answer codes (127.255.255.254) are grouped the same way', async () => {
    const zone: DnsZone = {};
    for (const z of ipZones) zone[`*.${z}`] = { A: ['127.255.255.254'] };
    server.setZone(zone);
    const r = await checkBlocklists('192.0.2.10', { resolve: resolve() });
    expect(r.verdict).toBe('error');
    const g = r.failures.find((f) => f.cause === 'public-resolver');
    expect(g?.message).toMatch(/lists answered with their "query refused" code \(127\.255\.255\.254\)/);
    expect(render(r).match(/^ERROR/gm)!.length).toBeLessThanOrEqual(r.failures.length);
  });
});

describe('CLI exit codes', () => {
  it('exit 3 when too few lists answered, with one line per cause; exit 6 for a domain that does not exist', async () => {
    server.setZone(zoneWhere([ipZones[0]!]));
    const dns = ['--resolver', `${server.address}:${server.port}`, '--dns-timeout', '5s'];
    const r = await runBin(['blocklist', '192.0.2.10', ...dns]);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/the resolver refused \d+ of \d+ queries/);
    expect(r.stdout.match(/^ERROR/gm)).toHaveLength(1);
    server.setZone({});
    const d = await runBin(['blocklist', 'no-such-domain.example', '--json', ...dns]);
    expect(d.status).toBe(6);
    expect(JSON.parse(d.stdout)).toMatchObject({ verdict: 'clean', subjectExists: false });
  });
});
