// DKIM without DNS: the RFC 6376 §3.2 tag-list parser (property: never throws) and key
// record judgement with real keys made by node:crypto (sizes measured, not guessed).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { evaluateKeyRecord, inspectPublicKey, isValidSelector, parseTagList, COMMON_SELECTORS } from '../../../src/checks/dkim.js';

const rsa = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const rsaPkcs1 = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ type: 'pkcs1', format: 'der' }).toString('base64');
const edSpki = () => generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
const ed25519Raw = () => edSpki().subarray(12).toString('base64');

const K2048 = rsa(2048);
const K1024 = rsa(1024);
const K512 = rsa(512);
const judge = (record: string, requested = false) => evaluateKeyRecord('s', 's._domainkey.example.com', record, requested);

describe('parseTagList (RFC 6376 §3.2)', () => {
  it('reads tags with folding whitespace and a trailing ";"', () => {
    expect(parseTagList(' v=DKIM1 ;k = rsa;\r\n p=AB CD ; ')).toEqual({ tags: [{ name: 'v', value: 'DKIM1' }, { name: 'k', value: 'rsa' }, { name: 'p', value: 'AB CD' }], errors: [] });
  });
  it('reports duplicates, bad names, missing "=" and empty middles, and keeps going', () => {
    const r = parseTagList('a=1;;a=2; 9x=3; junk; b=ok');
    expect(r.tags).toEqual([{ name: 'a', value: '1' }, { name: 'b', value: 'ok' }]);
    expect(r.errors).toHaveLength(4);
  });
  it('never throws, and every tag it returns has a valid unique name', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
      const r = parseTagList(s);
      const names = r.tags.map((t) => t.name);
      expect(new Set(names).size).toBe(names.length);
      for (const n of names) expect(n).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
    }));
  });
  it('round-trips well-formed tag lists', () => {
    const tag = fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/), value: fc.stringMatching(/^[!-:<-~]{1,10}$/) });
    fc.assert(fc.property(fc.uniqueArray(tag, { selector: (t) => t.name, maxLength: 8 }), (tags) => {
      const r = parseTagList(tags.map((t) => `${t.name}=${t.value}`).join('; '));
      expect(r.errors).toEqual([]);
      expect(r.tags).toEqual(tags);
    }));
  });
});

describe('inspectPublicKey: sizes from the real key', () => {
  it('measures RSA moduli', () => {
    expect(inspectPublicKey(K2048, 'rsa').facts).toEqual({ type: 'rsa', bits: 2048, encoding: 'spki' });
    expect(inspectPublicKey(K1024, 'rsa').facts?.bits).toBe(1024);
    expect(inspectPublicKey(rsaPkcs1(1024), 'rsa').facts).toEqual({ type: 'rsa', bits: 1024, encoding: 'pkcs1' });
  });
  it('reads ed25519 raw (RFC 8463) and SPKI-wrapped keys', () => {
    expect(inspectPublicKey(ed25519Raw(), 'ed25519').facts).toEqual({ type: 'ed25519', bits: 256, encoding: 'raw' });
    expect(inspectPublicKey(edSpki().toString('base64'), 'ed25519').facts?.encoding).toBe('spki');
  });
  it('refuses broken keys', () => {
    expect(inspectPublicKey('not base64!', 'rsa').error).toMatch(/base64/);
    expect(inspectPublicKey(K2048.slice(0, 100), 'rsa').error).toMatch(/not an RSA public key/);
    expect(inspectPublicKey(edSpki().toString('base64'), 'rsa').error).toMatch(/ed25519/);
    expect(inspectPublicKey(Buffer.alloc(20).toString('base64'), 'ed25519').error).toMatch(/32 bytes/);
  });
});

