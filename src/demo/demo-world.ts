// The demo's little world on loopback: a dns2 zone server for demo.test and a scripted
// SMTP server for its MX with STARTTLS (test certificate), one existing mailbox, one unknown
// (550 5.1.1) and one greylisted (451 4.7.1). Used by `smtp-probe demo` and by the tests.
// Nothing in it talks to anything but 127.0.0.1, on ports the system picks.
import demoTls from '../../data/demo-tls.json' with { type: 'json' };
import { startScriptServer, type ScriptServer } from './smtp-script-server.js';
import { startZoneServer, type ZoneServer } from './zone-dns-server.js';

export const DEMO_DOMAIN = 'demo.test';
export const DEMO_RCPTS = ['alice@demo.test', 'nobody@demo.test', 'grey@demo.test'];
export const DEMO_FROM = 'postmaster@sender.demo.test';

export interface DemoWorld {
  dns: ZoneServer;
  smtp: ScriptServer;
  /** PEM of the demo CA, trusted for the demo's STARTTLS. */
  ca: string;
  close(): Promise<void>;
}

export interface DemoOptions {
  /** Delay added before every SMTP reply and DNS answer (benchmarks). */
  delayMs?: number;
}

export async function startDemoWorld(o: DemoOptions = {}): Promise<DemoWorld> {
  const smtp = await startScriptServer(
    {
      hostname: 'mx1.demo.test',
      banner: { lines: ['220 mx1.demo.test ESMTP smtp-probe demo server'] },
      extensions: ['PIPELINING', 'SIZE 26214400', '8BITMIME', 'ENHANCEDSTATUSCODES', 'SMTPUTF8', 'CHUNKING'],
      users: ['alice'],
      rules: [
        { match: '^RCPT TO:<grey@', reply: { lines: ['451 4.7.1 <grey@demo.test>: Recipient address rejected: Greylisted, please try again in 300 seconds'] } },
      ],
    },
    { tls: { key: demoTls.key, cert: demoTls.cert }, ...(o.delayMs ? { replyDelayMs: o.delayMs } : {}) },
  );
  const dns = await startZoneServer(
    {
      [DEMO_DOMAIN]: {
        MX: [{ exchange: 'mx1.demo.test', priority: 10 }],
        TXT: ['v=spf1 mx -all'],
      },
      'mx1.demo.test': { A: [smtp.address] },
      '_dmarc.demo.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@demo.test'] },
      'sender.demo.test': { TXT: ['v=spf1 ip4:127.0.0.0/8 -all'] },
      '_dmarc.sender.demo.test': { TXT: ['v=DMARC1; p=quarantine'] },
    },
    o.delayMs ? { delayMs: o.delayMs } : {},
  );
  return {
    dns,
    smtp,
    ca: demoTls.ca,
    close: async () => {
      await Promise.all([dns.close(), smtp.close()]);
    },
  };
}
