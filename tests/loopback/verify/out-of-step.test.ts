// verify on reused sessions whose replies go out of step (issue 10): a stray before the MAIL
// reply, before a refused RCPT's reply (its 550 at once or only after the flight was read),
// between RCPT replies, before the farewell; with and without PIPELINING, several sessions and
// transactions; two fast-check properties over position and timing. A refused mailbox is never
// deliverable, every address comes once, verdicts end right. An unasked 421 (or to MAIL/RSET)
// backs the server off and charges nobody.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReplySpec, ScriptRule, SmtpScript } from '../../../src/demo/smtp-script-server.js';
import type { VerifyResult } from '../../../src/verify/verdict.js';
import { startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const NO_PIPELINING = ['SIZE 10240000', '8BITMIME', 'ENHANCEDSTATUSCODES'];
const USERS = ['bob', 'carol', 'dave', 'erin', 'frank'];
const NOBODY = ['nobody1', 'nobody2', 'nobody3', 'nobody4', 'nobody5'];
/** Interleaved, so every transaction has refused and accepted recipients. */
const LIST = USERS.flatMap((u, i) => [`${u}@stray.test`, `${NOBODY[i]}@stray.test`]);
const refused = (local: string): string => `550 5.1.1 <${local}@stray.test>: Recipient address rejected: User unknown in local recipient table`;

/** Where the stray reply goes, as a rule of the scripted server (used `times` times). */
function strayRule(position: string, times: number): ScriptRule {
  const stray: ReplySpec = { lines: ['250 2.0.0 stray'] };
  switch (position) {
    case 'before the MAIL reply':
      return { match: '^MAIL', times, reply: { ...stray, then: { lines: ['250 2.1.0 Ok'] } } };
    case 'before a refused RCPT reply':
      return { match: '^RCPT TO:<nobody2@', times, reply: { ...stray, then: { lines: [refused('nobody2')] } } };
    case 'before a refused RCPT reply that comes late':
      return { match: '^RCPT TO:<nobody3@', times, reply: { ...stray, then: { lines: [refused('nobody3')], delayMs: 40 } } };
    case 'between RCPT replies':
      return { match: '^RCPT TO:<bob@', times, reply: { lines: ['250 2.1.5 Ok'], then: stray } };
    case 'right before the farewell':
      return { match: '^RCPT TO:<nobody5@', times, reply: { lines: [refused('nobody5')], then: { ...stray, delayMs: 40 } } };
    default:
      throw new Error(position);
  }
}
const POSITIONS = ['before the MAIL reply', 'before a refused RCPT reply', 'before a refused RCPT reply that comes late', 'between RCPT replies', 'right before the farewell'];

function script(rules: ScriptRule[], pipelining: boolean): SmtpScript {
  return { users: USERS, rules, ...(pipelining ? {} : { extensions: NO_PIPELINING }) };
}

/** The invariants: every address once, a refused mailbox never deliverable; `exact`: every verdict right. */
function check(results: VerifyResult[], exact: boolean): void {
  expect(results.map((r) => r.address).sort()).toEqual([...LIST].sort());
  const wrongAccept = results.filter((r) => r.address.startsWith('nobody') && r.verdict !== 'undeliverable' && r.verdict !== 'unknown');
  expect(wrongAccept.map((r) => `${r.address} ${r.verdict}/${r.reason}`)).toEqual([]);
  const refusedUser = results.filter((r) => !r.address.startsWith('nobody') && r.verdict !== 'deliverable' && r.verdict !== 'unknown');
  expect(refusedUser.map((r) => `${r.address} ${r.verdict}/${r.reason}`)).toEqual([]);
  if (!exact) return;
  const wrong = results.filter((r) => r.verdict !== (r.address.startsWith('nobody') ? 'undeliverable' : 'deliverable'));
  expect(wrong.map((r) => `${r.address} ${r.verdict}/${r.reason}: ${r.message}`)).toEqual([]);
}

const OPTIONS = { perHost: 2, concurrency: 4, batchSize: 4 };

describe('verify: a stray reply never makes a refused mailbox deliverable', () => {
  for (const pipelining of [true, false]) {
    for (const position of POSITIONS) {
      it(`stray ${position} (${pipelining ? 'PIPELINING' : 'one by one'}): voided, asked again, every verdict right`, async () => {
        world = await startWorld({ 'stray.test': { script: script([strayRule(position, 1)], pipelining) } });
        const notes: string[] = [];
        const { results } = await world.run(LIST, { ...OPTIONS, onEvent: (e) => { if (e.type === 'note') notes.push(e.message); } });
        check(results, true);
        // The stray was seen and its session's answers were not trusted.
        expect(notes.join('\n')).toMatch(/nobody asked for|cannot get|out of step|not trusted/);
      });
    }
  }

  // The class the transport alone cannot catch in time: the stray comes just before the LAST
  // reply of a flight, the real one after the flight was read, so a refused mailbox reads the
  // stray 250. Only the next write or the farewell shows it: the answers are held until then.
  for (const pipelining of [true, false]) {
    const tag = pipelining ? 'PIPELINING' : 'one by one';
    it(`the last RCPT of a transaction reads a stray 250, its real 550 comes late (${tag}): never deliverable`, async () => {
      const rules = ['nobody2', 'nobody4'].map((n) => ({ match: `^RCPT TO:<${n}@`, times: 1, reply: { lines: ['250 2.1.5 Ok'], then: { lines: [refused(n)], delayMs: 40 } } }));
      world = await startWorld({ 'stray.test': { script: script(rules, pipelining) } });
      // Pairs (user, nobody): each refused mailbox is the last RCPT of its transaction.
      const { results } = await world.run(LIST, { perHost: 2, concurrency: 4, batchSize: 2, catchAllCheck: false });
      check(results, true);
    });

    it(`the catch-all probe reads a stray 250, its real 550 comes late (${tag}): the domain is not taken for catch-all`, async () => {
      const rules = [{ match: '^RCPT TO:<[a-z][a-z0-9]{23}@', times: 1, reply: { lines: ['250 2.1.5 Ok'], then: { lines: ['550 5.1.1 <x@stray.test>: User unknown'], delayMs: 40 } } }];
      world = await startWorld({ 'stray.test': { script: script(rules, pipelining) } });
      // --batch 1: the probe goes alone in its transaction, so its reply is the last one.
      const { results } = await world.run(LIST, { perHost: 2, concurrency: 4, batchSize: 1 });
      check(results, true);
      expect(results.filter((r) => r.catchAll !== false).map((r) => `${r.address} catchAll=${String(r.catchAll)}`)).toEqual([]);
    });
  }

  it('a server that sends a stray in every session: never a wrong verdict, every address once, and the run ends', async () => {
    world = await startWorld({ 'stray.test': { script: script([strayRule('before a refused RCPT reply that comes late', 1000), strayRule('before the MAIL reply', 1000)], true) } });
    const t0 = Date.now();
    const { results } = await world.run(LIST, { ...OPTIONS, maxAttempts: 2 });
    check(results, false);
    expect(results.filter((r) => r.address === 'nobody3@stray.test' || r.verdict === 'unknown').length).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('property: one stray at any RCPT position, any batch size, pipelined or not, its real reply late or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: LIST.length - 1 }), fc.boolean(), fc.constantFrom(0, 30), fc.integer({ min: 1, max: 4 }), async (at, pipelining, late, batchSize) => {
        const local = LIST[at]!.split('@')[0]!;
        const real: ReplySpec = { lines: [local.startsWith('nobody') ? refused(local) : '250 2.1.5 Ok'], ...(late ? { delayMs: late } : {}) };
        const w = await startWorld({ 'stray.test': { script: script([{ match: `^RCPT TO:<${local}@`, times: 1, reply: { lines: ['250 2.0.0 stray'], then: real } }], pipelining) } });
        try {
          const { results } = await w.run(LIST, { ...OPTIONS, batchSize });
          check(results, true);
        } finally {
          await w.close();
        }
      }),
      { numRuns: 10 },
    );
  });

  it('property: a stray AFTER any reply, at once or later (between replies, before the next flight or the farewell)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: LIST.length - 1 }), fc.boolean(), fc.constantFrom(0, 20, 60), fc.integer({ min: 1, max: 4 }), async (at, pipelining, delayMs, batchSize) => {
        const local = LIST[at]!.split('@')[0]!;
        const own = local.startsWith('nobody') ? refused(local) : '250 2.1.5 Ok';
        const w = await startWorld({ 'stray.test': { script: script([{ match: `^RCPT TO:<${local}@`, times: 1, reply: { lines: [own], then: { lines: ['250 2.0.0 stray'], delayMs } } }], pipelining) } });
        try {
          const { results } = await w.run(LIST, { ...OPTIONS, batchSize });
          check(results, true);
        } finally {
          await w.close();
        }
      }),
      { numRuns: 8 },
    );
  });
});

