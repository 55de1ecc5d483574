// The decision list of reply-text recognition (src/catalog/decide-reason.ts): strong evidence
// outranks weak cues, enhanced codes weigh as documented, bare texts fall back to the codes
// with `inferred`, 421 texts keep their retry advice, and the evidence is returned.
import { describe, expect, it } from 'vitest';
import { classifyReply } from '../../../src/catalog/match-text.js';

describe('precedence: a weak cue never outranks a strong one', () => {
  const trailers = [
    'Giving up on 192.0.2.1.',
    'This message has been in the queue too long.',
    "I'm not going to try again; this message has been in the queue too long.",
    'retry timeout exceeded',
    'Message expired after sitting in queue for 5 days.',
  ];
  const strong: [string, string][] = [
    ['550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in local recipient table', 'userunknown'],
    ['552 5.2.2 <bob@example.com>: mailbox full', 'mailboxfull'],
    ['550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org', 'blocked'],
    ['552 5.3.4 Message size exceeds fixed limit', 'mesgtoobig'],
  ];
  for (const [reply, reason] of strong) {
    for (const t of trailers) {
      it(`${reason}: "${t}" before or after the reply`, () => {
        expect(classifyReply({ text: `${t} ${reply}` }).reason).toBe(reason);
        expect(classifyReply({ text: `${reply} ${t}` }).reason).toBe(reason);
      });
    }
  }

  it('lets the strong enhanced code decide when only a weak cue is in the text', () => {
    const r = classifyReply({ text: 'Giving up on 192.0.2.1: 550 5.1.1 nope' });
    expect(r).toMatchObject({ reason: 'userunknown', inferred: true });
    expect(r.evidence.decidedBy).toBe('enhanced');
  });

  it('keeps an expiry that follows network trouble an expiry', () => {
    expect(classifyReply({ text: '550 5.4.316 Message expired, connection refused(Socket error code 10061)' }).reason).toBe('expired');
    expect(classifyReply({ text: "451 Sorry, I wasn't able to establish an SMTP connection. I'm not going to try again; this message has been in the queue too long." }).reason).toBe('expired');
    expect(classifyReply({ text: 'Giving up on 192.0.2.9' }).reason).toBe('expired');
  });
});

describe('enhanced status codes as evidence', () => {
  it('reads X.2.3 as a per-recipient limit and X.3.4 as a message too big, whatever generic wording says', () => {
    expect(classifyReply({ text: '552 5.2.3 Message size exceeds fixed maximum message size' }).reason).toBe('exceedlimit');
    expect(classifyReply({ text: '552 5.3.4 Message size exceeds fixed maximum message size' }).reason).toBe('mesgtoobig');
    expect(classifyReply({ text: '552 5.2.3 Message length exceeds administrative limit' }).reason).toBe('exceedlimit');
  });

  it('decides from a strong code over low-weight generic wording, and from the text over a misleading code', () => {
    expect(classifyReply({ text: '550 5.1.6 mailbox unavailable' }).reason).toBe('hasmoved');
    expect(classifyReply({ text: '452 4.2.2 over quota' }).reason).toBe('mailboxfull');
    expect(classifyReply({ text: '552 5.1.1 Boite du destinataire pleine. Recipient overquota. OFR_417 [417]' }).reason).toBe('mailboxfull');
  });

  it('reads an address code at MAIL FROM as a refused sender', () => {
    expect(classifyReply({ text: '550 5.1.1 <alice@example.org>: nope', stage: 'mail' }).reason).toBe('rejected');
  });

  it('exposes the evidence: matching patterns with weights, code priors, what decided', () => {
    const r = classifyReply({ text: '550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in local recipient table', stage: 'rcpt' });
    expect(r.evidence.decidedBy).toBe('pattern');
    expect(r.evidence.enhanced).toMatchObject({ code: '5.1.1', reason: 'userunknown' });
    expect(r.evidence.enhanced?.weight).toBeGreaterThan(0);
    expect(r.evidence.patterns.map((p) => p.id)).toContain(r.patternId);
    const win = r.evidence.patterns.find((p) => p.id === r.patternId);
    for (const p of r.evidence.patterns) if (!p.weak) expect(p.weight).toBeLessThanOrEqual(win?.weight ?? 0);
  });
});

