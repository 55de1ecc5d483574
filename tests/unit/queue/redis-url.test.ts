// The --queue URL: what parses into what, what is refused, and the property that matters for
// security: no password ever appears in the displayed URL or in an error message.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redact } from '../../../src/queue/redis-url.js';

describe('parseRedisUrl', () => {
  it('reads host, port, db, user, password and TLS', () => {
    expect(parseRedisUrl('redis://127.0.0.1')).toMatchObject({ host: '127.0.0.1', port: 6379, db: 0, tls: false, display: 'redis://127.0.0.1:6379/0' });
    expect(parseRedisUrl('rediss://:s3cret@redis.example.net:6380/4')).toMatchObject({ host: 'redis.example.net', port: 6380, db: 4, password: 's3cret', tls: true, display: 'rediss://:***@redis.example.net:6380/4' });
    expect(parseRedisUrl('redis://worker:p%40ss%3Aw@[::1]:7000/2')).toMatchObject({ host: '::1', port: 7000, db: 2, username: 'worker', password: 'p@ss:w', display: 'redis://worker:***@[::1]:7000/2' });
    expect(parseRedisUrl('REDIS://h/')).toMatchObject({ host: 'h', db: 0 });
  });

  it.each([
    ['http://h:6379/0', /scheme/],
    ['redis://h:6379/zero', /database number/],
    ['redis://h:99999', /not a URL|bad port/],
    ['redis://h/0?password=x', /query/],
    ['redis://', /not a URL|no host/],
    ['redis://h_x/0', /not a host name/],
    ['redis://h/0\n', /control/],
    ['localhost:6379', /scheme|not a URL/],
  ])('refuses %j', (text, why) => {
    expect(() => parseRedisUrl(text)).toThrow(why);
  });

  it('never shows the password: not in display, not in any error, not in redacted client text', () => {
    // Long enough and mixed enough never to be a piece of the host or scheme by chance.
    const secret = fc.stringMatching(/^[A-Za-z0-9!$&*+,;=~@:/?#%-]{8,24}$/).filter((s) => /[0-9]/.test(s) && /[A-Za-z]/.test(s));
    fc.assert(fc.property(secret, fc.constantFrom('redis', 'rediss', 'http'), fc.constantFrom('h.example', '10.0.0.1', 'bad_host', ''), fc.constantFrom('/1', '/x', ''), (pw, scheme, host, path) => {
      const url = `${scheme}://:${encodeURIComponent(pw)}@${host}${path}`;
      let shown: string;
      try {
        const t = parseRedisUrl(url);
        shown = t.display + redact(`WRONGPASS for ${pw} (${encodeURIComponent(pw)})`, t);
        expect(t.password).toBe(pw);
      } catch (e) {
        shown = (e as Error).message;
      }
      expect(shown).not.toContain(pw);
      expect(shown).not.toContain(encodeURIComponent(pw));
    }), { numRuns: 300 });
  });
});
