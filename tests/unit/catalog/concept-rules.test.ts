// Concept rules (data/reply-concepts.json, src/catalog/concept-rules.ts): two concepts close
// together in one clause, in either order and any language, are evidence for a reason when no
// written pattern is. The texts below are our own paraphrases (no corpus line), each checked to
// be decided by a concept rule, so a broken rule fails here and not only in the accuracy figure.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classifyReply, type Reason } from '../../../src/catalog/match-text.js';
import { anyClose, closePair, CONCEPTS, conceptMatches, type Hit } from '../../../src/catalog/concept-rules.js';
import { D } from '../../../src/catalog/pattern-compiler.js';

/** One test per case: the text is read as the reason, decided by the rule named. */
function decidedBy(cases: [Reason, string, string][]): void {
  for (const [reason, text, id] of cases) {
    it(`${reason}: ${text}`, () => {
      const r = classifyReply({ text });
      expect(r.reason).toBe(reason);
      expect(r.patternId).toBe(id);
    });
  }
}

// First in the file, before any other text has met these rules in this process.
describe('concept rules: an answer never depends on the texts read before it', () => {
  it('two rules of one priority are ranked by their place in the data, whichever was met first', () => {
    const both = 'the addressee was deactivated and could not be found';
    expect(classifyReply({ text: 'the addressee was deactivated' }).reason).toBe('suspend');
    const r = classifyReply({ text: both });
    // (A weak single-word cue, "deactivated", is listed too but does not take part in the ranking.)
    expect(r.evidence.patterns.filter((p) => !p.weak).map((p) => p.id)).toEqual(['concept.userunknown', 'concept.suspend']);
    expect(r.reason).toBe('userunknown');
  });
});

describe('concept rules: data', () => {
  const names = new Set(Object.keys(CONCEPTS.concepts));
  it('every rule names known concepts and a known reason', () => {
    for (const r of CONCEPTS.rules) {
      for (const n of r.near) expect(names.has(n), `${r.id}: ${n}`).toBe(true);
      expect(Object.keys(D.reasons), r.id).toContain(r.reason);
    }
  });
  it('every concept has English words and is used by a rule', () => {
    const used = new Set(CONCEPTS.rules.flatMap((r) => r.near));
    for (const n of names) {
      expect(CONCEPTS.concepts[n]?.en?.length ?? 0, n).toBeGreaterThan(0);
      expect(used.has(n), `${n} is used`).toBe(true);
    }
  });
  it('weighs below every written pattern', () => {
    const lowest = Math.min(...D.patterns.map((p) => p.priority ?? 30));
    for (const r of CONCEPTS.rules) expect(r.priority, r.id).toBeLessThan(lowest);
  });
});