describe('bare or nearly bare texts fall back to the code and stage, marked inferred', () => {
  it('a lone code', () => {
    expect(classifyReply({ text: '421' })).toMatchObject({ reason: 'systemerror', inferred: true, permanent: false });
    expect(classifyReply({ text: '554', stage: 'banner' })).toMatchObject({ reason: 'blocked', inferred: true });
    expect(classifyReply({ text: '552', stage: 'data' })).toMatchObject({ reason: 'mesgtoobig', inferred: true });
    expect(classifyReply({ text: '421' }).evidence.decidedBy).toBe('basic');
  });

  it('a vague text with a code is inferred from the code; without one it stays undefined', () => {
    expect(classifyReply({ text: '451 temporary failure' })).toMatchObject({ inferred: true, permanent: false });
    expect(classifyReply({ text: '550 5.1.1 temporary failure' })).toMatchObject({ reason: 'userunknown', inferred: true });
    expect(classifyReply({ text: 'temporary failure' })).toMatchObject({ reason: 'undefined', inferred: false });
    expect(classifyReply({ text: 'temporary failure' }).patternId).toBeUndefined();
  });

  it('reads short system texts by their code and stage, never by a guessed pattern', () => {
    for (const text of ['Host not reachable', 'Operating system error', 'temporary failure', 'I/O error']) {
      const bare = classifyReply({ text });
      expect(bare, text).toMatchObject({ reason: 'undefined', inferred: false });
      expect(bare.patternId, text).toBeUndefined();
      const coded = classifyReply({ text: `451 4.0.0 ${text}` });
      expect(coded, text).toMatchObject({ reason: 'systemerror', inferred: true, permanent: false });
      expect(coded.evidence.decidedBy, text).toBe('basic');
      expect(classifyReply({ text: `421 ${text}` }), text).toMatchObject({ reason: 'systemerror', inferred: true });
      expect(classifyReply({ text: `554 ${text}`, stage: 'banner' }), text).toMatchObject({ reason: 'blocked', inferred: true });
    }
  });
});

describe('421 texts', () => {
  it('a shutting-down service is a temporary server problem, never "accepts no mail"', () => {
    for (const text of ['421 4.3.2 Service shutting down', '421 4.3.2 System not accepting network messages', '421 mx.example.com Service not available, closing transmission channel', '421 4.3.2 shutting down']) {
      const r = classifyReply({ text });
      expect(r.reason, text).not.toBe('notaccept');
      expect(r.permanent, text).toBe(false);
      expect(r.action, text).not.toMatch(/do not retry/i);
    }
  });

  it("Gmail's temporary unusual-rate deferral is a rate limit with retry advice", () => {
    const text =
      '421-4.7.0 [192.0.2.1 15] Our system has detected an unusual rate of\n421-4.7.0 unsolicited mail originating from your IP address. To protect our\n421-4.7.0 users from spam, mail sent from your IP address has been temporarily\n421-4.7.0 rate limited. Please visit\n421 4.7.0  https://support.google.com/mail/?p=UnsolicitedRateLimitError - gsmtp';
    const r = classifyReply({ text });
    expect(r).toMatchObject({ reason: 'speeding', provider: 'Gmail', permanent: false });
    expect(r.action).toMatch(/retr/i);
  });

  it('a temporary refusal gets the temporary advice of its reason', () => {
    expect(classifyReply({ text: '450 4.7.1 Client host rejected: too many connections from your host' }).action).not.toMatch(/do not retry/i);
    expect(classifyReply({ text: '421 4.7.0 Too many concurrent SMTP connections; please try again later' }).action).toMatch(/retr/i);
  });
});

/** Each case (reason, our own wording, stage) is read by a written pattern, not inferred from codes. */
function readsByText(cases: [string, string, string?][]): void {
  for (const [reason, text, stage] of cases) {
    it(`${reason}: ${text}`, () => {
      const r = classifyReply(stage ? { text, stage } : { text });
      expect(r.reason).toBe(reason);
      expect(r.inferred).toBe(false);
    });
  }
}