describe('verify: an unasked 421 is the server closing like any other', () => {
  it('a 421 nobody asked for while the session idles: its answers are asked again, the server backs off, nobody is charged', async () => {
    world = await startWorld({
      'stray.test': { script: script([{ match: '^RCPT TO:<nobody1@', times: 1, reply: { lines: [refused('nobody1')], then: { lines: ['421 4.3.2 Service shutting down'], delayMs: 40, close: 'end' } } }], true) },
    });
    const notes: string[] = [];
    // Two addresses, then a pause: the session idles (lingers) when the 421 comes.
    async function* input(): AsyncGenerator<string> {
      yield* LIST.slice(0, 2);
      await new Promise((r) => setTimeout(r, 500));
      yield* LIST.slice(2);
    }
    const { results } = await world.run(input(), { perHost: 1, maxAttempts: 1, lingerMs: 250, onEvent: (e) => { if (e.type === 'note') notes.push(e.message); } });
    check(results, true);
    expect(notes.join('\n')).toMatch(/closed the session \(421\): waiting .* connection\(s\) at most to 127\.0\.0\.10/);
    expect(world.servers['stray.test']!.connections).toBeGreaterThanOrEqual(2);
  });

  for (const verb of ['MAIL', 'RSET']) {
    it(`421 in answer to ${verb}: backed off, retried, nobody charged (--max-attempts 1)`, async () => {
      world = await startWorld({ 'stray.test': { script: script([{ match: `^${verb}`, times: 1, reply: { lines: ['421 4.7.0 Try again later'], close: 'end' } }], true) } });
      const notes: string[] = [];
      const { results } = await world.run(LIST, { perHost: 1, batchSize: 4, maxAttempts: 1, onEvent: (e) => { if (e.type === 'note') notes.push(e.message); } });
      check(results, true);
      expect(notes.join('\n')).toMatch(/closed the session \(421\): waiting/);
    });
  }
});
