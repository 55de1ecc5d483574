// Classes of reply text that recognition must read whatever the instance: pasted DSN fields
// (RFC 3464 Diagnostic-Code / Status, quoted and '#'-prefixed code pairs), weak cues in any
// language never outranking a strong enhanced code (fast-check), the 14-language notices of the
// corpus all right, CJK phrases inside longer runs, Turkish capitals, Postfix's "too many errors"
// as a connection limit, mail-server log lines of many MTAs and filters read as the reason they
// record, and bounce prose that states its cause.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../helpers/cli.js';
import { classifyReply, parseReplyText, type Reason } from '../../../src/catalog/match-text.js';

describe('pasted DSN paragraphs and log lines: the codes are found where they sit', () => {
  const cases: [string, number | undefined, string | undefined][] = [
    ["Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'", 550, '5.1.1'],
    ['#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##', 550, '5.1.1'],
    ['Diagnostic-Code: smtp;552 5.2.2 Over quota', 552, '5.2.2'],
    ['Final-Recipient: rfc822; bob@example.com\nAction: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 550 sorry', 550, '5.2.2'],
    ['Action: delayed Status: 4.4.7 Diagnostic-Code: X-Postfix; delivery temporarily suspended', undefined, '4.4.7'],
    // A status of another class than the reply's code is not taken as its enhanced code.
    ['Status: 4.2.2 Diagnostic-Code: smtp; 550 no', 550, undefined],
    // Exim quotes a bare reply after the command it answered; a port or a time is no code.
    ['SMTP error from remote mail server after MAIL FROM:<alice@example.org> SIZE=1234: 553 sorry, that domain isn\'t allowed', 553, undefined],
    ['connect to mx.example.com[192.0.2.1]:25: Connection refused', undefined, undefined],
    ['Dec  7 01:23:45 mx postfix/smtp[123]: deferred', undefined, undefined],
  ];
  for (const [text, code, enhanced] of cases) {
    it(text.slice(0, 60), () => {
      const p = parseReplyText({ text });
      expect(p.code).toBe(code);
      expect(p.enhanced).toBe(enhanced);
    });
  }

  it("reads Exim's 'after MAIL FROM' reply as a refused sender (code and stage from the log line)", () => {
    const c = classifyReply({ text: "SMTP error from remote mail server after MAIL FROM:<alice@example.org> SIZE=1234: 553 sorry, that domain isn't allowed" });
    expect(c.reason).toBe('rejected');
    expect(c.evidence.basic).toEqual({ code: 553, stage: 'mail', reason: 'rejected' });
  });

  it("reads Exim's one-line sender verification failure as a refused sender, at any stage it is pasted with", () => {
    for (const text of ['550 Verification failed for <alice@example.org>', 'Verification failed for <bob@mail.example.net>', '451 Verification failed for <a@b.example>']) {
      const c = classifyReply({ text });
      expect(c.reason, text).toBe('rejected');
      expect(c.evidence.patterns.map((x) => x.id), text).toContain('exim.sender-verify');
    }
    // A DMARC verification failure is not a sender verification.
    expect(classifyReply({ text: '550 5.7.1 DMARC verification failed for example.org' }).reason).not.toBe('rejected');
  });

  it('decides a DSN whose only evidence is the Status field from that field', () => {
    const c = classifyReply({ text: 'Action: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 550 sorry' });
    expect(c.reason).toBe('mailboxfull');
    expect(c.evidence.decidedBy).toBe('enhanced');
    expect(c.inferred).toBe(true);
  });
});