// Classes the second training round (fixtures/replies/train-round2.tsv) showed; the texts here are
// our own wordings of each class, so a broken pattern fails here and not only in the figure.
describe('classes read from the second training round', () => {
  const cases: [string, string, string?][] = [
    ['authfailure', '550 5.7.1 Message refused per the sender domain\'s SPF policy'],
    ['authfailure', '550 Rejected: SPF_REJECT'],
    ['speeding', '5.7.1 <DATA>: Data command rejected: only 50 messages per hour'],
    ['speeding', 'Account has exceeded its daily sending limit'],
    ['speeding', 'Domain example.org has exceeded the max emails per hour (200/200 (100%)) allowed.'],
    ['mailboxfull', 'permission denied. Command output: maildrop: maildir over quota.'],
    ['mailboxfull', 'Message size exceeds remaining quota'],
    ['contenterror', '451 Bare LF received, see the SMTP standard'],
    ['systemerror', '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; Error: open resolver; https://www.spamhaus.org/returnc/pub/192.0.2.9'],
    ['blocked', '550 Mail from 192.0.2.1 refused by dnsbl.example.net'],
    ['blocked', '421 Your IP (192.0.2.7) is filtered, connection closed'],
    ['blocked', '550 Sorry, invalid HELO hostname'],
    ['securityerror', '553 5.7.1 <alice@example.com>: Sender address rejected: not logged in'],
    ['virusdetected', '554 5.7.1 Win.Trojan.Agent-12345 FOUND'],
    ['policyviolation', '550 5.7.1 Attachment type not allowed here'],
    ['hostunknown', 'Delivery failed: no MX records found for example.org'],
    ['rejected', '550 illegal sender'],
    ['rejected', 'The group you wrote to does not exist'],
    // A refusal that names the RFC problem is that problem, whatever frames it.
    ['notcompliantrfc', '550 5.7.1 Our system has detected that this message is not RFC 5322 compliant. To reduce the amount of spam, it has been blocked.'],
    ['notcompliantrfc', '550 5.7.1 Delivery not authorized, message refused: Message is not RFC 2822 compliant'],
    ['networkerror', 'No SMTP servers were available for example.org. No hosts to try.'],
  ];
  readsByText(cases);

  it("Gmail's unusual-rate reply that says blocked is a block, retried when it is a 4xx", () => {
    const r = classifyReply({ text: '421 4.7.0 Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily blocked.' });
    expect(r).toMatchObject({ reason: 'blocked', provider: 'Gmail', permanent: false });
    expect(r.action).not.toMatch(/do not retry/i);
  });

  it('a sending quota is a rate limit, not a full mailbox', () => {
    expect(classifyReply({ text: '552 Message would take you over your relay quota of 500' }).reason).toBe('speeding');
    expect(classifyReply({ text: '552 Mailbox quota exceeded for this user' }).reason).toBe('mailboxfull');
  });
});

