// What an address is, besides whether it exists: a role account, a disposable-mail domain,
// a free-mail provider; which domains never accept everything (no catch-all check needed);
// which HELO names impersonate a big provider. All from data/*.json (imported, so tsup
// inlines them); callers may add the longer lists of the maintained packages. Pure lookups.
import disposableJson from '../../data/disposable-domains.json' with { type: 'json' };
import freeJson from '../../data/free-mail-providers.json' with { type: 'json' };
import nonCatchAllJson from '../../data/non-catch-all-providers.json' with { type: 'json' };
import roleJson from '../../data/role-accounts.json' with { type: 'json' };
import { baseLocalPart, type MailAddress } from './address.js';

export interface AddressFlags {
  /** The local part names a function (postmaster, info, sales, noreply…), not a person. */
  role: boolean;
  /** The domain (or a parent of it) is a disposable-mail service. */
  disposable: boolean;
  /** The domain belongs to a free public mail provider. */
  free: boolean;
}

export interface FlagLists {
  role: ReadonlySet<string>;
  disposable: ReadonlySet<string>;
  free: ReadonlySet<string>;
  nonCatchAll: ReadonlySet<string>;
  /** Provider names a HELO must not use (google.com, outlook.com…). */
  operators: ReadonlySet<string>;
}

/** Extra entries for the lists (e.g. the full disposable-email-domains package). */
export interface ExtraLists {
  roleAccounts?: Iterable<string>;
  disposableDomains?: Iterable<string>;
  freeDomains?: Iterable<string>;
  nonCatchAllDomains?: Iterable<string>;
}

const lower = (xs: Iterable<string>): string[] => [...xs].map((x) => x.trim().toLowerCase().replace(/\.$/, '')).filter((x) => x !== '');

let builtIn: FlagLists | undefined;

/** The lists of the data files (built once). */
export function builtInLists(): FlagLists {
  builtIn ??= {
    role: new Set(lower(roleJson.groups.flatMap((g) => g.localParts))),
    disposable: new Set(lower(disposableJson.domains)),
    free: new Set(lower(freeJson.providers.flatMap((p) => p.domains))),
    nonCatchAll: new Set(lower(nonCatchAllJson.providers.flatMap((p) => p.domains))),
    operators: new Set(lower(freeJson.providers.flatMap((p) => [...p.domains, ...p.operatorDomains]))),
  };
  return builtIn;
}

/** The built-in lists plus the caller's extras (the built-in sets are never modified). */
export function flagLists(extra: ExtraLists = {}): FlagLists {
  const b = builtInLists();
  const merge = (base: ReadonlySet<string>, more: Iterable<string> | undefined): ReadonlySet<string> => (more ? new Set([...base, ...lower(more)]) : base);
  return {
    role: merge(b.role, extra.roleAccounts),
    disposable: merge(b.disposable, extra.disposableDomains),
    free: merge(b.free, extra.freeDomains),
    nonCatchAll: merge(b.nonCatchAll, extra.nonCatchAllDomains),
    operators: b.operators,
  };
}

/** True when `domain` or one of its parent domains is in `set` (sub.mailinator.com counts). */
export function inDomainList(set: ReadonlySet<string>, domain: string): boolean {
  let d = domain.toLowerCase();
  for (;;) {
    if (set.has(d)) return true;
    const dot = d.indexOf('.');
    if (dot < 0 || d.indexOf('.', dot + 1) < 0) return false; // stop before the bare TLD
    d = d.slice(dot + 1);
  }
}

/** The flags that depend on the domain only (callers may remember them per domain). */
export function domainFlags(a: MailAddress, lists: FlagLists): Omit<AddressFlags, 'role'> {
  return { disposable: a.literal === undefined && inDomainList(lists.disposable, a.domain), free: lists.free.has(a.domain) };
}

export function addressFlags(a: MailAddress, lists: FlagLists, domain: Omit<AddressFlags, 'role'> = domainFlags(a, lists)): AddressFlags {
  return { role: lists.role.has(baseLocalPart(a)), disposable: domain.disposable, free: domain.free };
}

/** The provider's own name: a HELO inside it impersonates Google, Microsoft, Yahoo… */
export function impersonatedOperator(helo: string, lists: FlagLists = builtInLists()): string | undefined {
  const h = helo.toLowerCase().replace(/\.$/, '');
  let d = h;
  for (;;) {
    if (lists.operators.has(d)) return d;
    const dot = d.indexOf('.');
    if (dot < 0) return undefined;
    d = d.slice(dot + 1);
  }
}