describe('evaluateKeyRecord', () => {
  it('accepts a 2048-bit RSA key', () => {
    expect(judge(`v=DKIM1; k=rsa; p=${K2048}`)).toMatchObject({ status: 'ok', keyType: 'rsa', keyBits: 2048 });
  });
  it('warns under 2048 bits and rejects under 1024 (RFC 8301 §3.2)', () => {
    expect(judge(`v=DKIM1; p=${K1024}`)).toMatchObject({ status: 'weak', keyBits: 1024 });
    const r = judge(`v=DKIM1; p=${K512}`);
    expect(r).toMatchObject({ status: 'invalid', keyBits: 512 });
    expect(r.findings.map((f) => f.code)).toContain('dkim.key-too-small');
  });
  it('accepts ed25519 (RFC 8463)', () => {
    expect(judge(`v=DKIM1; k=ed25519; p=${ed25519Raw()}`)).toMatchObject({ status: 'ok', keyType: 'ed25519', keyBits: 256 });
  });
  it('knows revoked keys: info at a common selector, an error at a requested one', () => {
    expect(judge('v=DKIM1; p=')).toMatchObject({ status: 'revoked', findings: [{ level: 'info', code: 'dkim.revoked' }] });
    expect(judge('v=DKIM1; p=', true).findings[0]).toMatchObject({ level: 'error', code: 'dkim.revoked' });
  });
  it('flags testing mode, sha1-only keys, non-email keys and unknown key types', () => {
    expect(judge(`v=DKIM1; t=y; p=${K2048}`)).toMatchObject({ status: 'testing', testing: true });
    expect(judge(`v=DKIM1; h=sha1; p=${K2048}`).findings.map((f) => f.code)).toContain('dkim.sha1-only');
    expect(judge(`v=DKIM1; h=sha1; p=${K2048}`).status).toBe('invalid');
    expect(judge(`v=DKIM1; h=sha1:sha256; p=${K2048}`).status).toBe('ok');
    expect(judge(`v=DKIM1; s=other; p=${K2048}`).status).toBe('invalid');
    expect(judge(`v=DKIM1; k=dsa; p=${K2048}`).status).toBe('invalid');
  });
  it('checks v= (DKIM1, first) and the presence of p=', () => {
    expect(judge(`v=DKIM2; p=${K2048}`).status).toBe('invalid');
    expect(judge(`k=rsa; v=DKIM1; p=${K2048}`).findings.map((f) => f.code)).toContain('dkim.version-not-first');
    expect(judge('v=DKIM1; k=rsa').findings.map((f) => f.code)).toContain('dkim.no-key');
  });
  it('tolerates whitespace inside p= (FWS, RFC 6376 §3.6.1)', () => {
    const spaced = K2048.replace(/(.{64})/g, '$1 ');
    expect(judge(`v=DKIM1; p=${spaced}`)).toMatchObject({ status: 'ok', keyBits: 2048 });
  });
  it('never throws on arbitrary records', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), fc.boolean(), (s, req) => {
      const r = judge(s, req);
      expect(['ok', 'weak', 'invalid', 'revoked', 'testing']).toContain(r.status);
    }));
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
      expect(() => judge(`v=DKIM1; k=rsa; p=${s}`)).not.toThrow();
      expect(() => judge(`v=DKIM1; k=ed25519; p=${s}`)).not.toThrow();
    }));
  });
});

describe('selectors', () => {
  it('ships a list of common selectors, all valid', () => {
    expect(COMMON_SELECTORS.length).toBeGreaterThanOrEqual(25);
    for (const s of ['google', 'selector1', 'selector2', 'k1', 's1', 's2', 'default', 'dkim', 'mail', 'protonmail', 'fm1', 'sig1']) expect(COMMON_SELECTORS).toContain(s);
    for (const s of COMMON_SELECTORS) expect(isValidSelector(s)).toBe(true);
  });
  it('refuses selectors that are not DNS labels', () => {
    expect(isValidSelector('s1.2024')).toBe(true);
    expect(isValidSelector('bad selector')).toBe(false);
    expect(isValidSelector('a..b')).toBe(false);
    expect(isValidSelector('x\r\ny')).toBe(false);
  });
});