describe('concept rules: paraphrases in any word order and language', () => {
  const cases: [Reason, string][] = [
    ['userunknown', 'Sorry, that e-mail address is not valid any more'],
    ['userunknown', '550 the addressee could not be found'],
    ['mailboxfull', "The recipient's inbox has no space for new messages"],
    ['mesgtoobig', 'Your message is bigger than the receiving server allows'],
    ['mesgtoobig', 'Your mail is larger than we accept'],
    ['hostunknown', 'The domain name of the recipient could not be found'],
    // German: an inflected stem (unbekannt*) and a compound (*adresse).
    ['userunknown', 'Der Empfänger ist uns leider unbekannt'],
    ['userunknown', 'Die Empfängeradresse ist hier nicht vorhanden'],
    ['mailboxfull', "La boîte de réception du destinataire n'a plus de place, elle est pleine"],
    ['userunknown', 'El destinatario que escribió no existe en este servidor'],
    ['mailboxfull', 'Skrzynka pocztowa adresata została przepełniona'],
    // Unspaced scripts: found anywhere in the run.
    ['userunknown', '该收件人在本系统中并不存在'],
    ['mailboxfull', '宛先のメールボックスは容量がいっぱいです'],
    ['networkerror', 'Die Verbindung zum Zielserver wurde unterbrochen'],
    ['networkerror', 'Подключение к серверу получателя прервано'],
    // The system's own storage is systemfull, not a user's mailbox.
    ['systemfull', 'Stockage système insuffisant'],
    ['securityerror', '需要身份验证'],
    // A Latin word inside a CJK run is still a word; an IP that is blocked is a block, not a
    // disabled account.
    ['blocked', '您的IP已被封禁'],
    ['blocked', 'Ihre IP-Adresse wurde gesperrt'],
    // The negation first, the noun later (Polish, French).
    ['userunknown', 'Nie można odnaleźć wprowadzonego adresu e-mail.'],
    ['userunknown', 'Aucun utilisateur de ce nom'],
    // Refused by the recipient's own settings (sisimai's filtered), and a policy broken.
    ['filtered', "Message refused by the recipient's custom filter"],
    ['filtered', 'The recipient has chosen not to receive messages from this sender'],
    ['policyviolation', 'Ihre Nachricht verstößt gegen unsere Richtlinien'],
    ['policyviolation', 'Your message violates our acceptable use policy'],
    // Thai is unspaced like CJK; Arabic and Hebrew carry their article as a prefix.
    ['userunknown', 'ไม่พบผู้รับปลายทาง ที่อยู่อีเมลไม่มีอยู่จริง'],
    ['userunknown', 'المستخدم غير موجود'],
    ['userunknown', 'הנמען אינו קיים'],
    ['mailboxfull', 'A címzett postafiókja megtelt'],
    // A group's notice (the group may not exist, or you may not post) is a refusal of the sender,
    // as Google Groups' notice is read, not an unknown person; the permission may come first.
    ['rejected', 'Die Gruppe, die Sie kontaktieren wollten, existiert nicht.'],
    ['rejected', 'У вас нет разрешения на отправку сообщений в эту группу.'],
    ['rejected', 'Δεν έχετε άδεια να δημοσιεύετε μηνύματα σε αυτήν την ομάδα.'],
    ['rejected', 'گروهی که سعی کردید با آن تماس بگیرید وجود ندارد.'],
  ];
  for (const [reason, text] of cases) {
    it(`${reason}: ${text}`, () => {
      const r = classifyReply({ text });
      expect(r.reason).toBe(reason);
      expect(r.patternId).toMatch(/^concept\./);
      expect(r.evidence.decidedBy).toBe('pattern');
      expect(r.inferred).toBe(false);
    });
  }
});

describe('concept rules: what they do not read', () => {
  it('never across a sentence end', () => {
    expect(classifyReply({ text: 'Your account is ready. Unknown command' }).reason).toBe('undefined');
    expect(conceptMatches('your account is ready. unknown command').map((r) => r.id)).not.toContain('concept.userunknown');
    // A dot inside an address or host name is not a sentence end.
    expect(conceptMatches('user bob@example.com is unknown').map((r) => r.id)).toContain('concept.userunknown');
  });
  it('not from words inside a URL or a mail address', () => {
    expect(conceptMatches('550 see http://mail.example.com/help/help_spam_16.htm?ip=192.0.2.1').map((r) => r.id)).toEqual([]);
    expect(conceptMatches('550 rejected: spam-trap@example.com').map((r) => r.id)).toEqual([]);
    expect(conceptMatches('550 rejected as spam, see https://example.com/').map((r) => r.id)).toContain('concept.spamdetected');
  });
  it('not when the two concepts stand too far apart in the clause', () => {
    const far = 'the user has written a very long and rambling sentence that eventually says unknown';
    expect(conceptMatches(far).map((r) => r.id)).not.toContain('concept.userunknown');
  });
  it('a word inside a longer word is not the word ("mail" in "mailbox")', () => {
    expect(conceptMatches('mailbox bigger than').map((r) => r.id)).not.toContain('concept.mesgtoobig');
    expect(conceptMatches('mail bigger than').map((r) => r.id)).toContain('concept.mesgtoobig');
  });
  it('a written pattern outranks a concept rule, and the rule is not even weighed', () => {
    const r = classifyReply({ text: 'Relay access denied for unknown user' });
    expect(r.reason).toBe('norelaying');
    expect(r.evidence.patterns.some((p) => p.id.startsWith('concept.'))).toBe(false);
  });
  it('a strong enhanced code outranks a concept rule that names another reason', () => {
    const r = classifyReply({ text: '552 5.2.2 the addressee could not be found' });
    expect(r.reason).toBe('mailboxfull');
    expect(r.evidence.decidedBy).toBe('enhanced');
    // Like a pattern that cannot outweigh the code, the rule is not weighed at all.
    expect(r.evidence.patterns.map((p) => p.id)).not.toContain('concept.userunknown');
    // A rule that agrees with the code is weighed: the reason is then read from the text.
    const agree = classifyReply({ text: '550 5.1.1 the addressee could not be found' });
    expect(agree.reason).toBe('userunknown');
    expect(agree.inferred).toBe(false);
  });
  it('a concept naming why outranks a generic path reason that says how the attempt ended', () => {
    const r = classifyReply({ text: '550 5.7.1 Connection refused: sending server is listed' });
    expect(r.reason).toBe('blocked');
    expect(r.patternId).toMatch(/^concept\./);
    expect(classifyReply({ text: 'Connection refused' }).reason).toBe('networkerror');
    expect(classifyReply({ text: 'Connection reset; the addressee could not be found' }).reason).toBe('userunknown');
  });
  it('the framing of a bounce is no evidence: Exim\'s "SMTP error from remote mail server" is not a system error', () => {
    const r = classifyReply({ text: "SMTP error from remote mail server after MAIL FROM:<alice@example.org> SIZE=1234: 553 sorry, that domain isn't allowed" });
    expect(r.reason).toBe('rejected');
    expect(classifyReply({ text: 'Operating system error' }).reason).toBe('undefined');
  });
  it('a weak queue trailer does not outrank a concept rule', () => {
    const r = classifyReply({ text: 'Der Empfänger ist uns leider unbekannt. Giving up on 192.0.2.1.' });
    expect(r.reason).toBe('userunknown');
  });
});

