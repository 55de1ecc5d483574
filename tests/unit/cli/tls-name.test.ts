// --tls-name: declared with the other connection flags for probe and verify, checked once:
// a DNS name (lower-cased, trailing dot dropped), never an IP, never CR/LF (exit 2 otherwise).
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { addConnectionFlags, connectionOptions, type ConnectionFlags } from '../../../src/cli/connection-flags.js';
import { UsageError } from '../../../src/errors.js';

const parse = (argv: string[]): ConnectionFlags => {
  const cmd = addConnectionFlags(new Command().exitOverride());
  cmd.parse(argv, { from: 'user' });
  return cmd.opts<ConnectionFlags>();
};

describe('--tls-name', () => {
  it('is a connection flag and becomes the checked identity', () => {
    expect(connectionOptions(parse(['--tls-name', 'MX1.Example.COM.'])).tlsName).toBe('mx1.example.com');
    expect(connectionOptions(parse([])).tlsName).toBeUndefined();
  });
  it('refuses an IP address, a bad name and control characters as usage errors', () => {
    for (const bad of ['192.0.2.1', '::1', 'bad_name!', 'mx.test\r\nQUIT', '']) {
      expect(() => connectionOptions(parse(['--tls-name', bad])), bad).toThrow(UsageError);
    }
  });
});
