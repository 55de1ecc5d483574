// One address parser for every command (issue 11 item 14): the probe's target and --rcpt go
// through verify's parseAddress, so mailto: links and "Name <addr>" are understood and
// "alice@@lab.test" is refused with the same words verify uses.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseTarget, recipientAddress } from '../../../src/probe/targets.js';
import { parseAddress } from '../../../src/verify/address.js';
import { UsageError } from '../../../src/errors.js';

describe('parseTarget: addresses', () => {
  it('understands mailto: and display names, as verify does', () => {
    expect(parseTarget('mailto:alice@lab.test')).toMatchObject({ kind: 'address', address: 'alice@lab.test', local: 'alice', domain: 'lab.test' });
    expect(parseTarget('MAILTO:alice%2Bnews@lab.test?subject=hi')).toMatchObject({ kind: 'address', address: 'alice+news@lab.test' });
    expect(parseTarget('Bob <bob@lab.test>')).toMatchObject({ kind: 'address', address: 'bob@lab.test' });
    expect(parseTarget('"Bob Smith" <bob@LAB.test>')).toMatchObject({ kind: 'address', address: 'bob@lab.test' });
  });

  it('refuses what verify refuses, with verify\'s reason', () => {
    for (const bad of ['alice@@lab.test', 'a..b@lab.test', '@lab.test', 'alice@', 'mailto:a@x.test,b@x.test']) {
      const p = parseAddress(bad);
      expect(p.ok).toBe(false);
      expect(() => parseTarget(bad)).toThrow(UsageError);
      expect(() => parseTarget(bad)).toThrow(p.ok ? '' : p.error);
    }
  });

  it('--rcpt: the same parser, address literals refused with a hint', () => {
    expect(recipientAddress('mailto:alice@lab.test', '--rcpt').address).toBe('alice@lab.test');
    expect(() => recipientAddress('alice@@lab.test', '--rcpt')).toThrow(/--rcpt "alice@@lab.test" is not a valid address: .*more than one @/);
    expect(() => recipientAddress('postmaster@[192.0.2.1]', '--rcpt')).toThrow(/address literal/);
  });

  it('property: a target with an @ is an address exactly when verify parses it (and then the same address)', () => {
    const part = fc.stringMatching(/^[a-zA-Z0-9.@<>" :+-]{0,12}$/);
    fc.assert(fc.property(part, part, (a, b) => {
      const input = `${a}@${b}`;
      const p = parseAddress(input);
      let t: ReturnType<typeof parseTarget> | undefined;
      try {
        t = parseTarget(input);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
      }
      if (p.ok && !p.value.literal) expect(t).toMatchObject({ kind: 'address', address: p.value.address });
      else if (t) expect(t.kind).not.toBe('address');
    }), { seed: 11, numRuns: 500 });
  });
});

describe('probe --rcpt', () => {
  it('is normalized by the shared parser before anything is sent', async () => {
    const { probeOptions } = await import('../../../src/cli/commands/probe.js');
    const flags = { port: [{ port: 25, implicitTls: false }], from: '', rcpt: ['mailto:alice@lab.test', 'Bob <bob@LAB.test>'], helo: 'probe.example.net', checks: 'auto', tls: 'auto', timeout: 1, pipelining: true } as never;
    const o = probeOptions(flags, { lang: 'en' } as never);
    expect(o.rcpts).toEqual(['alice@lab.test', 'bob@lab.test']);
    expect(() => probeOptions({ ...(flags as object), rcpt: ['alice@@lab.test'] } as never, { lang: 'en' } as never)).toThrow(/more than one @/);
  });
});