describe('concept rules: a term that holds a word of the other concept states both', () => {
  // "连接失败" (connection failed) is a term of `broken` that holds "连接" (connection); the same
  // for Vietnamese "mất kết nối" (connection lost) and "kết nối".
  for (const text of ['邮件服务器连接失败。', 'Mất kết nối tới máy chủ thư']) {
    it(text, () => {
      const r = classifyReply({ text });
      expect(r.reason).toBe('networkerror');
      expect(r.patternId).toBe('concept.networkerror');
    });
  }
});

// One word that says what the trouble is (TLS, a login, a quota, a disabled account, DNS, too
// large, blocked) is weak evidence: it decides only when no pattern, no two-concept rule and no
// strong code does, and it is named as the rule that decided.
describe('concept rules: single-word evidence is weak', () => {
  const cases: [Reason, string, string][] = [
    ['failedstarttls', "The server's TLS setup is not usable", 'concept.tls'],
    ['securityerror', 'Your login was not accepted here', 'concept.login'],
    ['mailboxfull', "The recipient's quota is at its end", 'concept.quota'],
    ['mesgtoobig', 'This one is far too large', 'concept.toolarge'],
    ['hostunknown', 'No DNS answer for that name', 'concept.dnsname'],
    ['blocked', 'Sorry, you are banned here', 'concept.block'],
  ];
  decidedBy(cases);
  it('except SPF, DKIM or DMARC named: they say which check failed, above the rules around them', () => {
    const r = classifyReply({ text: 'Rejected: DMARC says reject' });
    expect(r.reason).toBe('authfailure');
    expect(r.patternId).toBe('concept.senderauth');
    expect(r.evidence.patterns.find((p) => p.id === 'concept.senderauth')?.weak).toBeUndefined();
  });
  it('never outweighs a strong code or a written pattern', () => {
    expect(classifyReply({ text: '550 5.1.1 Your login was not accepted' }).reason).toBe('userunknown');
    expect(classifyReply({ text: '452 4.2.2 your login was not accepted' }).reason).toBe('mailboxfull');
    expect(classifyReply({ text: 'TLS was fine but: relay access denied' }).reason).toBe('norelaying');
    expect(classifyReply({ text: '503 AUTH command used when not advertised' }).reason).toBe('syntaxerror');
  });
});

