// verify() under load against scripted servers on loopback: the verdict classes that went
// wrong when work is spread over many connections (issue 11): the catch-all gate, replies
// kept with their own RCPT, 421 hang-ups and "too many connections" greetings (back off,
// fewer connections, retry, never fail the queue), the per-server connection limit (per IP,
// not per MX name), and answers from a lower-preference MX.
import { afterEach, describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../../src/verify/verdict.js';
import { tlsMaterial } from '../../helpers/smtp.js';
import { startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const users = (n: number, prefix = 'u'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Every input address exactly once. */
function expectEachOnce(results: VerifyResult[], list: string[]): void {
  expect(results.map((r) => r.address).sort()).toEqual([...list].sort());
}

/** A reply that names an address (the script server's 550 does) names this result's address. */
function expectOwnReplies(results: VerifyResult[]): void {
  for (const r of results) {
    const named = /<([^>]+@[^>]+)>/.exec(r.reply?.text ?? '')?.[1];
    if (named !== undefined) expect({ address: r.address, named }).toEqual({ address: r.address, named: r.address });
  }
}

describe('verify under load', () => {
  it('catch-all gates every verdict of its domain, however many connections share the work', async () => {
    const list = users(400).map((u) => `${u}@all.test`);
    world = await startWorld({ 'all.test': { script: { catchAll: true }, opts: { replyDelayMs: 3 } } });
    const { results } = await world.run(list, { perHost: 8, concurrency: 20, batchSize: 5 });
    expectEachOnce(results, list);
    const wrong = results.filter((r) => r.verdict !== 'risky' || r.reason !== 'catchall' || r.catchAll !== true);
    expect(wrong.map((r) => `${r.address} ${r.verdict}/${r.reason}`)).toEqual([]);
  });

  it('catch-all: a probe that gets no answer is asked again; accepts wait for it and never become deliverable meanwhile', async () => {
    const list = users(40).map((u) => `${u}@all.test`);
    // The first random-address probe is answered by a hang-up (421): the catch-all status is not known yet.
    world = await startWorld({ 'all.test': { script: { catchAll: true, rules: [{ match: '^RCPT TO:<[a-z][a-z0-9]{23}@', reply: { lines: ['421 4.3.2 Service shutting down'], close: 'end' }, times: 1 }] } } });
    const { results } = await world.run(list, { perHost: 3, batchSize: 10 });
    expectEachOnce(results, list);
    expect(results.filter((r) => r.verdict !== 'risky').map((r) => `${r.address} ${r.verdict}/${r.reason}`)).toEqual([]);
  });

  it('an address left unanswered by a 421 carries that 421, never another RCPT\'s reply', async () => {
    const list = users(40).map((u) => `${u}@mixed.test`);
    // Every connection: the second RCPT gets 421 and the server hangs up; u0, u2… do not exist,
    // so each transaction is a 550 then a 421.
    world = await startWorld({
      'mixed.test': { script: { users: users(40).filter((_, i) => i % 2 === 1), rules: [{ match: '^RCPT', afterPerConnection: 1, reply: { lines: ['421 4.7.0 mx.mixed.test Error: too many errors'], close: 'end' } }] } },
    });
    const { results } = await world.run(list, { perHost: 2, batchSize: 2, catchAllCheck: false, maxAttempts: 1, backoffMs: 10 });
    expectEachOnce(results, list);
    expectOwnReplies(results);
    for (const r of results.filter((x) => x.verdict === 'unknown')) expect(r.reply?.code).toBe(421);
  });

  it('--batch 2 with hang-ups after every few RCPT: each result carries its own reply and the right verdict', async () => {
    const list = users(300).map((u) => `${u}@mixed.test`);
    const exist = new Set(users(300).filter((_, i) => i % 3 !== 0));
    world = await startWorld({
      'mixed.test': { script: { users: [...exist], rules: [{ match: '^RCPT', afterPerConnection: 7, reply: { lines: ['421 4.7.0 Error: too many recipients on this connection'], close: 'end' } }] } },
    });
    const { results } = await world.run(list, { perHost: 4, batchSize: 2, backoffMs: 10 });
    expectEachOnce(results, list);
    expectOwnReplies(results);
    const wrong = results.filter((r) => r.verdict !== (exist.has(r.address.split('@')[0]!) ? 'deliverable' : 'undeliverable'));
    expect(wrong.map((r) => `${r.address} ${r.verdict}/${r.reason}: ${r.message}`)).toEqual([]);
  });

  it('421 and hang-up after 20 RCPT per connection: nothing is lost, every verdict is right', async () => {
    const list = users(600).map((u) => `${u}@limit.test`);
    const exist = new Set(users(600).filter((_, i) => i % 2 === 0));
    world = await startWorld({
      'limit.test': { script: { users: [...exist], rules: [{ match: '^RCPT', afterPerConnection: 20, reply: { lines: ['421 4.7.0 limit.test Error: too many errors'], close: 'end' } }] }, opts: { replyDelayMs: 1 } },
    });
    const { results } = await world.run(list, { perHost: 10, concurrency: 50, backoffMs: 10 });
    expectEachOnce(results, list);
    expectOwnReplies(results);
    const wrong = results.filter((r) => r.verdict !== (exist.has(r.address.split('@')[0]!) ? 'deliverable' : 'undeliverable'));
    expect(wrong.map((r) => `${r.address} ${r.verdict}/${r.reason}: ${r.message}`)).toEqual([]);
  });

  it('a hang-up at the per-connection limit is nobody\'s attempt: the address it fell on is asked again, even at --max-attempts 1', async () => {
    const list = users(30).map((u) => `${u}@limit.test`);
    const exist = new Set(users(30).filter((_, i) => i % 2 === 0));
    // Every connection: two RCPTs answered, the third gets 421 and the server hangs up.
    world = await startWorld({
      'limit.test': { script: { users: [...exist], rules: [{ match: '^RCPT', afterPerConnection: 2, reply: { lines: ['421 4.7.0 limit.test Error: too many errors'], close: 'end' } }] } },
    });
    const { results } = await world.run(list, { perHost: 1, batchSize: 3, catchAllCheck: false, maxAttempts: 1, backoffMs: 5 });
    expectEachOnce(results, list);
    const wrong = results.filter((r) => r.verdict !== (exist.has(r.address.split('@')[0]!) ? 'deliverable' : 'undeliverable'));
    expect(wrong.map((r) => `${r.address} ${r.verdict}/${r.reason}: ${r.message}`)).toEqual([]);
  });

  it('a server that always hangs up with 421 at RCPT: unknown with the 421 text, not "lost connection"', async () => {
    world = await startWorld({ 'down.test': { script: { rules: [{ match: '^RCPT', reply: { lines: ['421 4.3.2 down.test Service shutting down for maintenance'], close: 'end' } }] } } });
    const { results } = await world.run(['a@down.test', 'b@down.test'], { backoffMs: 10, maxBackoffMs: 20 });
    expect(results).toHaveLength(2);
    for (const r of results) {
      expect(r).toMatchObject({ verdict: 'unknown', temporary: true, reply: { code: 421 } });
      expect(r.reply!.text).toMatch(/maintenance/);
    }
  });

  it('"421 too many connections" at the greeting: fewer connections, back off, retry; the queue is never failed', async () => {
    const list = users(200).map((u) => `${u}@busy.test`);
    world = await startWorld({
      'busy.test': { script: { users: users(200), maxConnections: { count: 1, banner: { lines: ['421 4.7.0 busy.test Error: too many connections from 127.0.0.1'], close: 'end' } } }, opts: { replyDelayMs: 2 } },
    });
    const { results } = await world.run(list, { perHost: 4, batchSize: 10, backoffMs: 20, maxBackoffMs: 200 });
    expectEachOnce(results, list);
    expect(results.filter((r) => r.verdict !== 'deliverable').map((r) => `${r.address} ${r.verdict}/${r.reason}: ${r.message}`)).toEqual([]);
  });

  it('--per-host counts server addresses: domains whose MX names share one IP share its limit', async () => {
    const domains = ['d1.test', 'd2.test', 'd3.test', 'd4.test', 'd5.test'];
    const zone: Record<string, { MX?: { exchange: string; priority: number }[]; A?: string[] }> = {};
    for (const d of domains) {
      zone[d] = { MX: [{ exchange: `mx.${d}`, priority: 10 }] };
      zone[`mx.${d}`] = { A: ['127.0.0.10'] };
    }
    world = await startWorld({ 'shared.test': { script: { catchAll: true }, opts: { replyDelayMs: 5 } } }, zone);
    const list = domains.flatMap((d) => users(100).map((u) => `${u}@${d}`));
    const { results } = await world.run(list, { perHost: 2, concurrency: 20, batchSize: 10 });
    expectEachOnce(results, list);
    expect(world.servers['shared.test']!.maxOpen).toBeLessThanOrEqual(2);
  });

  it('--tls-verify: a primary that fails the check is named, and the backup\'s accept is at most risky', async () => {
    // The primary (preference 10) has a certificate for another name and knows nobody; the backup
    // (preference 20, plaintext) accepts every address.
    world = await startWorld(
      {
        'two.test': { script: { catchAll: true }, zone: { 'two.test': { MX: [{ exchange: 'mx1.two.test', priority: 10 }, { exchange: 'mx.two.test', priority: 20 }] } } },
        'primary.test': { script: { users: [] }, opts: { tls: tlsMaterial('wrong-name') }, zone: { 'mx1.two.test': { A: ['127.0.0.11'] } } },
      },
    );
    const verified = await world.run(['bob@two.test'], { tlsVerify: true, catchAllCheck: false });
    expect(verified.results[0]).toMatchObject({ verdict: 'risky', reason: 'backupmx', mx: 'mx.two.test', skippedMx: [{ host: 'mx1.two.test' }] });
    expect(verified.results[0]!.skippedMx![0]!.reason).toMatch(/certificate|TLS/i);
    expect(verified.results[0]!.message).toMatch(/lower-preference/);
    // Without the flag the primary answers: no such user.
    const plain = await world.run(['bob@two.test'], { catchAllCheck: false });
    expect(plain.results[0]).toMatchObject({ verdict: 'undeliverable', mx: 'mx1.two.test' });
    expect(plain.results[0]!.skippedMx).toBeUndefined();
  });

  it('a refusal from a backup MX says the preferred one was skipped', async () => {
    world = await startWorld(
      {
        'two.test': { script: { users: [] }, zone: { 'two.test': { MX: [{ exchange: 'mx1.two.test', priority: 10 }, { exchange: 'mx.two.test', priority: 20 }] } } },
        'refuser.test': { script: { banner: { lines: ['421 4.3.2 mx1 is closed for maintenance'], close: 'end' } }, zone: { 'mx1.two.test': { A: ['127.0.0.11'] } } },
      },
    );
    const { results } = await world.run(['bob@two.test'], { catchAllCheck: false, maxAttempts: 1 });
    expect(results[0]).toMatchObject({ verdict: 'undeliverable', mx: 'mx.two.test', skippedMx: [{ host: 'mx1.two.test' }] });
    expect(results[0]!.message).toMatch(/lower-preference.*mx1\.two\.test/);
  });

  it('a callback that throws inside background work ends in an answer or an error of the run, never an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => { unhandled.push(e); };
    process.on('unhandledRejection', onUnhandled);
    try {
      world = await startWorld({ 'grey.test': { script: { users: ['a', 'b'], rules: [{ match: '^RCPT TO:<a@', reply: { lines: ['451 4.7.1 Greylisted'] }, times: 1 }] } } });
      const list = ['a@grey.test', 'b@grey.test'];
      const boom = (): never => { throw new Error('callback failed'); };
      let error: unknown;
      const results: VerifyResult[] = [];
      try {
        const { verify } = await import('../../../src/verify/run-verify.js');
        for await (const r of verify(list, world.options({ waitGreylistMs: 30, onEvent: boom }))) results.push(r);
      } catch (e) {
        error = e;
      }
      // Either every address got an answer, or the run itself reported the error.
      if (error === undefined) expectEachOnce(results, list);
      else expect(String(error)).toMatch(/callback failed/);
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