describe('precedence over weak cues in any language (property)', () => {
  const strong: [string, Reason][] = [
    ['550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown', 'userunknown'],
    ['550 5.1.1 sorry', 'userunknown'],
    ['452 4.2.2 Mailbox full', 'mailboxfull'],
    ['552 5.2.2 sorry', 'mailboxfull'],
    ['552 5.2.3 Message length exceeds administrative limit', 'exceedlimit'],
    ['552 5.3.4 Message size exceeds fixed maximum message size', 'mesgtoobig'],
    ['550 5.2.1 Mailbox disabled, not accepting messages', 'suspend'],
  ];
  const weak = [
    'Giving up on 192.0.2.1.',
    'This message has been in the queue too long.',
    'Delivery to the following recipients has been delayed.',
    'THIS IS A WARNING ONLY. YOU DO NOT NEED TO RESEND YOUR MESSAGE. Your message could not be delivered for 4.0 hour(s).',
    'Die Zustellung Ihrer Nachricht hat sich verzögert.',
    'La remise de votre message a été retardée.',
    'Доставка вашего сообщения задерживается.',
    'メッセージの配信が遅延しています。',
    '邮件投递延迟。',
    'Việc gửi thư của bạn đã bị trì hoãn.',
    'Η παράδοση του μηνύματός σας καθυστερεί.',
  ];
  // Network failures before or after the reply weigh less than its strong code too.
  const noise = [...weak, 'connect to mx.example.com[192.0.2.1]:25: Connection timed out', 'Connection reset by peer'];
  it('a strong reply keeps its reason whatever weak cues surround it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...strong), fc.array(fc.constantFrom(...noise), { maxLength: 3 }), fc.array(fc.constantFrom(...noise), { maxLength: 3 }), ([reply, reason], before, after) => {
        const c = classifyReply({ text: [...before, reply, ...after].join(' ') });
        expect(c.reason).toBe(reason);
      }),
      { numRuns: 200 },
    );
  });

  it('a weak cue alone still names the expiry, with its pattern as evidence', () => {
    for (const w of weak.slice(2)) {
      const c = classifyReply({ text: w });
      expect(c.reason, w).toBe('expired');
      expect(c.evidence.patterns.some((p) => p.weak), w).toBe(true);
    }
  });
});

describe('other languages', () => {
  const rows = readFileSync(join(ROOT, 'fixtures', 'replies', 'train.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t'))
    // eslint-disable-next-line no-control-regex
    .filter((f) => /[^\u0000-\u024f]/.test(f[4] ?? ''));

  it('every non-Latin-script line of the corpus is read right (14 languages, six notices)', () => {
    expect(rows.length).toBeGreaterThanOrEqual(60);
    const wrong = rows.filter((f) => classifyReply({ text: (f[4] ?? '').replace(/\\n/g, '\n') }).reason !== f[0]).map((f) => `${f[0]}: ${f[4]}`);
    expect(wrong).toEqual([]);
  });

  it('finds Japanese and Chinese phrases inside a longer run of characters (no word boundaries)', () => {
    expect(classifyReply({ text: '送信先のメールボックスがいっぱいのため配信できませんでした' }).reason).toBe('mailboxfull');
    expect(classifyReply({ text: '此邮件太大无法投递' }).reason).toBe('mesgtoobig');
    expect(classifyReply({ text: '系统找不到该地址请检查' }).reason).toBe('userunknown');
  });

  it('reads decomposed accents (NFD) like composed ones; every pattern is written composed (NFC)', () => {
    expect(classifyReply({ text: 'Hộp thư của người nhận đã đầy'.normalize('NFD') }).reason).toBe('mailboxfull');
    expect(classifyReply({ text: 'La boîte aux lettres du destinataire est pleine'.normalize('NFD') }).reason).toBe('mailboxfull');
    const data = JSON.parse(readFileSync(join(ROOT, 'data', 'reply-patterns.json'), 'utf8')) as { patterns: { id: string; match: string[]; all?: string[]; not?: string[] }[] };
    const notNfc = data.patterns.flatMap((p) => [...p.match, ...(p.all ?? []), ...(p.not ?? [])].filter((s) => s.normalize('NFC') !== s).map((s) => `${p.id}: ${s}`));
    expect(notNfc).toEqual([]);
  });

  it('reads Turkish capitals (dotted İ) as the same words', () => {
    expect(classifyReply({ text: 'İLETİ ÇOK BÜYÜK' }).reason).toBe('mesgtoobig');
    expect(classifyReply({ text: 'ALICI BULUNAMADI' }).reason).toBe('userunknown');
  });
});

