// verify() against scripted SMTP servers and a zone DNS server on loopback: the verdicts
// (catch-all, no such user, policy refusals that are NOT "no such user", greylisting), the
// transaction limits (452 too many recipients, 421 mid-batch, slow RCPT), session reuse,
// dedupe, resume, Ctrl-C. Every result validates against data/schema/verify-result.schema.json
// and every server is checked for DATA/BDAT at close (world.close()).
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { ROOT } from '../../helpers/cli.js';
import { verify } from '../../../src/verify/run-verify.js';
import type { VerifyResult } from '../../../src/verify/verdict.js';
import { byAddress, startWorld, type World } from './world.js';

const ajv = new Ajv2020.default({ allErrors: true, strict: false });
const validate = ajv.compile(JSON.parse(readFileSync(`${ROOT}/data/schema/verify-result.schema.json`, 'utf8')) as object);
function expectValid(rs: VerifyResult[]): void {
  for (const r of rs) expect(validate(JSON.parse(JSON.stringify(r))) ? [] : validate.errors).toEqual([]);
}

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const rcptLines = (lines: string[]): string[] => lines.filter((l) => /^RCPT/i.test(l));
const users = (n: number, prefix = 'u'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

describe('verdicts', () => {
  it('a catch-all domain: risky, found with one random RCPT in the same transaction', async () => {
    world = await startWorld({ 'all.test': { script: { catchAll: true } } });
    const { results } = await world.run(['bob@all.test', 'carol@all.test']);
    expectValid(results);
    const r = byAddress(results)['bob@all.test']!;
    expect(r).toMatchObject({ verdict: 'risky', reason: 'catchall', catchAll: true, mx: 'mx.all.test', reply: { code: 250 } });
    expect(byAddress(results)['carol@all.test']).toMatchObject({ verdict: 'risky', catchAll: true });
    const rec = world.servers['all.test']!.received;
    // MAIL, the probe first (a server that hangs up after N recipients still answers it), then the real RCPTs.
    expect(rec.slice(1, 5).map((l) => l.replace(/<[a-z0-9]{24}@/, '<RANDOM@'))).toEqual(['MAIL FROM:<>', 'RCPT TO:<RANDOM@all.test>', 'RCPT TO:<bob@all.test>', 'RCPT TO:<carol@all.test>']);
    const probe = /<([^@>]+)@/.exec(rec[2]!)![1]!;
    expect(probe.length).toBeGreaterThanOrEqual(20);
    expect(rcptLines(rec)).toHaveLength(3); // one probe for the domain, not one per address
  });

  it('--no-catch-all-check: no probe; an accepted address is deliverable with catchAll null', async () => {
    world = await startWorld({ 'all.test': { script: { catchAll: true } } });
    const { results } = await world.run(['bob@all.test'], { catchAllCheck: false });
    expect(results[0]).toMatchObject({ verdict: 'deliverable', reason: 'accepted', catchAll: null });
    expect(rcptLines(world.servers['all.test']!.received)).toEqual(['RCPT TO:<bob@all.test>']);
  });

  it('per-user 550 5.1.1: undeliverable; an existing user is deliverable; the refusal proves no catch-all', async () => {
    world = await startWorld({ 'users.test': { script: { users: ['bob'] } } });
    const { results } = await world.run(['nobody@users.test', 'bob@users.test']);
    expectValid(results);
    const by = byAddress(results);
    expect(by['nobody@users.test']).toMatchObject({ verdict: 'undeliverable', reason: 'userunknown', temporary: false, reply: { code: 550, enhanced: '5.1.1' } });
    expect(by['nobody@users.test']!.reply!.text).toMatch(/User unknown/);
    expect(by['bob@users.test']).toMatchObject({ verdict: 'deliverable', reason: 'accepted', catchAll: false });
    // One probe for the domain (it goes first), then the two addresses.
    expect(rcptLines(world.servers['users.test']!.received)).toHaveLength(3);
  });

  it('an accepted address alone gets its probe; a refused probe means no catch-all', async () => {
    world = await startWorld({ 'users.test': { script: { users: ['bob'] } } });
    const { results } = await world.run(['bob@users.test']);
    expect(results[0]).toMatchObject({ verdict: 'deliverable', catchAll: false });
    expect(rcptLines(world.servers['users.test']!.received)).toHaveLength(2);
  });

  it('550 blocked by policy is unknown, never undeliverable, and names the reason', async () => {
    world = await startWorld({
      'policy.test': { script: { rules: [{ match: '^RCPT', reply: { lines: ['550 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org'] } }] } },
      'policy2.test': { script: { rules: [{ match: '^RCPT', reply: { lines: ['550 5.7.1 Message rejected due to local policy'] } }] } },
    });
    const { results } = await world.run(['bob@policy.test', 'bob@policy2.test']);
    expectValid(results);
    const by = byAddress(results);
    expect(by['bob@policy.test']).toMatchObject({ verdict: 'unknown', reason: 'blocked', temporary: false, reply: { code: 550 } });
    expect(by['bob@policy.test']!.message).toMatch(/says nothing about whether it exists/);
    expect(by['bob@policy2.test']).toMatchObject({ verdict: 'unknown', reason: 'policyviolation' });
  });

  it('greylisting 451: unknown with the server\'s retry hint', async () => {
    world = await startWorld({ 'grey.test': { script: { users: ['bob'], rules: [{ match: '^RCPT', reply: { lines: ['451 4.7.1 Greylisted, please try again in 300 seconds'] } }] } } });
    const { results } = await world.run(['bob@grey.test']);
    expectValid(results);
    expect(results[0]).toMatchObject({ verdict: 'unknown', reason: 'greylisted', temporary: true, retryAfterSeconds: 300, reply: { code: 451 } });
  });

  it('--wait-greylist: asks once more after the wait and reports the second answer', async () => {
    world = await startWorld({ 'grey.test': { script: { users: ['bob'], rules: [{ match: '^RCPT TO:<bob@', reply: { lines: ['451 4.7.1 Greylisted, try again later'] }, times: 1 }] } } });
    const t0 = Date.now();
    const { results } = await world.run(['bob@grey.test'], { waitGreylistMs: 300 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expectValid(results);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ verdict: 'deliverable', greylistRetried: true });
    expect(rcptLines(world.servers['grey.test']!.received).filter((l) => l.includes('bob@'))).toHaveLength(2);
  });

  it('a full mailbox (452 4.2.2) and a disabled one (550 5.2.1) are risky', async () => {
    world = await startWorld({
      'box.test': {
        script: {
          users: ['bob'],
          rules: [
            { match: '^RCPT TO:<full@', reply: { lines: ['452 4.2.2 Mailbox full'] } },
            { match: '^RCPT TO:<gone@', reply: { lines: ['550 5.2.1 The email account that you tried to reach is disabled.'] } },
          ],
        },
      },
    });
    const by = byAddress((await world.run(['full@box.test', 'gone@box.test'])).results);
    expect(by['full@box.test']).toMatchObject({ verdict: 'risky', reason: 'mailboxfull', temporary: true });
    expect(by['gone@box.test']).toMatchObject({ verdict: 'risky', reason: 'suspend', temporary: false });
  });

  it('DNS: a null MX and a missing domain are undeliverable without any connection', async () => {
    world = await startWorld({ 'users.test': { script: { users: ['bob'] } } }, { 'nullmx.test': { MX: [{ exchange: '.', priority: 0 }] } });
    const { results, run } = await world.run(['a@nullmx.test', 'a@nowhere.test', 'not an address']);
    expectValid(results);
    const by = byAddress(results);
    expect(by['a@nullmx.test']).toMatchObject({ verdict: 'undeliverable', reason: 'notaccept', stage: 'dns', mx: null });
    expect(by['a@nowhere.test']).toMatchObject({ verdict: 'undeliverable', reason: 'hostunknown', stage: 'dns' });
    expect(by['not an address']).toMatchObject({ verdict: 'undeliverable', reason: 'syntaxerror', stage: 'syntax' });
    expect(run.stats.connections).toBe(0);
  });

  it('the next MX when the first refuses to talk (554 banner), and the answer names the host that gave it', async () => {
    world = await startWorld(
      {
        'two.test': { script: { users: ['bob'] }, zone: { 'two.test': { MX: [{ exchange: 'mx1.two.test', priority: 10 }, { exchange: 'mx.two.test', priority: 20 }] } } },
        'refuser.test': { script: { banner: { lines: ['554 5.7.1 No SMTP service here'] } }, zone: { 'mx1.two.test': { A: ['127.0.0.11'] } } },
      },
    );
    const { results } = await world.run(['bob@two.test']);
    // An accept from the backup while the primary refused is at most risky, and says why.
    expect(results[0]).toMatchObject({ verdict: 'risky', reason: 'backupmx', mx: 'mx.two.test', skippedMx: [{ host: 'mx1.two.test' }] });
    expect(results[0]!.skippedMx![0]!.reason).toMatch(/554|refused/);
    expect(world.servers['refuser.test']!.connections).toBe(1);
  });

  it('a host that refuses every connection: unknown, network, and the next addresses fail at once', async () => {
    world = await startWorld({ 'users.test': { script: { users: ['bob'] } } }, { 'dead.test': { MX: [{ exchange: 'mx.dead.test', priority: 10 }] }, 'mx.dead.test': { A: ['127.0.0.99'] } });
    const { results } = await world.run(['a@dead.test', 'b@dead.test'], { timeoutScale: 0.05 });
    expectValid(results);
    for (const r of results) expect(r).toMatchObject({ verdict: 'unknown', stage: 'connect', temporary: true, mx: null });
    expect(results[0]!.message).toMatch(/port 25/);
  });

  it('SMTPUTF8: a UTF-8 local part is asked only where the server offers it', async () => {
    world = await startWorld({
      'plain.test': { script: { users: ['bob'] } },
      'utf8.test': { script: { catchAll: true, extensions: ['PIPELINING', 'SMTPUTF8', 'ENHANCEDSTATUSCODES'] } },
    });
    const { results } = await world.run(['jösé@plain.test', 'jösé@utf8.test'], { catchAllCheck: false });
    expectValid(results);
    const by = byAddress(results);
    expect(by['jösé@plain.test']).toMatchObject({ verdict: 'unknown', reason: 'nosmtputf8' });
    expect(by['jösé@utf8.test']).toMatchObject({ verdict: 'deliverable' });
    expect(rcptLines(world.servers['plain.test']!.received)).toEqual([]);
    expect(world.servers['utf8.test']!.received).toContain('MAIL FROM:<> SMTPUTF8');
  });

  it('an IDN domain is asked in A-label form and reported with the input as given', async () => {
    world = await startWorld({ 'xn--bcher-kva.test': { script: { users: ['bob'] } } });
    const { results } = await world.run(['bob@bücher.test']);
    expect(results[0]).toMatchObject({ address: 'bob@xn--bcher-kva.test', input: 'bob@bücher.test', verdict: 'deliverable' });
  });

  it('refuses submission ports and a provider\'s HELO name before any I/O', () => {
    expect(() => verify([], { helo: 'verify.example.net', port: 587 })).toThrow(/submission port/);
    expect(() => verify([], { helo: 'verify.example.net', port: 465 })).toThrow(/submission port/);
    expect(() => verify([], { helo: 'mail-out.google.com' })).toThrow(/impersonation/);
    expect(() => verify([], { helo: 'bad name' })).toThrow(/not a valid domain/);
  });
});

describe('transactions and sessions', () => {
  it('reuses one session for many addresses: RSET between batches of at most 50 RCPT', async () => {
    world = await startWorld({ 'many.test': { script: { users: users(200) } } });
    const list = users(200).map((u) => `${u}@many.test`);
    const { results, run } = await world.run(list, { perHost: 1 });
    expectValid(results);
    expect(results).toHaveLength(200);
    expect(new Set(results.map((r) => r.address)).size).toBe(200);
    expect(results.every((r) => r.verdict === 'deliverable')).toBe(true);
    const s = world.servers['many.test']!;
    expect(s.connections).toBe(1);
    expect(run.stats.connections).toBe(1);
    // Count RCPTs per transaction: none over 50 (catch-all probe included).
    let n = 0;
    let max = 0;
    for (const l of s.received) {
      if (/^MAIL/.test(l)) n = 0;
      if (/^RCPT/.test(l)) max = Math.max(max, ++n);
    }
    expect(max).toBeLessThanOrEqual(50);
    expect(s.received.filter((l) => l === 'RSET').length).toBe(s.received.filter((l) => /^MAIL/.test(l)).length);
    expect(s.received.at(-1)).toBe('QUIT');
  });

  it('bounded concurrency: never more connections per host than --per-host, ≤ 1 per 50 addresses', async () => {
    world = await startWorld({ 'many.test': { script: { users: users(300) }, opts: { replyDelayMs: 2 } } });
    const { results, run } = await world.run(users(300).map((u) => `${u}@many.test`), { perHost: 2, batchSize: 50 });
    expect(results).toHaveLength(300);
    expect(run.stats.connections).toBeLessThanOrEqual(300 / 50);
    expect(world.servers['many.test']!.connections).toBeLessThanOrEqual(2);
  });

  it('452 too many recipients: the rest go into a new transaction, the batch shrinks, nothing is lost', async () => {
    const list = users(12);
    // The server takes 4 recipients per transaction: the 5th onwards get 452 4.5.3 (once each).
    const rules = list.slice(4).map((u) => ({ match: `^RCPT TO:<${u}@`, reply: { lines: ['452 4.5.3 Too many recipients'] }, times: 1 }));
    world = await startWorld({ 'limit.test': { script: { users: list, rules } } });
    const { results, run } = await world.run(list.map((u) => `${u}@limit.test`), { catchAllCheck: false, batchSize: 20 });
    expectValid(results);
    expect(results.map((r) => r.address).sort()).toEqual(list.map((u) => `${u}@limit.test`).sort());
    expect(results.every((r) => r.verdict === 'deliverable')).toBe(true);
    expect(run.stats.transactions).toBe(3); // 12 asked, 4 answered; then 4 + 4
    expect(world.servers['limit.test']!.connections).toBe(1);
  });

  it('421 mid-batch: reconnects and continues; every address answered exactly once', async () => {
    const list = users(60);
    world = await startWorld({ 'drop.test': { script: { users: list, rules: [{ match: '^RCPT TO:<u30@', reply: { lines: ['421 4.7.0 Error: too many errors'], close: 'end' }, times: 1 }] } } });
    const { results, run } = await world.run(list.map((u) => `${u}@drop.test`), { perHost: 1 });
    expectValid(results);
    expect(results).toHaveLength(60);
    expect(new Set(results.map((r) => r.address)).size).toBe(60);
    expect(results.every((r) => r.verdict === 'deliverable')).toBe(true);
    // The 421 came after 30 answers: taken for the server's per-connection limit, later sessions
    // QUIT after 29 (their answers proved by the 221): the first connection and three more.
    expect(run.stats.connections).toBeGreaterThanOrEqual(2);
    expect(run.stats.connections).toBeLessThanOrEqual(4);
  });

  it('slow RCPT within its deadline is answered; one that never comes is unknown (timeout), the others are not held back', async () => {
    world = await startWorld({
      'slow.test': { script: { users: ['a', 'b', 'c', 'stuck'], rules: [{ match: '^RCPT TO:<stuck@', reply: { lines: ['250 2.1.5 Ok'], delayMs: 10_000 } }] }, opts: { replyDelayMs: 30 } },
    });
    // rcpt deadline 30 s x 0.1 = 3 s: 30 ms per reply passes, 10 s does not. The scale keeps
    // every stage (connect 1 s, QUIT 0.5 s) far from what a loaded 2-core machine needs.
    const t0 = Date.now();
    const { results } = await world.run(['a@slow.test', 'stuck@slow.test', 'b@slow.test', 'c@slow.test'], { timeoutScale: 0.1, catchAllCheck: false, maxAttempts: 2 });
    expectValid(results);
    const by = byAddress(results);
    expect(by['stuck@slow.test']).toMatchObject({ verdict: 'unknown', reason: 'timeout', temporary: true });
    for (const a of ['a', 'b', 'c']) expect(by[`${a}@slow.test`]).toMatchObject({ verdict: 'deliverable' });
    expect(Date.now() - t0).toBeLessThan(20_000); // two attempts at 3 s, plus slack
  });

  it('backs off after "421 too many connections" and then gets its answer', async () => {
    world = await startWorld({ 'busy.test': { script: { users: ['bob'], rules: [{ match: '^EHLO', reply: { lines: ['421 4.7.0 Too many concurrent connections from this IP'], close: 'end' }, times: 1 }] } } });
    const notes: string[] = [];
    const t0 = Date.now();
    const { results } = await world.run(['bob@busy.test'], { backoffMs: 300, onEvent: (e) => { if (e.type === 'note') notes.push(e.message); } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(results[0]).toMatchObject({ verdict: 'deliverable' });
    expect(world.servers['busy.test']!.connections).toBe(2);
    expect(notes.join('\n')).toMatch(/waiting/);
  });

  it('a per-host rate limit spaces the transactions', async () => {
    world = await startWorld({ 'rate.test': { script: { users: users(10) } } });
    const t0 = Date.now();
    await world.run(users(10).map((u) => `${u}@rate.test`), { ratePerHost: 20, batchSize: 5, catchAllCheck: false, perHost: 1 });
    // 10 RCPT at 20/s: the second batch of 5 waits 250 ms after the first.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
  });
});

describe('bulk bookkeeping', () => {
  it('dedupes repeated addresses (same mailbox, any case of the domain)', async () => {
    world = await startWorld({ 'users.test': { script: { users: ['bob'] } } });
    const { results, run } = await world.run(['bob@users.test', 'bob@USERS.test', 'Bob <bob@users.test>', 'x@users.test', 'x@users.test']);
    expect(results.map((r) => r.address).sort()).toEqual(['bob@users.test', 'x@users.test']);
    expect(run.stats.duplicates).toBe(3);
    expect(rcptLines(world.servers['users.test']!.received).filter((l) => l.includes('bob@'))).toHaveLength(1);
  });

  it('resume: addresses already answered are skipped and never asked', async () => {
    world = await startWorld({ 'users.test': { script: { users: ['a', 'b', 'c'] } } });
    const { results, run } = await world.run(['a@users.test', 'b@users.test', 'c@users.test'], { skip: ['a@users.test', 'B@users.test', 'c@USERS.TEST'] });
    expect(results.map((r) => r.address)).toEqual(['b@users.test']); // the local part is case-sensitive
    expect(run.stats.resumed).toBe(2);
    expect(rcptLines(world.servers['users.test']!.received).some((l) => /<(a|c)@/.test(l))).toBe(false);
  });

  it('reads lazily: never more than the read-ahead window in the air', async () => {
    world = await startWorld({ 'users.test': { script: { catchAll: true }, opts: { replyDelayMs: 1 } } });
    let read = 0;
    let maxAhead = 0;
    let yielded = 0;
    const source = (function* () {
      for (let i = 0; i < 500; i++) {
        read++;
        maxAhead = Math.max(maxAhead, read - yielded);
        yield `u${i}@users.test`;
      }
    })();
    const run = verify(source, world.options({ readAhead: 40, catchAllCheck: false }));
    for await (const _ of run) yielded++;
    expect(yielded).toBe(500);
    expect(maxAhead).toBeLessThanOrEqual(42);
  });

  it('Ctrl-C (AbortSignal): ends promptly with every answer obtained, nothing answered twice, sessions closed', async () => {
    const list = users(400);
    world = await startWorld({ 'slow.test': { script: { users: list }, opts: { replyDelayMs: 5 } } });
    const ac = new AbortController();
    const run = verify(list.map((u) => `${u}@slow.test`), world.options({ signal: ac.signal, catchAllCheck: false, perHost: 1, batchSize: 20, abortGraceMs: 2_000 }));
    const seen: string[] = [];
    const t0 = Date.now();
    let abortedAt = 0;
    for await (const r of run) {
      seen.push(r.address);
      if (seen.length === 30) {
        abortedAt = Date.now();
        ac.abort();
      }
    }
    // The batch under way (20 RCPTs at 5 ms) needs ~0.1 s; the 2 s grace is the margin for a loaded machine.
    expect(Date.now() - abortedAt).toBeLessThan(5_000);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(seen.length).toBeGreaterThanOrEqual(30);
    expect(seen.length).toBeLessThan(400);
    expect(new Set(seen).size).toBe(seen.length);
    expect(run.stats.pending).toBe(400 - seen.length);
    // Every RCPT the server answered before the end is in the results (nothing verified is lost):
    // the server got no more RCPTs for other addresses than those in flight when it stopped.
    const asked = rcptLines(world.servers['slow.test']!.received).length;
    expect(asked).toBeGreaterThanOrEqual(seen.length);
    expect(asked - seen.length).toBeLessThanOrEqual(20);
    // The transaction under way finished within the grace period, and the session said QUIT.
    expect(world.servers['slow.test']!.received.at(-1)).toBe('QUIT');
  });
});