// Classes the third training round (train-round3.tsv: issue threads, MTA and filter sources,
// provider code tables) showed; again our own wordings of each class.
describe('classes read from the third training round', () => {
  const cases: [string, string, string?][] = [
    ['blocked', '550 5.7.0 The EHLO name example.net does not match your address 192.0.2.4', 'ehlo'],
    ['blocked', '550 HELO name has no forward DNS record'],
    ['blocked', '554 Client 192-0-2-8.pool.example.net rejected: dynamic rDNS, please use your ISP\'s mail server'],
    ['requireptr', '554 No FCrDNS for 192.0.2.8'],
    ['blocked', '554 RTR:DU: mail from residential address space refused'],
    ['badreputation', '554 RLY:B1 see the postmaster pages'],
    ['notcompliantrfc', '550 5.6.0 Missing required RFC 5322 From field', 'data'],
    ['notcompliantrfc', '554 5.6.0 Header contains non-ASCII characters in the headers', 'data'],
    ['notcompliantrfc', '550 5.7.0 Malformed Reply-To header', 'data'],
    ['policyviolation', '550 Message contains a high-risk file extension (.js)', 'data'],
    ['systemerror', '451 4.3.0 Anti-virus scanner not responding, try later', 'data'],
    ['systemerror', '450 rspamd connection refused, please retry', 'data'],
    ['authfailure', '550 5.7.1 sender <a@example.org> SPF Permanent Error: too many lookups', 'mail'],
    ['failedstarttls', '451 4.7.5 Delivery deferred: non DNSSEC destination'],
    ['failedstarttls', 'TLS security level check failed for example.org (level: none)'],
    ['expired', 'Bouncing after 12 retries, last error: connection timed out'],
    ['hostunknown', 'dial: lookup mx.example.invalid: no such host'],
    ['rejected', '550 No MX for your FROM address example.invalid', 'mail'],
    ['mailererror', 'MDA delivery failed: /usr/bin/deliver: exit status 75'],
    ['filtered', '550 5.7.1 You do not have permission to post a message to this mailbox', 'rcpt'],
    ['filtered', 'Your message to <a@example.org> was automatically rejected: I am not taking mail from you'],
    ['filtered', '550 Your address was blocked by the recipient'],
    ['spamdetected', '550 Suspected phishing attempt: the message appears to impersonate example-bank.com', 'data'],
    ['badreputation', '550 Your karma score is too low'],
    ['toomanyconn', '452 4.5.3 Maximum number of recipients reached for this message', 'rcpt'],
    ['toomanyconn', '421 4.4.5 Concurrency limit reached, try again later'],
    ['syntaxerror', '554 You talked too soon, wait for the greeting'],
    ['securityerror', '421 4.7.0 Too many authentication failures, closing connection'],
    ['rejected', '550 5.7.60 SMTP; Client does not have permissions to send as this sender', 'data'],
    ['securityerror', '550 5.7.60 Anonymous client does not have permissions to send as this sender', 'data'],
    ['mesgtoobig', '554 5.7.1 Recipient address rejected: message size exceed the limit', 'rcpt'],
    ['mailboxfull', 'Ihr Briefkasten ist voll'],
    ['mesgtoobig', 'Wiadomość jest zbyt długa'],
    // A webmail's own client-side notices (SOGo's localized strings), read as the SMTP side says.
    ['networkerror', 'Could not send the message: an error occurred while connecting to the SMTP server.'],
    ['networkerror', 'Senden nicht möglich: Fehler beim Verbinden mit dem SMTP-Server'],
    ['networkerror', '送信エラー: SMTPサーバーへの接続中にエラーが発生しました'],
    ['userunknown', 'Cannot send: all recipients were rejected'],
    ['contenterror', 'Conversion failure: the message body could not be converted'],
    // Its second wave (help pages in many languages, more issue threads).
    ['blocked', '554 5.7.1 Service unavailable; client [192.0.2.3] blocked, you may be infected'],
    ['blocked', '554 Unwelcome connection from 192.0.2.3'],
    ['blocked', '550 Your IP address has been listed by our filter'],
    ['networkerror', '451 4.4.3 Malformed DNS server reply for example.org'],
    ['networkerror', 'Temporary failure in name resolution of mx.example.org'],
    ['notaccept', 'This is a notification-only address that cannot accept incoming email', 'rcpt'],
    ['policyviolation', '550 5.7.1 Null sender with multiple recipients refused', 'rcpt'],
    ['spamdetected', '554 5.7.1 Spam score exceeds the maximum allowed', 'data'],
    ['speeding', '450 4.2.1 This mailbox is receiving mail at too high a rate, try again later', 'rcpt'],
    ['securityerror', '550 SMTP error: the sender does not have SMTP Authentication turned on in the mail client'],
    ['authfailure', '554 5.7.1 SPF hard fail for example.org'],
    ['rejected', '550 5.7.1 User bob@example.org is not authorized to send on behalf of alice@example.net', 'mail'],
    ['userunknown', 'Ihre Nachricht konnte nicht zugestellt werden. bob wurde nicht in example.org gefunden.'],
    ['failedstarttls', '530 Your domain is required to send over an encrypted connection'],
    ['requireptr', '554 invalid DNS PTR resource record, IP=192.0.2.3', 'banner'],
    ['virusdetected', '550 Reject for policy reason. RULE1_3'],
    ['spamdetected', '550 Reject for policy reason. RULE2_1'],
    // Its third wave (mail-software sources: sendmail, qpsmtpd, amavisd-new, Mailman, Haraka).
    ['rejected', 'Your message was held: non-members are not allowed to post messages to this list.'],
    ['policyviolation', 'Post held: Blind carbon copies or other implicit destinations are not allowed'],
    ['policyviolation', 'id=4711-02 - BANNED: setup.scr', 'data'],
    ['notcompliantrfc', 'id=4711-02 - BAD HEADER: improper use of control character', 'data'],
    ['exceedlimit', 'Message size exceeds the recipient\'s size limit', 'data'],
    ['requireptr', '451 4.1.8 Possibly forged hostname for 192.0.2.20'],
    ['requireptr', '550 Rejecting mail from unresolvable host 192.0.2.20', 'rcpt'],
    ['blocked', '550 Sorry, I do not believe that you are example.org', 'ehlo'],
    ['blocked', '550 Denying HELO from host claiming to be me', 'ehlo'],
    ['networkerror', '451 4.4.3 Temporary lookup failure of 192.0.2.20 at dnsbl.example.net'],
    ['failedstarttls', '454 4.7.5 DANE verification failed for mx.example.org'],
    ['greylisted', '450 This mail is temporarily denied, come back in a while', 'rcpt'],
    ['contenterror', '554 MIME type message/partial not accepted here', 'data'],
    ['systemerror', '451 Problem running the virus scanner, try again', 'data'],
    ['rejected', '550 Mail from that domain is not accepted here', 'mail'],
    ['badreputation', '554 Poor sender reputation for 192.0.2.20'],
    ['spamdetected', '554 The message was caught by the spam filter', 'data'],
    ['spamdetected', '550 Message contains prohibited content', 'data'],
    // Its fourth wave (MTA texts read from Debian's packages: Exim, sendmail, Courier, Postfix…).
    ['contenterror', '553 Cannot deliver UTF-8 mail to a non-UTF-8 mail server', 'data'],
    ['contenterror', 'message has lines too long for transport: maximum allowed line length is 998 octets', 'data'],
    ['mailererror', 'mailer procmail died with signal 11'],
    ['mailererror', 'pipe delivery process timed out after 60s'],
    ['failedstarttls', '454 TLS currently unavailable', 'starttls'],
    ['networkerror', 'all host address lookups for example.org failed temporarily'],
    ['notcompliantrfc', '550 No verifiable sender address in message headers', 'data'],
    ['rejected', '550 sender envelope address bob@example.net is locally blacklisted here', 'mail'],
    ['requireptr', '450 No DNS entries for your MTA, HELO and domain'],
    ['securityerror', '530 5.7.0 Must issue an AUTH command first', 'mail'],
    ['syntaxerror', '554 5.5.0 Error: SMTP protocol synchronization'],
    ['systemerror', '421 mx.example.org: system load too high, please try again later', 'banner'],
    ['systemfull', '452 Space shortage, please try later', 'mail'],
    ['expired', 'Warning: your message has been delayed for more than 4 hours'],
    // Its sixth wave (more MTA, delivery-agent and filter texts from Debian's packages).
    ['failedstarttls', 'delivery deferred: STARTTLS not available: the server does not support STARTTLS'],
    ['failedstarttls', 'TLS failed: the peer did not provide a certificate'],
    ['notcompliantrfc', '550 5.0.0 The message does not have exactly one From header', 'data'],
    ['securityerror', 'msmtp: the server does not support authentication'],
    ['mailererror', 'delivery failed: MDA returned non-zero status 1'],
    ['hasmoved', '451 4.2.1 Mailbox has moved to another server', 'rcpt'],
    ['toomanyconn', '452 Sorry, I do not accept more than 50 RCPTs', 'rcpt'],
    ['networkerror', '417 DNS lookup on HELO mx.example.org failed, try again later', 'ehlo'],
    ['systemerror', '451 4.7.0 DKIM signing error, try later', 'data'],
    ['policyviolation', '554 5.7.0 Reject, id=777-03 - UNCHECKED: encrypted archive', 'data'],
    ['filtered', '412 You are not whitelisted by this recipient', 'rcpt'],
    // Its fifth wave: the shipped localized texts of mail clients and list managers, placeholders
    // read as any value (another server name, sender, size).
    ['networkerror', 'Писмото не може да бъде изпратено поради липса на връзка с изходящия (SMTP) mail.example.net сървър. Сървърът вероятно е недостъпен или отхвърля опитите за свързване. Моля, проверете дали настройките му са верни и опитайте отново.'],
    ['rejected', 'El remitent del missatge alice@example.net està vetat a aquesta llista'],
    ['mesgtoobig', 'Памылка STMP: памер ліста перавышае ліміт сервера (25 MB)'],
  ];
  readsByText(cases);
  it('a session transcript\'s markers ("<<< ", "<~ ", "S: ") do not hide the reply\'s codes', () => {
    for (const mark of ['<<< ', '<** ', '<~  ', '<-  ', 'S: ']) {
      const r = classifyReply({ text: `${mark}550-5.1.1 The mailbox\n${mark}550 5.1.1 does not exist here` });
      expect(r).toMatchObject({ reason: 'userunknown' });
      expect(r.evidence.enhanced?.code).toBe('5.1.1');
    }
  });
  it('keeps the new generic classes to what they say: a permanent DNS failure stays an unknown host, a busy server is no send-only address', () => {
    expect(classifyReply({ text: '550 5.1.2 <bob@example.invalid>: Host not found: DNS failure' }).reason).toBe('hostunknown');
    expect(classifyReply({ text: '550 Host unknown: DNS failure for example.invalid' }).reason).toBe('hostunknown');
    expect(classifyReply({ text: '451 4.3.2 This server cannot accept incoming mail right now, try later' }).reason).not.toBe('notaccept');
  });
  it('a filter that did not answer is a server problem, not a virus; a found virus still is one', () => {
    expect(classifyReply({ text: '450 Virus scanner timed out' }).reason).toBe('systemerror');
    expect(classifyReply({ text: '554 5.7.1 Virus found in attachment' }).reason).toBe('virusdetected');
  });
});