describe('plain network failures stay network errors', () => {
  // A confident "your IP is blocked" (or "expired") for a connection that failed is the worst
  // kind of wrong answer: only a text that names a block or an expiry says so.
  const plain = [
    'lost connection with mx.example.com[192.0.2.1] while receiving the initial server greeting: Connection reset by peer',
    'Connection refused by mx.example.com',
    'Connection dropped by remote host',
    'connect to mx.example.com[192.0.2.1]:25: Connection timed out',
    'Deferred: Connection timed out with mx.example.com.',
    'Deferred: Connection refused by mx.example.com.',
    'SMTP error from remote mail server after initial connection: Connection reset by peer',
  ];
  for (const text of plain) {
    it(text.slice(0, 70), () => {
      expect(classifyReply({ text }).reason).toBe('networkerror');
    });
  }
  it('a block named in the text, or an expiry, still decides', () => {
    expect(classifyReply({ text: 'Connection refused: your IP 192.0.2.1 is blacklisted' }).reason).toBe('blocked');
    expect(classifyReply({ text: 'connect to mx.example.com[192.0.2.1]:25: Connection timed out; retry timeout exceeded' }).reason).toBe('expired');
  });
});

describe("Postfix's 421 '… Error: too many errors'", () => {
  it('is a per-connection limit (toomanyconn), decided by its pattern over the X.7.0 prior', () => {
    for (const text of ['421 4.7.0 mx.example.com Error: too many errors', '421 mx.example.com Error: too many errors']) {
      const c = classifyReply({ text, stage: 'rcpt' });
      expect(c.reason).toBe('toomanyconn');
      expect(c.patternId).toBe('postfix.too-many-errors');
      expect(c.permanent).toBe(false);
    }
  });
});

describe('what a notice states outranks what it only names', () => {
  const cases: [Reason, string][] = [
    // Gmail's notice is titled "Address not found" whatever the cause; its sentence says which.
    ['notaccept', "Address not found. Your message wasn't delivered to carol@example.org because the domain example.org doesn't receive email. The domain has published a null MX record."],
    ['hostunknown', "Address not found. Your message wasn't delivered to carol@example.org because the domain example.org couldn't be found."],
    // qmail writes its code as "(#5.1.1)": a code, which yields to a stated full mailbox.
    ['mailboxfull', '<carol@example.org>: mailbox over quota (#5.1.1)'],
    ['userunknown', '<carol@example.org>: no such user here (#5.1.1)'],
    // An access map's own words after Postfix's "Sender address rejected:".
    ['speeding', '450 4.7.1 <dave@example.net>: Sender address rejected: rate limit exceeded (300 per hour)'],
    // An expiry after days of retries outranks the last temporary error it quotes.
    ['expired', 'Delivery to carol@example.org failed after 4 days of retries and the message was removed from the queue. Last error: 451 Temporary local problem'],
    ['filtered', '550 Your mail was refused by the recipient because of their privacy settings'],
    // The sending system's own DKIM signing failure is its error, not a failed check.
    ['systemerror', '451 4.7.0 DKIM signing failed, try again later'],
    // SPF/DKIM/DMARC named outrank the authentication requirement around them, in any language.
    ['authfailure', "Message refusé : il ne satisfait pas aux exigences d'authentification de l'expéditeur (SPF, DKIM)."],
    ['authfailure', 'Mensaje no entregado: no cumple los requisitos de autenticación (DMARC) del dominio.'],
    // Gmail's connect notice carries the cause per host in brackets: a failed TLS negotiation.
    ['failedstarttls', 'The recipient server did not accept our requests to connect. [mx.example.org. 192.0.2.7: TLS Negotiation failed, the certificate doesn\'t match the host.]'],
    ['speeding', '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message'],
    ['norelaying', '550 Delivery is not allowed to this address.'],
  ];
  readsAs(cases);
});

