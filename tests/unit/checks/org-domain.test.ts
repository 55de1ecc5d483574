// Organizational domains both ways: the PSL (RFC 7489 §3.2) and the RFC 9989 §4.10 tree
// walk's names and decision rules, with a property test of the walk's label arithmetic.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decideTreeWalk, orgDomainPsl, treeWalkTargets, TREE_WALK_MAX_QUERIES, type WalkAnswer } from '../../../src/checks/org-domain.js';

describe('orgDomainPsl (RFC 7489 §3.2)', () => {
  it('is the public suffix plus one label', () => {
    expect(orgDomainPsl('a.b.example.com')).toBe('example.com');
    expect(orgDomainPsl('Mail.Example.CO.UK.')).toBe('example.co.uk');
    expect(orgDomainPsl('example.com')).toBe('example.com');
  });
  it('uses the private section of the list too', () => {
    expect(orgDomainPsl('www.someone.github.io')).toBe('someone.github.io');
  });
  it('keeps a public suffix or a single label as its own org domain', () => {
    expect(orgDomainPsl('com')).toBe('com');
    expect(orgDomainPsl('co.uk')).toBe('co.uk');
  });
  it('applies the default rule "*" to unknown TLDs', () => {
    expect(orgDomainPsl('giant.bank.example')).toBe('bank.example');
  });
});

describe('treeWalkTargets (RFC 9989 §4.10)', () => {
  it('walks one label at a time for short names', () => {
    expect(treeWalkTargets('a.b.example.com')).toEqual(['a.b.example.com', 'b.example.com', 'example.com', 'com']);
    expect(treeWalkTargets('com')).toEqual(['com']);
  });
  it('jumps to 7 labels for names of 8 or more, so at most 8 lookups', () => {
    expect(treeWalkTargets('a.b.c.d.e.f.g.h.i.j.k.example.com')).toEqual([
      'a.b.c.d.e.f.g.h.i.j.k.example.com', 'g.h.i.j.k.example.com', 'h.i.j.k.example.com', 'i.j.k.example.com',
      'j.k.example.com', 'k.example.com', 'example.com', 'com',
    ]);
    expect(treeWalkTargets('1.2.3.4.5.6.7.8')).toHaveLength(8);
  });
  it('holds its invariants for any name', () => {
    const label = fc.stringMatching(/^[a-z0-9]{1,5}$/);
    fc.assert(fc.property(fc.array(label, { minLength: 1, maxLength: 30 }), (labels) => {
      const name = labels.join('.');
      const t = treeWalkTargets(name);
      expect(t[0]).toBe(name);
      expect(t.length).toBeLessThanOrEqual(TREE_WALK_MAX_QUERIES);
      expect(t.at(-1)).toBe(labels.at(-1));
      for (let i = 1; i < t.length; i++) {
        expect(t[i - 1]!.endsWith(`.${t[i]}`)).toBe(true);
        if (i > 1) expect(t[i - 1]!.split('.').length - t[i]!.split('.').length).toBe(1);
      }
    }));
  });
});

describe('decideTreeWalk (RFC 9989 §4.10.2)', () => {
  const steps = (start: string, answers: Record<string, WalkAnswer>) => treeWalkTargets(start).map((target) => ({ target, answer: answers[target] ?? { kind: 'none' as const } }));
  it('psd=n names the org domain', () => {
    const r = decideTreeWalk('a.b.example.com', steps('a.b.example.com', { 'b.example.com': { kind: 'record', psd: 'n' }, 'example.com': { kind: 'record' } }));
    expect(r).toMatchObject({ orgDomain: 'b.example.com', rule: 'psd=n' });
  });
  it('psd=y above the start makes the org domain one label below it', () => {
    const r = decideTreeWalk('mail.mega.bank.example', steps('mail.mega.bank.example', { 'bank.example': { kind: 'record', psd: 'y' } }));
    expect(r).toMatchObject({ orgDomain: 'mega.bank.example', rule: 'psd=y' });
  });
  it('psd=y at the start leaves the start as its own org domain', () => {
    expect(decideTreeWalk('bank.example', steps('bank.example', { 'bank.example': { kind: 'record', psd: 'y' } })).orgDomain).toBe('bank.example');
  });
  it('otherwise takes the record with the fewest labels', () => {
    const r = decideTreeWalk('a.b.example.com', steps('a.b.example.com', { 'a.b.example.com': { kind: 'record' }, 'example.com': { kind: 'record' } }));
    expect(r).toMatchObject({ orgDomain: 'example.com', rule: 'fewest-labels' });
  });
  it('discards several records at one name, and with no record the start is its own', () => {
    const r = decideTreeWalk('a.example.com', steps('a.example.com', { 'example.com': { kind: 'multiple' } }));
    expect(r).toMatchObject({ orgDomain: 'a.example.com', rule: 'no-record' });
  });
  it('marks the answer uncertain when a lookup failed', () => {
    expect(decideTreeWalk('a.example.com', steps('a.example.com', { 'example.com': { kind: 'error', code: 'ESERVFAIL' } })).rule).toBe('error');
  });
});
