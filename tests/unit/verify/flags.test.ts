// Flags from the data files: role accounts, disposable domains (and their subdomains),
// free-mail providers, non-catch-all providers; HELO names that impersonate a provider.
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../../src/verify/address.js';
import { addressFlags, builtInLists, flagLists, impersonatedOperator, inDomainList } from '../../../src/verify/flags.js';

const addr = (s: string) => {
  const r = parseAddress(s);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('address flags', () => {
  const lists = builtInLists();
  it('role accounts (RFC 2142 names and common functions), case and +tag ignored', () => {
    for (const a of ['postmaster@x.test', 'ABUSE@x.test', 'info+news@x.test', 'no-reply@x.test', 'sales@x.test']) expect(addressFlags(addr(a), lists).role, a).toBe(true);
    for (const a of ['bob@x.test', 'information.desk@x.test']) expect(addressFlags(addr(a), lists).role, a).toBe(false);
  });
  it('disposable domains, subdomains included; not a parent or a lookalike', () => {
    expect(addressFlags(addr('a@mailinator.com'), lists).disposable).toBe(true);
    expect(addressFlags(addr('a@sub.mailinator.com'), lists).disposable).toBe(true);
    expect(addressFlags(addr('a@notmailinator.example'), lists).disposable).toBe(false);
    expect(inDomainList(new Set(['co.uk']), 'x.co.uk')).toBe(true);
    expect(inDomainList(new Set(['uk']), 'x.co.uk')).toBe(false); // never a bare TLD
  });
  it('free-mail providers (exact domain)', () => {
    expect(addressFlags(addr('a@gmail.com'), lists).free).toBe(true);
    expect(addressFlags(addr('a@corp.gmail.com'), lists).free).toBe(false);
    expect(addressFlags(addr('a@example.com'), lists)).toEqual({ role: false, disposable: false, free: false });
  });
  it('extra lists are added, the built-in ones stay as they were', () => {
    const l = flagLists({ disposableDomains: ['Throwaway.Example'], roleAccounts: ['Billing-Team'] });
    expect(addressFlags(addr('billing-team@throwaway.example'), l)).toMatchObject({ role: true, disposable: true });
    expect(builtInLists().disposable.has('throwaway.example')).toBe(false);
  });
  it('non-catch-all providers are their own consumer domains only', () => {
    expect(lists.nonCatchAll.has('gmail.com')).toBe(true);
    expect(lists.nonCatchAll.has('google.com')).toBe(false);
  });
});

describe('impersonatedOperator', () => {
  it('refuses provider names and their subdomains, accepts a host of your own', () => {
    expect(impersonatedOperator('mail-sor-f41.google.com')).toBe('google.com');
    expect(impersonatedOperator('GMAIL.COM.')).toBe('gmail.com');
    expect(impersonatedOperator('outbound.protection.outlook.com')).toBe('protection.outlook.com');
    expect(impersonatedOperator('mail.example.net')).toBeUndefined();
    expect(impersonatedOperator('notgoogle.com')).toBeUndefined();
  });
});