/** One test per case: the text is read as the reason. */
function readsAs(cases: [Reason, string][]): void {
  for (const [reason, text] of cases) {
    it(`${reason}: ${text.slice(0, 70)}`, () => {
      expect(classifyReply({ text }).reason).toBe(reason);
    });
  }
}

describe('mail-server log lines: what the server recorded, read as the reason it states', () => {
  readsAs([
    // How a log line is read: qmail-send's underscores are spaces, a dsn= field is the enhanced code, Sendmail's
    // check and Courier's fields name the stage.
    ['userunknown', 'qmail: 1700000000.1 delivery 12: failure: Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/'],
    ['networkerror', 'qmail: 1700000000.1 delivery 7: deferral: Sorry,_I_wasn\'t_able_to_establish_an_SMTP_connection._(#4.4.1)/'],
    ['mailboxfull', 'delivery 3: failure: 198.51.100.7_does_not_like_recipient./Remote_host_said:_552_5.2.2_Mailbox_full/Giving_up_on_198.51.100.7./'],
    ['mailboxfull', 'sm-mta[5]: x1: to=<b@example.net>, delay=00:00:01, mailer=local, dsn=5.2.2, stat=Service unavailable'],
    ['rejected', 'sm-mta[5]: x1: ruleset=check_mail, arg1=<a@example.com>, relay=[203.0.113.9], reject=550 5.7.1 <a@example.com>... Access denied'],
    ['rejected', 'courieresmtpd: error,relay=::ffff:203.0.113.9,from=<a@nowhere.example>: 517-Domain does not exist: nowhere.example.'],
    // The client's reverse DNS, as the receiving server logs it.
    ['requireptr', 'postfix/smtpd[88]: warning: hostname mail.example.net does not resolve to address 203.0.113.9'],
    ['requireptr', 'exim[42]: no host name found for IP address 203.0.113.9'],
    ['requireptr', 'SMTP Server [0A1B:0004-0567] Connection from [203.0.113.9] rejected for policy reasons. Host name not found in DNS'],
    // Protocol errors that end a session.
    ['syntaxerror', 'postfix/smtpd[88]: improper command pipelining after HELO from unknown[203.0.113.9]: MAIL FROM:<a@example.com>'],
    ['syntaxerror', 'SMTP connection from [203.0.113.9] dropped: too many syntax or protocol errors (last command was "AUTH LOGIN")'],
    ['syntaxerror', '502 5.5.1 EXPN command is disabled'],
    ['syntaxerror', '[Worker_2] 203.0.113.9 <a@example.com> Invalid SMTP command: XYZZY'],
    ['syntaxerror', '503 RCPT command expected'],
    // Filters' verdict words, and refusals named without a code of their own.
    ['blocked', 'spamdyke[77]: DENIED_RBL_MATCH from: a@example.com to: b@example.net origin_ip: 203.0.113.9 origin_rdns: host.example.net'],
    ['requireptr', 'spamdyke[77]: DENIED_RDNS_MISSING from: a@example.com to: b@example.net origin_ip: 203.0.113.9 origin_rdns: (unknown)'],
    ['greylisted', 'spamdyke[77]: DENIED_GRAYLISTED from: a@example.com to: b@example.net origin_ip: 203.0.113.9'],
    ['policyviolation', 'amavis[9]: (09-02) Blocked BANNED (application/x-msdownload,.exe,setup.exe) {RejectedInbound}, [203.0.113.9] <a@example.com> -> <b@example.net>'],
    ['virusdetected', 'clamd[9]: /var/tmp/clamav/msg.1: Win.Test.EICAR_HDB-1 FOUND'],
    ['networkerror', 'clamav-milter[12]: lookup of mx.example.net failed: host not found'],
    ['spamdetected', 'Milter: data, reject=554 5.7.1 Rejected by content filter'],
    ['blocked', 'H=(helo.example) [203.0.113.9] rejected connection in "connect" ACL'],
    ['speeding', 'H=(helo.example) [203.0.113.9] F=<a@example.com> Warning: Sender rate 312.4 / 1h'],
    ['norelaying', 'Relay attempt from IP address 203.0.113.9, mail from <a@example.com> to <b@example.net> rejected'],
    ['authfailure', '550 5.7.1 <b@example.net>: Recipient address rejected: Please see http://www.openspf.net/Why?s=mfrom;id=a@example.com;ip=203.0.113.9'],
    ['norelaying', 'SMTP Server: Unable to send to b@example.net because of relay restrictions'],
    ['rejected', 'SMTP Server: Message 0A1B (MessageID: <x@example.com>) rejected for policy reasons. Sender domain is in the Denied list.'],
    ['blocked', 'SMTP Server: Connection from 203.0.113.9 rejected for policy reasons. Connecting host is in the Denied Connections list.'],
    ['blocked', '550 5.7.1 Mail refused - <203.0.113.9> - See http://www.dnsbl.example.net/lookup?ip=203.0.113.9'],
    ['notcompliantrfc', '[Worker_3] 203.0.113.9 [MsgID] Message-ID missing'],
    // A sender on the server's own list is the sender's refusal; a list named by its DNS zone is the IP's.
    ['rejected', 'Sender <a@example.com> is on our blocklist, message rejected'],
    ['rejected', 'Your domain does not have an MX record'],
    ['rejected', 'Unable to verify sender address <a@nowhere.example>'],
    ['blocked', 'The sender is in a black list bl.example.net'],
    ['rejected', 'Message from IP address 203.0.113.9, sender <a@nowhere.example> rejected: sender domain does not exist'],
    ['rejected', '550 The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.'],
    // A login whose user the password database does not know is a failed login, not an unknown recipient.
    ['securityerror', 'dovecot: auth-worker(77): ldap(jo,203.0.113.9): unknown user'],
    ['securityerror', 'postfix/submission/smtpd[88]: too many errors after AUTH from unknown[203.0.113.9]'],
    // …but a recipient lookup that names its table is still an unknown recipient.
    ['userunknown', '550 5.1.1 <b@example.net>: Recipient address rejected: ldap: unknown user'],
    ['securityerror', 'sm-mta[5]: AUTH failure (CRAM-MD5): user not found (-20) SASL(-13): user not found: unable to canonify user, relay=[203.0.113.9]'],
    // The mail system's own faults, and its space; and the network.
    ['systemerror', 'postfix/smtpd[88]: warning: problem talking to server private/policyd-spf: Connection refused'],
    ['systemerror', 'postfix/cleanup[88]: warning: 4F1A2: virtual_alias_maps map lookup problem for b@example.net'],
    ['systemfull', 'sm-mta[5]: low on space (have 12, SMTP-DAEMON needs 101 in /var/spool/mqueue)'],
    ['systemerror', 'postfix/lmtp[9]: 1A2B: to=<b@example.net>, relay=none, delay=3, dsn=4.4.1, status=deferred (connect to mail.example.net[private/dovecot-lmtp]: Connection refused)'],
    ['systemerror', 'dovecot_login authenticator failed for (client) [203.0.113.9]: 435 Unable to authenticate at present: authentication socket connection error'],
    ['systemerror', 'spam acl condition: all spamd servers failed'],
    ['systemerror', 'R=virtual T=virtual_delivery defer (-1): Malformed value "12M" (expansion of "${lookup{$local_part}lsearch{/etc/exim4/quota}}")'],
    ['networkerror', 'SYSERR(root): collect: I/O error on connection from mail.example.net, from=<a@example.com>'],
    ['networkerror', 'Router: No messages transferred to mx.example.net (host mx.example.net) via SMTP: The server is not responding.'],
    ['networkerror', 'courieresmtpd: error,relay=::ffff:203.0.113.9,msg="writev: Broken pipe",cmd: DATA'],
    ['networkerror', 'smtpd[77]: smtp-in: Disconnecting session 1a2b3c: IO error: Connection reset by peer'],
    ['networkerror', 'Error: connect ETIMEDOUT 203.0.113.9:465'],
    // Mailboxes and recipients.
    ['mailboxfull', 'The recipient has exceeded their disk allocation.'],
    ['mailboxfull', 'Your message was not delivered to: b@example.net for the following reason: Unable to deliver the message. The recipient\'s mail file is full.'],
    ['userunknown', 'Final-Recipient: rfc822; b@example.net Action: failed Status: 5.0.0 Diagnostic-Code: smtp; 550 Mailbox not available'],
    ['filtered', 'You do not have permission to send to this recipient. For assistance, contact your system administrator.'],
    ['filtered', 'The recipient is not accepting mail with attachments'],
    // Gateways' verdicts that name a policy, a reputation or a banned word.
    ['policyviolation', "550 5.7.1 Message rejected due to policy - please contact the recipient's email administrator"],
    ['badreputation', '550 Rejected by the gateway: blocked by sender reputation'],
    ['policyviolation', '550 5.7.1 Mail rejected by the filter: BannedWord'],
    ['notcompliantrfc', '550 5.6.0 Line too long (see RFC 5322 2.1.1)'],
    ['notcompliantrfc', '550 5.6.0 Required headers not found (see RFC2822 section 3.6)'],
    ['speeding', '471 4.7.1 <b@example.net>: The limits for your account are exceeded. Please try again later.'],
  ]);

  it('the ACL rule names only a bare refusal: a message after it states the reason', () => {
    const text = 'H=(helo.example) [203.0.113.9] temporarily rejected connection in "connect" ACL: "Host is ratelimited (3.0/1h max:2)"';
    expect(classifyReply({ text }).reason).toBe('speeding');
  });

  it("Oracle Messaging Server's 'unknown or illegal alias' is no iCloud text unless iCloud is named", () => {
    const generic = classifyReply({ text: '550 5.1.1 unknown or illegal alias: b@example.net' });
    expect(generic.reason).toBe('userunknown');
    expect(generic.provider).not.toBe('Apple iCloud');
  });

  it('a content filter that names a policy is the policy', () => {
    expect(classifyReply({ text: '554 5.7.1 Message rejected by content filter: violates the acceptable use policy' }).reason).toBe('policyviolation');
  });

  it("qmail's underscores are read as spaces only in a delivery result", () => {
    expect(parseReplyText({ text: 'delivery 9: failure: Remote_host_said:_550_5.1.1_unknown_user/' }).text).toBe('delivery 9: failure: Remote host said: 550 5.1.1 unknown user');
    expect(parseReplyText({ text: '550 5.1.1 <first_last@example.com>: unknown user' }).text).toContain('first_last@example.com');
  });
});