// Classes the fourth training round (train-round4.tsv: issue threads, bounce-parser test fixtures,
// help pages in other languages, providers' and vendors' pages) showed; our own wordings.
describe('classes read from the fourth training round', () => {
  const cases: [string, string, string?][] = [
    ['blocked', '550 Your server 192.0.2.7 is blocked from sending to us'],
    ['spamdetected', '554 5.7.1 Rejected by the phrase filter', 'data'],
    ['spamdetected', '553 5.7.3 CONTENT REJECT: dspam check failed', 'data'],
    ['speeding', '452 4.2.2 You have sent too many messages from this IP in the last 30 minutes'],
    ['badreputation', '451 4.7.1 Too many messages from a new or untrusted IP address: 192.0.2.7'],
    ['policyviolation', '450 4.7.1 This account may send only within its own domain'],
    ['rejected', '553 5.7.1 The sender address does not match the authenticated user'],
    ['rejected', 'Absender und angemeldeter Benutzer müssen identisch sein'],
    ['syntaxerror', '421 4.7.0 Too many invalid commands, closing'],
    ['systemerror', '451 4.3.0 Spool failure, please retry later', 'data'],
    ['rejected', '553 Domain name required for sender address', 'mail'],
    ['rejected', '553 <bob> Invalid email address', 'mail'],
    ['mesgtoobig', 'Your message wasn\'t delivered to any recipients because it\'s too large. The limit is 10 MB.'],
    ['mesgtoobig', '550 5.2.3 RESOLVER.RST.SendSizeLimit.Org; message too large for this organization'],
    ['badreputation', '550 Message refused due to sending IP reputation'],
    ['authfailure', '550 5.7.1 Mail from example.org via 192.0.2.7: SPF result: fail'],
    ['blocked', '550 5.7.0 HELO argument must be a fully qualified domain name', 'ehlo'],
    ['failedstarttls', '530 5.7.0 Mail over IPv6 must be sent with encryption'],
    ['requireptr', '550 5.7.25 Your IPv6 address has no reverse lookup name'],
    ['norelaying', '553 Sorry, that domain is not in my list of rcpthosts', 'rcpt'],
    ['policyviolation', '554 Banned name in message to bob@example.org', 'data'],
    ['policyviolation', '550 The file type of the attachment (.exe) was refused for security reasons, malware risk', 'data'],
    ['userunknown', '550 <bob@example.org> Recipient rejected', 'rcpt'],
    ['userunknown', 'User unkown'],
    ['hostunknown', 'Host unknow'],
    ['networkerror', 'dial tcp: lookup mx.example.org on 192.0.2.53:53: read udp: i/o timeout'],
    ['failedstarttls', 'authentication failure [SMTP: STARTTLS failed (code: 220, response: 2.0.0 Ready to start TLS)]'],
    // Its second wave: MTA, filter and delivery-agent texts and mail clients' send errors read from
    // Debian's packages (qpsmtpd, Mail::SPF, Courier::Filter, MIMEDefang, maildrop, fetchmail,
    // Python's smtplib, Evolution, Mutt, Sylpheed, Git…).
    ['authfailure', 'Maximum void DNS look-ups limit (2) exceeded', 'mail'],
    ['authfailure', 'example.org: Mechanism \'-all\' matched', 'mail'],
    ['badreputation', 'You were naughty. You cannot connect for 2 more hours.', 'banner'],
    ['blocked', '451 Blackholed - see http://dnsbl.example.net/lookup?192.0.2.9', 'rcpt'],
    ['blocked', '550 HELO host name does not exist', 'ehlo'],
    ['contenterror', 'SMTPUTF8 is not supported by this server', 'mail'],
    ['exceedlimit', '554 5.7.1 Too many MIME parts in this message', 'data'],
    ['mailererror', 'maildrop: error writing to mailbox.'],
    ['mailererror', 'Error sending message, child exited 70 (Internal error.).'],
    ['notcompliantrfc', 'Unparseable "Date" header detected', 'data'],
    ['policyviolation', 'Parts: executable content detected', 'data'],
    ['securityerror', 'No suitable authentication method found.'],
    ['securityerror', 'The SMTP server does not support LOGIN authentication'],
    ['userunknown', 'SMTP listener rejected local recipient addresses: bob@example.org', 'rcpt'],
    ['hasmoved', '551 User not local; please try <bob@example.net>', 'rcpt'],
    ['networkerror', 'Can\'t connect to SMTP server: mail.example.org:587'],
    ['networkerror', '451 temporary RBL lookup error', 'rcpt'],
    ['failedstarttls', 'Could not negotiate TLS connection'],
    ['syntaxerror', 'Stop wasting my time, too many consecutive NOOPs'],
    ['rejected', 'MAIL FROM command failed: Requested action not taken: mailbox name not allowed'],
    ['mailboxfull', 'DATA command failed: Requested mail action aborted: exceeded storage allocation'],
    ['speeding', 'You are not allowed to send messages to more than 200 recipients within 12 hours.'],
    ['toomanyconn', 'You are not allowed to send messages to more than 20 recipients.'],
    // Its third wave (vendors' and providers' documentation).
    ['hostunknown', '550 No MX for bob@example.invalid', 'rcpt'],
    ['rejected', '550 Your domain has no DNS/MX entries', 'mail'],
    ['rejected', '451 Could not resolve sender domain example.invalid'],
    ['rejected', '554 5.7.1 <bob@example.org>: Recipient address rejected: Policy rejection due to null sender', 'rcpt'],
    ['norelaying', 'The domain is not allowed to send.'],
    // Its fourth wave: the errors of mail-sending libraries (PHPMailer, PEAR Mail, Net_SMTP,
    // Symfony/Swift Mailer, nodemailer, JavaMail, aiosmtplib, Email::Sender, Go, curl).
    ['networkerror', 'SMTP Error: Could not connect to SMTP host.'],
    ['networkerror', 'Greeting never received'],
    ['networkerror', 'Couldn\'t connect to host, port: mail.example.net, 465; timeout -1'],
    ['mailererror', 'Could not instantiate mail function.'],
    ['mailererror', 'Sendmail exited with code 1'],
    ['rejected', 'The following From address failed: alice@example.org'],
    ['failedstarttls', 'Unable to connect with STARTTLS.'],
    ['securityerror', 'Failed to find an authenticator supported by the SMTP server'],
    ['syntaxerror', 'smtp: A line must not contain CR or LF'],
    ['notcompliantrfc', 'Invalid header name or value'],
    // A library's wrapper yields to the server's reply it carries.
    ['securityerror', 'Mail command failed: 530 5.7.0 Authentication Required'],
    // Localized templates, placeholders read as other values.
    ['mailboxfull', 'bob: kvot för brevlåda överstigen för denna mottagare'],
    ['networkerror', 'Kan niet verbinden met de SMTP-server: mail.example.net:25'],
    ['networkerror', 'SMTP-Fehler: Konnte keine Verbindung zum SMTP-Host herstellen.'],
    ['mailererror', 'Impossibile eseguire l\'operazione: /usr/lib/sendmail -oi -t'],
  ];
  readsByText(cases);
  it('a success code quoted inside a failure is not read as a positive reply', () => {
    expect(classifyReply({ text: 'STARTTLS failed (response: 2.0.0 Ready to start TLS)' }).evidence.decidedBy).not.toBe('positive');
    expect(classifyReply({ text: '250 2.0.0 Ok: queued as 4711' }).evidence.decidedBy).toBe('positive');
  });
  it('an unknown user at MAIL FROM is the sender\'s, whichever rule reads it', () => {
    expect(classifyReply({ text: '550 No such user here', stage: 'mail' }).reason).toBe('rejected');
    expect(classifyReply({ text: '550 No such user here', stage: 'rcpt' }).reason).toBe('userunknown');
  });
  it('a delivery program\'s "command failed" is not an SMTP client\'s "MAIL FROM command failed"', () => {
    expect(classifyReply({ text: 'Command failed: /usr/bin/procmail exited 75' }).reason).toBe('mailererror');
    expect(classifyReply({ text: 'RCPT TO command failed: Requested action not taken: mailbox unavailable', stage: 'rcpt' }).reason).not.toBe('mailererror');
  });
  it('Cox\'s block for bad commands from an address stays a block; bad commands alone are a protocol error', () => {
    expect(classifyReply({ text: '550 5.7.1 cox too many bad commands from 192.0.2.1' }).reason).toBe('blocked');
    expect(classifyReply({ text: '421 4.7.0 Too many bad commands' }).reason).toBe('syntaxerror');
  });
});