describe('concept rules: any text', () => {
  it('never throws, and names only rules of the data (fast-check)', () => {
    const ids = new Set(CONCEPTS.rules.map((r) => r.id));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 200 })), (s) => {
        for (const r of conceptMatches(s.toLowerCase())) expect(ids.has(r.id)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
  it('a hostile text (every concept word in every clause, up to the 2,048-character cap) reads as data, not a match', () => {
    const clauses = 'user. unknown. mailbox. full. spam; ip! listed? '.repeat(60);
    expect(conceptMatches(clauses.toLowerCase())).toEqual([
      // Single-concept rules still see their word; no pair spans a clause end.
      ...CONCEPTS.rules.filter((r) => r.near.length === 1 && (r.near[0] === 'spam')),
    ]);
    expect(classifyReply({ text: clauses }).reason).toBe('spamdetected');
  });
  it('reads the same words with any spacing between them', () => {
    fc.assert(
      fc.property(fc.constantFrom(' ', '  ', '\t', ' \u00a0'), (sp) => {
        expect(conceptMatches(`der empfänger${sp}ist${sp}unbekannt`).map((r) => r.id)).toContain('concept.userunknown');
      }),
    );
  });
});

describe('concept rules: the nearness sweep', () => {
  // The sweep compares each hit only with the other concept's hits that start in reach of it; it
  // must find a close pair exactly when comparing every pair would.
  const hit = fc
    .record({ start: fc.nat({ max: 400 }), len: fc.integer({ min: 1, max: 30 }), unspaced: fc.boolean(), clause: fc.nat({ max: 3 }) })
    .map(({ start, len, unspaced, clause }): Hit => ({ concept: 0, start, end: start + len, unspaced, clause }));
  it('agrees with the comparison of every pair (fast-check)', () => {
    const win = CONCEPTS.window;
    fc.assert(
      fc.property(fc.array(hit, { maxLength: 25 }), fc.array(hit, { maxLength: 25 }), (as, bs) => {
        const every = as.some((a) => bs.some((b) => closePair(a, b, win)));
        expect(anyClose([...as], [...bs], win)).toBe(every);
      }),
      { numRuns: 3000 },
    );
  });
  it('reads a text full of both concepts, none close, without comparing every pair', () => {
    // 600 hits of "用户" (user) then 300 of "不存在" (does not exist) in the next sentence: no
    // pair is in one clause, so every pair would be compared; the answer is the same.
    const text = `${'用户'.repeat(600)}。${'不存在'.repeat(300)}`;
    expect(conceptMatches(text).map((r) => r.id)).not.toContain('concept.userunknown');
    expect(conceptMatches(`${'用户'.repeat(600)}不存在`).map((r) => r.id)).toContain('concept.userunknown');
  });
});

describe('concept rules: mailing lists, sizes over a limit, anti-spam filters', () => {
  const cases: [Reason, string, string][] = [
    ['rejected', 'Nur Mitglieder dürfen Beiträge an diese Liste senden.', 'concept.membersonly'],
    ['rejected', "Vous n'êtes pas abonné à cette liste : message refusé.", 'concept.listnotmember'],
    ['rejected', 'You are not permitted to post to the list.', 'concept.listnopost'],
    // Verb-final order: the group first, the refusal last, farther apart than the reverse window.
    ['rejected', '이 그룹에 글을 게시할 권한이 없습니다.', 'concept.verbfinalgroup'],
    ['rejected', 'グループ team@example.com へメールを送る権限がありません。', 'concept.verbfinalgroup'],
    ['mesgtoobig', 'Die Größe Ihrer Nachricht überschreitet das Limit des Servers.', 'concept.sizelimit'],
    ['spamdetected', 'Zurückgewiesen durch den Spamfilter', 'concept.spamdetected'],
  ];
  decidedBy(cases);
  it('a mailbox whose size exceeds its quota stays a full mailbox', () => {
    expect(classifyReply({ text: 'Die Größe des Postfachs überschreitet das Kontingent' }).reason).toBe('mailboxfull');
  });
});

describe('concept rules: addresses and URLs are names, read as one space', () => {
  it('an address glued to Japanese text leaves the Japanese words', () => {
    const r = classifyReply({ text: '受信者bob@example.comは存在しません。' });
    expect(r.reason).toBe('userunknown');
  });
  it('the words around an address are as near as without it', () => {
    // 受信者 (recipient) and 存在しません (does not exist) are 21 characters apart with the
    // address, 5 without: the Japanese window is 16.
    expect(conceptMatches('受信者 robert.longname@example.com は存在しません。').map((r) => r.id)).toContain('concept.userunknown');
  });
  it('a full stop after an address still ends the sentence', () => {
    expect(conceptMatches('mail for user bob@example.com. unknown reasons stopped it').map((r) => r.id)).not.toContain('concept.userunknown');
  });
});

describe('Arabic vowel marks are optional', () => {
  it('a text with and without the shadda reads the same', () => {
    expect(classifyReply({ text: 'تعذّر العثور على المستلم' }).reason).toBe('userunknown');
    expect(classifyReply({ text: 'تعذر العثور على المستلم' }).reason).toBe('userunknown');
  });
  it('a pattern written with marks reads a text written without them', () => {
    // thunderbird.l10n-mesgtoobig's Arabic wording carries a shadda ("قلّص"); a text may not.
    const withMarks = 'حجم الرسالة التي تحاول إرسالها يتجاوز حد الحجم العمومي للخادوم. لم تُرسل الرسالة؛ قلّص حجم الرسالة ثم حاول مجددًا.';
    const bare = withMarks.replace(/[\u0640\u064b-\u065f\u0670]/g, '');
    expect(classifyReply({ text: withMarks }).patternId).toBe(classifyReply({ text: bare }).patternId);
    expect(classifyReply({ text: bare }).reason).toBe('mesgtoobig');
  });
});

describe('concept rules: one language’s word is not another’s', () => {
  // The languages' words are looked up together: French "gelé" (frozen) once as a stem "gele*"
  // also read Turkish "gelen" (incoming), "tempo" (pace, a rate in Czech, Danish, Dutch,
  // Norwegian and Polish) read Italian "tempo" (time), and short stems of Latin-script words read
  // other languages' words (Italian "negat*" English "negative", Czech "denn*" German "denn",
  // Italian "satur*" "Saturday", Swedish "mapp*" "mapping"): they are spelled out.
  it('Turkish "gelen kutusu" (inbox) is no frozen account', () => {
    expect(classifyReply({ text: 'Alıcının gelen kutusu dolu.' }).reason).toBe('mailboxfull');
    expect(classifyReply({ text: 'Le compte est gelé' }).reason).toBe('suspend');
  });
  it('English "negative" is no Italian "negato" (refused)', () => {
    // "negat*" once read "a negative response from the client" as a listed client: blocked.
    expect(classifyReply({ text: 'The sending server got a negative response from the client' }).reason).toBe('undefined');
  });
  it('Italian "tempo massimo" (maximum time) is no sending rate', () => {
    expect(classifyReply({ text: 'Consegna non riuscita: è stato superato il tempo massimo di consegna.' }).reason).toBe('expired');
  });
});

describe('concept rules: policies, relaying, limits, bans, passwords, greylisting', () => {
  const cases: [Reason, string, string][] = [
    ['policyviolation', 'Anhänge mit ausführbaren Dateien sind nicht erlaubt.', 'concept.attachforbidden'],
    ['policyviolation', 'Ce message a été rejeté par une règle de transport de votre organisation.', 'concept.transportrule'],
    ['policyviolation', 'Zgodnie z polityką firmy takie wiadomości są zabronione.', 'concept.policyforbidden'],
    ['norelaying', 'Kein Weiterleiten an externe Domänen über diesen Server.', 'concept.externalrelay'],
    ['blocked', 'Conexiones desde IP dinámicas no aceptadas.', 'concept.dynamicip'],
    // "username or password" holds a user, and the person rule would read an unknown user.
    ['securityerror', 'Nome utente o password errati.', 'concept.password'],
    ['greylisted', 'Le serveur a temporairement différé la réception, nouvel essai dans quelques minutes.', 'concept.greylistwait'],
  ];
  decidedBy(cases);
  it('a banned sender is a weak cue, as a bare "blocked" is', () => {
    const r = classifyReply({ text: 'Il tuo server di posta è stato bandito.' });
    expect(r.reason).toBe('blocked');
    expect(r.patternId).toBe('concept.banned');
    expect(classifyReply({ text: '550 5.1.1 Il tuo server di posta è stato bandito.' }).reason).toBe('userunknown');
  });
  it('a retry in a few minutes alone is a weak greylisting cue', () => {
    const r = classifyReply({ text: 'Le serveur a temporairement différé la réception ; nouvel essai dans quelques minutes.' });
    expect(r.reason).toBe('greylisted');
    expect(r.evidence.patterns.find((p) => p.id === 'concept.fewminutes')?.weak).toBe(true);
  });
  it('a password-protected archive is an attachment rule, not a login', () => {
    expect(classifyReply({ text: 'No se admiten adjuntos protegidos con contraseña.' }).reason).toBe('policyviolation');
  });
});
