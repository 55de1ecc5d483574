// The human renderer of blocklist results: listed first, untrusted TXT made printable,
// colour only from the Chalk instance given, --quiet as one summary line.
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { checkBlocklists, checkZoneHealth } from '../../../src/checks/dnsbl.js';
import { DnsError, type Resolve } from '../../../src/dns/resolver.js';
import { renderBlocklist, renderBlocklistHealth } from '../../../src/report/blocklist-human.js';

const fake = (answers: Record<string, string[] | DnsError['dnsCode']>): Resolve => (async (name: string, type: string) => {
  const a = answers[`${type} ${name}`];
  if (a === undefined) throw new DnsError('ENOTFOUND', name, type as 'A');
  if (typeof a === 'string') throw new DnsError(a, name, type as 'A');
  return a;
}) as Resolve;

const plain = { chalk: new Chalk({ level: 0 }), width: 80 };

describe('renderBlocklist', async () => {
  const r = await checkBlocklists('198.51.100.7', {
    resolve: fake({
      'A 7.100.51.198.bl.spamcop.net': ['127.0.0.2'],
      'TXT 7.100.51.198.bl.spamcop.net': ['\u001b]0;pwned\u0007Blocked, see https://www.spamcop.net/bl.shtml?198.51.100.7'],
      'A 7.100.51.198.zen.spamhaus.org': ['127.255.255.254'],
      'A 7.100.51.198.psbl.surriel.com': 'ETIMEOUT',
    }),
    zones: ['psbl.surriel.com', 'zen.spamhaus.org', 'b.barracudacentral.org', 'bl.spamcop.net', 'dbl.spamhaus.org'],
  });

  it('puts listings first, then errors, timeouts, clean; hides n/a unless verbose', () => {
    const out = renderBlocklist(r, plain);
    const tags = out.split('\n').map((l) => /^(LISTED|ERROR|TIMEOUT|clean|n\/a)\s/.exec(l)?.[1]).filter(Boolean);
    expect(tags).toEqual(['LISTED', 'ERROR', 'TIMEOUT', 'clean', 'n/a']);
    expect(out).not.toContain('dbl.spamhaus.org');
    expect(renderBlocklist(r, { ...plain, verbose: true })).toMatch(/^n\/a\s+dbl\.spamhaus\.org/m);
  });

  it('makes TXT printable: no escape sequence reaches the terminal', () => {
    const out = renderBlocklist(r, plain);
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(out).toContain('TXT: ?]0;pwned?Blocked');
  });

  it('colours only when the Chalk instance has a level, and --quiet prints the summary only', () => {
    expect(renderBlocklist(r, plain)).not.toMatch(/\u001b\[/);
    expect(renderBlocklist(r, { ...plain, chalk: new Chalk({ level: 1 }) })).toMatch(/\u001b\[31m/);
    const q = renderBlocklist(r, { ...plain, quiet: true });
    expect(q.replace(/\n/g, ' ')).toMatch(/^198\.51\.100\.7 is listed on 1 of the 2 lists checked: bl\.spamcop\.net \(2 lists could not be checked: .*\)\. $/);
  });
});

describe('renderBlocklistHealth', () => {
  it('puts broken zones first with what to do', async () => {
    const h = await checkZoneHealth({
      resolve: fake({ 'A 2.0.0.127.zen.spamhaus.org': ['127.0.0.2'], 'A 2.0.0.127.bl.spamcop.net': ['127.0.0.2'], 'A 1.0.0.127.bl.spamcop.net': ['127.0.0.2'] }),
      zones: ['zen.spamhaus.org', 'bl.spamcop.net', 'psbl.surriel.com'],
    });
    const out = renderBlocklistHealth(h, plain);
    const tags = out.split('\n').map((l) => /^(LISTS ALL|DEAD|ok)\s/.exec(l)?.[1]).filter(Boolean);
    expect(tags).toEqual(['LISTS ALL', 'DEAD', 'ok']);
    expect(out).toContain('What to do: Remove this zone');
  });
});