describe('an address code yields to text that states another reason', () => {
  const cases: [string, string, string?][] = [
    ['mailboxfull', '550 5.1.1 <u@example.jp>: Mailbox full'],
    ['suspend', '550 5.1.1 <u@example.jp>: Account disabled'],
    ['blocked', '550 5.1.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org'],
    ['mailboxfull', '452 4.1.1 <u@example.jp>: mailbox is over quota'],
    ['userunknown', '550 5.1.2 Mailbox does not exist', 'rcpt'],
    // Microsoft 365 sends X.1.10 (null MX) for a recipient its directory does not hold.
    ['userunknown', '550 5.1.10 Recipient not found'],
    ['mailboxfull', '550 5.1.10 mailbox full'],
  ];
  for (const [reason, text, stage] of cases) {
    it(`${reason}: ${text}`, () => {
      const r = classifyReply(stage ? { text, stage } : { text });
      expect(r.reason).toBe(reason);
      expect(r.evidence.decidedBy).toBe('pattern');
    });
  }
  it('but not to a weak cue, a concept rule or a reason it does not give way to', () => {
    expect(classifyReply({ text: '550 5.1.1 <u@example.jp>: User unknown. Giving up on 192.0.2.1' }).reason).toBe('userunknown');
    expect(classifyReply({ text: '550 5.1.1 the addressee was deactivated' }).reason).toBe('userunknown');
    expect(classifyReply({ text: '550 5.1.1 Service unavailable' }).reason).toBe('userunknown');
    // Without the RCPT stage, X.1.2 keeps its own reading.
    expect(classifyReply({ text: '550 5.1.2 Mailbox does not exist' }).reason).toBe('hostunknown');
    // X.1.10 keeps its own reading for a domain that takes no mail, or no wording at all.
    expect(classifyReply({ text: '550 5.1.10 Domain does not accept mail' }).reason).toBe('notaccept');
    expect(classifyReply({ text: '550 5.1.10 Requested action not taken' }).reason).toBe('notaccept');
  });
});
