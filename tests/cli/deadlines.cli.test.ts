// The total deadlines of `auth` and `blocklist` (README: Deadlines), end to end: a 44-deep SPF
// include chain and a blocklist zone on DNS servers that answer seconds late. Each command must
// end near its documented deadline, not after every lookup, and say what the deadline cut.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZoneServer, type Zone, type ZoneServer } from '../../src/demo/zone-dns-server.js';
import { AUTH_DEADLINE_MS, BLOCKLIST_DEADLINE_MS } from '../../src/cli/deadline.js';
import { runBin } from '../helpers/cli.js';

let chain: ZoneServer;
let lists: ZoneServer;
beforeAll(async () => {
  const z: Zone = { 'deep.test': { TXT: ['v=spf1 include:i1.deep.test -all'] } };
  for (let i = 1; i < 44; i++) z[`i${i}.deep.test`] = { TXT: [`v=spf1 include:i${i + 1}.deep.test -all`] };
  z['i44.deep.test'] = { TXT: ['v=spf1 -all'] };
  // 4 s per answer: SPF alone would need 11 sequential lookups (44 s).
  chain = await startZoneServer(z, { delayMs: 4_000 });
  // 25 s per answer: the listing's A and then its TXT would take 50 s.
  lists = await startZoneServer({ '1.2.0.192.bl.slow.test': { A: ['127.0.0.2'], TXT: ['listed'] } }, { delayMs: 25_000 });
});
afterAll(async () => {
  await Promise.all([chain.close(), lists.close()]);
});

describe.concurrent('total deadlines of the check commands', () => {
  it(`auth ends within its ${AUTH_DEADLINE_MS / 1000} s deadline on a deep, slow SPF chain`, async () => {
    const t0 = Date.now();
    const r = await runBin(['auth', 'deep.test', '--ip', '192.0.2.1', '--resolver', `${chain.address}:${chain.port}`, '--dns-timeout', '5s', '--json'], { timeoutMs: 90_000 });
    const ms = Date.now() - t0;
    expect(ms).toBeLessThan(AUTH_DEADLINE_MS + 8_000);
    const j = JSON.parse(r.stdout) as { deadline: { ms: number; reached: boolean; lookupsCut: number }; spf: { result: string } };
    expect(j.deadline).toMatchObject({ ms: AUTH_DEADLINE_MS, reached: true });
    expect(j.deadline.lookupsCut).toBeGreaterThan(0);
    expect(j.spf.result).toBe('temperror');
    expect(r.stdout).toContain('run deadline reached');
  }, 90_000);

  it(`blocklist ends within its ${BLOCKLIST_DEADLINE_MS / 1000} s deadline on a zone that answers late`, async () => {
    const t0 = Date.now();
    const r = await runBin(['blocklist', '192.0.2.1', '--zones-only', '--zone', 'bl.slow.test', '--resolver', `${lists.address}:${lists.port}`, '--dns-timeout', '30s'], { timeoutMs: 90_000 });
    const ms = Date.now() - t0;
    expect(ms).toBeLessThan(BLOCKLIST_DEADLINE_MS + 7_000);
    expect(r.stdout).toMatch(/TIMEOUT +bl\.slow\.test/);
    expect(r.stdout).toContain('run deadline reached (20 s in all)');
    expect(r.status).toBe(3);
  }, 90_000);
});
