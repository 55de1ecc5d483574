// Which IP the receiving server saw: the one the blocklist, SPF and reverse-DNS checks must
// judge. In order: --ip; the address the server names in its own replies (EHLO replies
// often say "[203.0.113.5]"); a DNS who-am-I lookup asked of the authoritative servers
// that answer with the asker's address; the socket's local address when it is public.
import { say } from '../catalog/messages.js';
import net from 'node:net';
import type { Resolve } from '../dns/resolver.js';
import type { SessionResult } from '../smtp/session.js';
import { isPublicIp } from '../dns/ip-names.js';

export { isPublicIp };

export type SendingIpSource = 'flag' | 'server-reply' | 'dns-whoami' | 'local-address';

export interface SendingIp { ip: string; source: SendingIpSource; detail: string }

// "[203.0.113.5]", "[IPv6:2001:db8::1]", "(203.0.113.5)" as servers write the client address.
const BRACKETED = /[[(](?:IPv6:)?([0-9a-fA-F.:]{3,45})[\])]/g;

/** The client address a server names in its banner or EHLO reply, if it names one. */
export function ipFromServerReplies(sessions: readonly SessionResult[]): { ip: string; host: string } | undefined {
  for (const s of sessions) {
    for (const step of s.steps) {
      if (!step.reply || !(step.stage === 'ehlo' || step.stage === 'helo' || step.stage === 'banner')) continue;
      for (const line of step.reply.lines) {
        for (const m of line.matchAll(BRACKETED)) {
          const ip = (m[1] ?? '').replace(/^::ffff:/i, '');
          // The server's own address in its banner is not ours; the client's is what it echoes.
          if (net.isIP(ip) && ip !== s.address) return { ip, host: s.host };
        }
      }
    }
  }
  return undefined;
}

export interface WhoAmIDeps {
  resolve: Resolve;
  /** A resolver that asks the server at `ip` directly (an authoritative server, not recursion). */
  resolverAt: (ip: string) => Resolve;
}

export interface WhoAmIAnswer { ip?: string; via?: string; /** Why each source gave no address. */ failures: string[] }

/**
 * Ask authoritative servers that answer with the asker's address: Google's
 * o-o.myaddr.l.google.com TXT at ns1.google.com, then OpenDNS's myip.opendns.com A at
 * resolver1.opendns.com. Without an address, `failures` says why each source gave none.
 */
export async function whoAmI(d: WhoAmIDeps): Promise<WhoAmIAnswer> {
  const attempts: { server: string; name: string; type: 'TXT' | 'A'; via: string }[] = [
    { server: 'ns1.google.com', name: 'o-o.myaddr.l.google.com', type: 'TXT', via: 'o-o.myaddr.l.google.com TXT at ns1.google.com' },
    { server: 'resolver1.opendns.com', name: 'myip.opendns.com', type: 'A', via: 'myip.opendns.com A at resolver1.opendns.com' },
  ];
  const failures: string[] = [];
  for (const a of attempts) {
    let step = '';
    try {
      const [serverIp] = await d.resolve(a.server, 'A');
      if (!serverIp) {
        failures.push(say('ip.whoami.no-address', { via: a.via, server: a.server }));
        continue;
      }
      step = a.via;
      const answers = await d.resolverAt(serverIp)(a.name, a.type);
      const ip = answers.map((x) => x.trim()).find((x) => net.isIP(x));
      if (ip) return { ip, via: a.via, failures };
      failures.push(say('ip.whoami.no-ip', { via: a.via }));
    } catch (e) {
      // Kept, not swallowed: the user needs to know why the IP could not be found.
      failures.push(step === a.via ? say('common.subject-text', { subjectMsg: a.via, textMsg: e instanceof Error ? e.message : String(e) }) : say('ip.whoami.step-failed', { via: a.via, server: a.server, errorMsg: e instanceof Error ? e.message : String(e) }));
    }
  }
  return { failures };
}

export interface SendingIpSearch {
  found?: SendingIp;
  /** Why each source gave no IP, in the order tried (empty when found at once). */
  misses: string[];
}

/** Every source in order; without an IP, the reason each one gave none. */
export async function searchSendingIp(o: { flag?: string; sessions: readonly SessionResult[]; whoami?: WhoAmIDeps }): Promise<SendingIpSearch> {
  if (o.flag) return { found: { ip: o.flag, source: 'flag', detail: say('ip.given') }, misses: [] };
  const misses: string[] = [];
  const named = ipFromServerReplies(o.sessions);
  if (named) return { found: { ip: named.ip, source: 'server-reply', detail: say('ip.named-by', { host: named.host }) }, misses };
  misses.push(say('ip.no-server-named'));
  if (o.whoami) {
    const w = await whoAmI(o.whoami);
    if (w.ip) return { found: { ip: w.ip, source: 'dns-whoami', detail: say('ip.whoami.found', { via: w.via ?? '' }) }, misses };
    misses.push(say('ip.whoami.failed', { failuresMsg: w.failures.join('; ') }));
  } else {
    misses.push(say('ip.whoami.not-made'));
  }
  const locals = [...new Set(o.sessions.map((s) => s.localAddress).filter((a): a is string => a !== undefined))];
  const local = locals.find((a) => isPublicIp(a));
  if (local) return { found: { ip: local, source: 'local-address', detail: say('ip.local-public') }, misses };
  misses.push(locals.length > 0 ? say('ip.local-not-public', { addresses: locals.join(', ') }) : say('ip.no-connection'));
  return { misses };
}

export async function findSendingIp(o: { flag?: string; sessions: readonly SessionResult[]; whoami?: WhoAmIDeps }): Promise<SendingIp | undefined> {
  return (await searchSendingIp(o)).found;
}