describe('bounce prose: what the notice states', () => {
  readsAs([
    ['expired', "Your message couldn't be delivered. Despite repeated attempts to contact the recipient's email system, it didn't respond."],
    ['authfailure', "Your message couldn't be delivered because the recipient's email system wasn't able to confirm that your message came from a trusted location."],
    ['rejected', "The group sales doesn't accept messages from people outside the organization."],
    ['filtered', "The message can't be delivered because the sender isn't allowed to send messages to this recipient."],
    ['filtered', 'Your mail to the following recipients could not be delivered because they are not accepting mail from alice@example.org: bob'],
    ['rejected', 'rejected RCPT <b@example.net>: We do not accept mail from alice@example.org'],
    ['mailboxfull', 'Your message to <b@example.net> was automatically rejected: Quota exceeded (mailbox for user is full)'],
    ['filtered', 'Your message to <b@example.net> was automatically rejected: I do not accept messages from this sender'],
    // A recipient's domain that does not exist is the domain's, not the mailbox's, in any language.
    ['hostunknown', 'Le domaine du destinataire est introuvable.'],
    ['hostunknown', 'El dominio del destinatario no existe.'],
    ['hostunknown', 'Il dominio del destinatario non esiste.'],
    // A destination server that does not answer.
    ['networkerror', 'Die Zustellung ist fehlgeschlagen, da der Empfängerserver nicht erreichbar war.'],
    ['networkerror', "Le serveur de destination n'a pas répondu."],
  ]);
});
