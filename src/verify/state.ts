// The records verify's pipeline passes along: an address in flight (Item), a domain's routing
// and catch-all state (DomainState, with the accepts parked until its catch-all answer), a
// mail-host group's queue and limits (HostState), and the pure queue operations on it.
// Data only; the scheduling is host-queue.ts, the sessions host-worker.ts.
import net from 'node:net';
import type { Family, MailHost, MailHosts } from '../dns/mail-hosts.js';
import type { Resolve } from '../dns/resolver.js';
import type { Reply } from '../smtp/reply-parser.js';
import type { Outcome, SmtpSession, TransactionResult } from '../smtp/session.js';
import type { MailAddress } from './address.js';
import type { AddressFlags } from './flags.js';
import type { Decision, SkippedMx, VerifyResult } from './verdict.js';

export interface Item {
  addr: MailAddress;
  input: string;
  /** The input line (file or stdin), reported with the result. */
  line?: number;
  attempts: number;
  /** Put back without charge (a 421, answers voided out of step): bounded too (host-queue.ts). */
  uncharged: number;
  /** The greylisted answer, kept while waiting to ask again. */
  greylisted?: VerifyResult;
}

export interface DomainState {
  domain: string;
  mailHosts?: MailHosts;
  /** The mail hosts with a usable address, in preference order. */
  usable?: MailHost[];
  failure?: Decision;
  hostKey?: string;
  waiting: Item[];
  catchAll: boolean | null;
  /** Catch-all probes sent (each to the same random local part, so a greylisted one can pass later). */
  probeTries: number;
  /** Probes taken into a transaction and not yet answered (one at a time per domain). */
  probing: number;
  probeAddress?: string;
  /** Accepted recipients waiting for the catch-all answer before they get a verdict. */
  parked: Parked[];
  flags?: Omit<AddressFlags, 'role'>;
}

export interface Parked { item: Item; reply: Reply; mx: string; skipped: SkippedMx[]; host: HostState }

export interface Candidate { mx: MailHost; address: string; bad: number }

/** An open session, the server slot it holds, and the better mail hosts that could not be used. */
export interface Connected {
  session: SmtpSession;
  slot: string | undefined;
  skipped: SkippedMx[];
  /** RCPT replies this connection has carried: a hang-up after some is the server's per-connection limit. */
  answered: number;
  /** RCPTs sent, and RCPT replies read (a 421 is none), on this connection. */
  rcptsSent: number;
  rcptsAnswered: number;
  /** Transactions whose answers wait until the session is known to be in step (host-worker.ts). */
  held: Sent[];
  /** The session's outcome right after its last transaction: a change after it came while idle or at the farewell. */
  afterLast?: Outcome;
}

/** One transaction as sent: its replies, the addresses asked (after `lead` catch-all probes). */
export interface Sent { tx: TransactionResult; items: Item[]; lead: number; probes: DomainState[] }

/** Catch-all probes per domain before its accepts are answered with the status unknown. */
export const MAX_PROBES = 3;

export interface HostState {
  key: string;
  hosts: MailHost[];
  queue: Item[];
  head: number;
  delayed: number;
  active: number;
  maxActive: number;
  notBefore: number;
  backoffMs: number;
  batchSize: number;
  rateNextAt: number;
  failedConnects: number;
  /** "Too many connections" greetings in a row with no other session open to that server. */
  busyStrikes: number;
  /** Why each mail host (by name) could not be used the last time (for answers from a backup MX). */
  failures: Map<string, string>;
  /** RCPTs a connection may carry: learned from a server that closes after so many (421). */
  perConnection?: number;
  /** Transactions in a row that broke without a single answer. */
  fruitless: number;
  /** The last connect failure and when the host counts as down until. */
  down?: { until: number; decision: Decision };
  /** Addresses (ip:port) that failed to connect recently: tried last. */
  badAddresses: Map<string, number>;
  wake: (() => void)[];
}


export function newHostState(key: string, hosts: MailHost[], maxActive: number, batchSize: number): HostState {
  return {
    key, hosts, queue: [], head: 0, delayed: 0, active: 0, maxActive,
    notBefore: 0, backoffMs: 0, batchSize, rateNextAt: 0, failedConnects: 0, busyStrikes: 0, fruitless: 0,
    badAddresses: new Map(), failures: new Map(), wake: [],
  };
}

export function queued(h: HostState): number {
  return h.queue.length - h.head;
}

/** Put an item in the queue (at the front: it was asked already and goes first again). */
export function putItem(h: HostState, item: Item, front = false): void {
  if (front) {
    if (h.head > 0) h.queue[--h.head] = item;
    else h.queue.unshift(item);
  } else h.queue.push(item);
}

export function shiftItem(h: HostState): Item | undefined {
  if (h.head >= h.queue.length) return undefined;
  const item = h.queue[h.head];
  h.queue[h.head++] = undefined as unknown as Item;
  // The consumed head is dropped now and then, so a long run's queue does not grow forever.
  if (h.head > 1024 && h.head * 2 > h.queue.length) {
    h.queue = h.queue.slice(h.head);
    h.head = 0;
  }
  return item;
}

/** The addresses of a host group in the order they are tried: preference, then recent failures last. */
export function candidatesOf(h: HostState, family: Family | undefined, now: number): Candidate[] {
  const out: Candidate[] = [];
  for (const mx of h.hosts) {
    for (const address of mx.addresses) {
      if (family && net.isIP(address) !== family) continue;
      const until = h.badAddresses.get(address) ?? 0;
      out.push({ mx, address, bad: until > now ? 1 : 0 });
    }
  }
  // Addresses that failed a moment ago go last (stable: preference order otherwise).
  return out.sort((a, b) => a.bad - b.bad);
}

/** Remember answers (A, AAAA, MX) for the run, at most `max` names: MX hosts shared by many domains are looked up once. */
export function boundedCache(resolve: Resolve, max: number): Resolve {
  const cache = new Map<string, Promise<unknown>>();
  return (<T extends Parameters<Resolve>[1]>(name: string, type: T) => {
    const key = `${type} ${name.toLowerCase()}`;
    let p = cache.get(key);
    if (!p) {
      p = resolve(name, type);
      p.catch(() => cache.delete(key)); // failures are asked again next time
      cache.set(key, p);
      if (cache.size > max) cache.delete(cache.keys().next().value as string);
    }
    return p;
  }) as Resolve;
}
