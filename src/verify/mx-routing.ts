// MX resolution for verify, once per domain (bounded cache of domains and DNS answers): which
// mail hosts serve a domain (preference order, the family asked for, an address literal as its
// own host), the domain's catch-all state, and which better MX was skipped when an answer comes
// from a backup (betterHostsSkipped). An address goes to its host group's queue once its
// domain is resolved; a DNS failure answers it at once.
import net from 'node:net';
import { resolveMailHosts, type MailHost, type MailHosts } from '../dns/mail-hosts.js';
import type { Resolve } from '../dns/resolver.js';
import { createDns2Resolver, DEFAULT_DNS_TIMEOUT_MS } from '../dns/dns2-resolver.js';
import { systemServers } from '../dns/system-servers.js';
import type { MailAddress } from './address.js';
import { DEFAULTS } from './options.js';
import type { RunCore } from './run-core.js';
import { boundedCache, type DomainState, type HostState, type Item } from './state.js';
import { decideDns, type SkippedMx } from './verdict.js';

export class MxRouting {
  private readonly domains = new Map<string, DomainState>();
  private resolverCache: Resolve | undefined;

  /** `dispatch`: an item whose domain has mail hosts goes to its host group. */
  constructor(private readonly core: RunCore, private readonly dispatch: (item: Item, d: DomainState) => void) {
    core.domainOf = (domain) => this.domains.get(domain);
  }

  get(domain: string): DomainState | undefined {
    return this.domains.get(domain);
  }

  /** Accepted recipients of this domain wait for the catch-all answer before they get a verdict. */
  gated(d: DomainState | undefined): boolean {
    return this.core.o.catchAllCheck !== false && d !== undefined && d.catchAll === null && !d.domain.startsWith('[');
  }

  private knownCatchAll(domain: string): boolean | null {
    const known = this.core.o.knownCatchAll;
    const k = known instanceof Map ? known.get(domain) : (known as Readonly<Record<string, boolean>> | undefined)?.[domain];
    if (typeof k === 'boolean') return k;
    return this.core.lists.nonCatchAll.has(domain) ? false : null;
  }

  route(item: Item): void {
    const domain = item.addr.domain;
    let d = this.domains.get(domain);
    if (d) {
      // Most recently used last, so the oldest entries are evicted first.
      this.domains.delete(domain);
      this.domains.set(domain, d);
    } else {
      d = { domain, waiting: [], catchAll: this.knownCatchAll(domain), probeTries: 0, probing: 0, parked: [] };
      this.domains.set(domain, d);
      this.evictDomains();
      this.core.spawn(this.resolveDomain(d, item.addr));
    }
    if (!d.mailHosts) d.waiting.push(item);
    else this.dispatch(item, d);
  }

  private evictDomains(): void {
    const max = DEFAULTS.maxDomains;
    if (this.domains.size <= max) return;
    for (const [k, d] of this.domains) {
      if (this.domains.size <= max) break;
      // A domain whose catch-all answer is awaited stays: its accepts depend on it.
      if (d.mailHosts && d.waiting.length === 0 && d.parked.length === 0 && d.probing === 0) this.domains.delete(k);
    }
  }

  private async resolveDomain(d: DomainState, addr: MailAddress): Promise<void> {
    const core = this.core;
    const o = core.o;
    core.pendingDns++;
    try {
      let mh: MailHosts;
      if (addr.literal) {
        mh = { domain: d.domain, kind: 'ip', hosts: [{ name: addr.literal, preference: null, addresses: [addr.literal], omittedAddresses: 0, notes: [] }], omittedHosts: 0, limits: { maxHosts: 1, maxAddressesPerHost: 1 }, notes: [] };
      } else {
        mh = await resolveMailHosts(d.domain, { resolve: this.resolver(), ...(o.family ? { family: o.family } : {}) });
      }
      const usable = mh.hosts.filter((h) => h.addresses.some((a) => !o.family || net.isIP(a) === o.family));
      if (usable.length === 0) {
        d.failure = decideDns(mh.kind === 'mx' || mh.kind === 'implicit' ? { ...mh, kind: 'dns-error', error: mh.hosts[0]?.error ?? { code: 'ENODATA', message: `no mail host of ${d.domain} has an address` } } : mh);
        // A transient DNS failure is not remembered: the next address of the domain asks again.
        if (d.failure.temporary) this.domains.delete(d.domain);
      } else {
        d.hostKey = usable.map((h) => h.name).join(' ');
        d.usable = usable;
      }
      d.mailHosts = mh;
    } catch (e) {
      d.mailHosts = { domain: d.domain, kind: 'dns-error', hosts: [], omittedHosts: 0, limits: { maxHosts: 0, maxAddressesPerHost: 0 }, notes: [], error: { code: 'EINTERNAL', message: e instanceof Error ? e.message : String(e) } };
      d.failure = decideDns(d.mailHosts);
      this.domains.delete(d.domain);
    } finally {
      core.pendingDns--;
    }
    const waiting = d.waiting;
    d.waiting = [];
    for (const item of waiting) this.dispatch(item, d);
    core.wakeMain();
  }

  /** The caller's resolver or the system's (through dns2), with a bounded cache of answers. */
  private resolver(): Resolve {
    this.resolverCache ??= boundedCache(this.core.o.resolve ?? createDns2Resolver({ servers: systemServers(), timeoutMs: DEFAULT_DNS_TIMEOUT_MS }), DEFAULTS.maxDomains);
    return this.resolverCache;
  }
}

/** Mail hosts preferred over `used` that could not be used just now, with why (an answer from a backup MX says so). */
export function betterHostsSkipped(h: HostState, used: MailHost): SkippedMx[] {
  if (used.preference === null) return [];
  const out: SkippedMx[] = [];
  for (const mx of h.hosts) {
    if (mx.preference === null || mx.preference >= used.preference) continue;
    out.push({ host: mx.name, reason: h.failures.get(mx.name) ?? 'not tried: it failed recently' });
  }
  return out;
}
