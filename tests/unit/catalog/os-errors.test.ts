// System and network errors as users read them (src/catalog/os-errors.ts): every known code
// becomes one catalog sentence that keeps the code, reads back from English and renders in
// every language; an unknown code keeps Node's own message, marked with the code; TLS verify
// codes (a bare string from the socket) are known too.
import { describe, expect, it } from 'vitest';
import { osErrorText, OS_ERROR_CODES } from '../../../src/catalog/os-errors.js';
import { identify, localize } from '../../../src/catalog/messages.js';

const OTHER = ['fr', 'vi', 'tr', 'hi'] as const;

describe('osErrorText', () => {
  for (const code of OS_ERROR_CODES) {
    it(code, () => {
      const en = osErrorText(Object.assign(new Error(`connect ${code} 192.0.2.1:25`), { code }));
      expect(en).toContain(`(${code})`);
      expect(en).not.toContain('192.0.2.1'); // Node's wording is replaced, not wrapped
      expect(identify(en)?.key).toMatch(/^os\./);
      for (const lang of OTHER) {
        const local = localize(lang, en);
        expect(local, lang).not.toBe(en);
        expect(local, lang).toContain(code);
      }
    });
  }
  it('a TLS verify code given as a bare string', () => {
    expect(osErrorText('CERT_HAS_EXPIRED')).toBe('the certificate has expired (CERT_HAS_EXPIRED)');
    expect(localize('fr', osErrorText('DEPTH_ZERO_SELF_SIGNED_CERT'))).toBe('le certificat est auto-signé (DEPTH_ZERO_SELF_SIGNED_CERT)');
    expect(osErrorText('some text a peer sent')).toBe('some text a peer sent');
  });
  it("an unknown code keeps Node's message, marked with the code, and the marking is localised", () => {
    const en = osErrorText(Object.assign(new Error('something odd happened'), { code: 'EWEIRD' }));
    expect(en).toBe('something odd happened (error EWEIRD)');
    expect(localize('tr', en)).toBe('something odd happened (hata EWEIRD)');
    // Node's message already naming its code is left as it is.
    expect(osErrorText(Object.assign(new Error('read EWEIRD'), { code: 'EWEIRD' }))).toBe('read EWEIRD');
    expect(osErrorText(new Error('plain'))).toBe('plain');
  });
});
