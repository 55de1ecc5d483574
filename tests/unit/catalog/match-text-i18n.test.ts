// The commonest bounce notices in the languages mail arrives in (issue 14, class 4): no such user,
// mailbox full, group does not exist / you may not post, rejected as spam, in fr, vi, tr, hi, de,
// es, pt, it, ru, uk, el, fa, ja, zh. Phrases written for this test (see fixtures/replies/SOURCE.md).
import { describe, expect, it } from 'vitest';
import { classifyReply, type Reason } from '../../../src/catalog/match-text.js';

const cases: Record<string, [string, Reason][]> = {
  fr: [['550 5.1.1 <bob@example.fr> : destinataire inconnu', 'userunknown'], ['452 4.2.2 La boîte aux lettres est pleine', 'mailboxfull'], ["Le groupe equipe n'existe peut-être pas, ou vous n'êtes pas autorisé à publier des messages dans ce groupe.", 'rejected'], ['554 5.7.1 Message identifié comme spam', 'spamdetected']],
  vi: [['550 5.1.1 Địa chỉ email không tồn tại', 'userunknown'], ['452 4.2.2 Hộp thư đã đầy', 'mailboxfull'], ['Nhóm nhanvien có thể không tồn tại hoặc bạn không có quyền đăng bài.', 'rejected'], ['554 5.7.1 Thư bị đánh dấu là thư rác', 'spamdetected']],
  tr: [['550 5.1.1 Böyle bir kullanıcı yok', 'userunknown'], ['452 4.2.2 Posta kutusu dolu', 'mailboxfull'], ['Ulaşmaya çalıştığınız grup ekip mevcut olmayabilir veya gönderi yayınlama izniniz olmayabilir.', 'rejected'], ['554 5.7.1 İleti spam olarak algılandı', 'spamdetected']],
  hi: [['550 5.1.1 प्राप्तकर्ता नहीं मिला', 'userunknown'], ['452 4.2.2 मेलबॉक्स भरा हुआ है', 'mailboxfull'], ['समूह टीम मौजूद नहीं हो सकता, या आपको पोस्ट करने की अनुमति नहीं है।', 'rejected'], ['554 5.7.1 संदेश स्पैम के रूप में चिह्नित किया गया', 'spamdetected']],
  de: [['550 5.1.1 Empfänger unbekannt', 'userunknown'], ['452 4.2.2 Postfach ist voll', 'mailboxfull'], ['Die Gruppe team existiert möglicherweise nicht oder Sie haben keine Berechtigung, in der Gruppe zu posten.', 'rejected'], ['554 5.7.1 Nachricht als Spam abgelehnt', 'spamdetected']],
  es: [['550 5.1.1 El destinatario no existe', 'userunknown'], ['452 4.2.2 El buzón está lleno', 'mailboxfull'], ['Puede que el grupo equipo no exista o que no tengas permiso para publicar mensajes en él.', 'rejected'], ['554 5.7.1 Mensaje rechazado como spam', 'spamdetected']],
  pt: [['550 5.1.1 Usuário inexistente', 'userunknown'], ['452 4.2.2 A caixa postal está cheia', 'mailboxfull'], ['O grupo equipe pode não existir ou você não tem permissão para postar mensagens nele.', 'rejected'], ['554 5.7.1 Mensagem identificada como spam', 'spamdetected']],
  it: [['550 5.1.1 Utente inesistente', 'userunknown'], ['452 4.2.2 Casella di posta piena', 'mailboxfull'], ['Il gruppo squadra potrebbe non esistere oppure non sei autorizzato a pubblicare messaggi.', 'rejected'], ['554 5.7.1 Messaggio classificato come spam', 'spamdetected']],
  ru: [['550 5.1.1 Нет такого пользователя', 'userunknown'], ['452 4.2.2 Почтовый ящик переполнен', 'mailboxfull'], ['Группа команда может не существовать, или у вас нет прав на публикацию сообщений.', 'rejected'], ['554 5.7.1 Письмо помечено как спам', 'spamdetected']],
  uk: [['550 5.1.1 Немає такого користувача', 'userunknown'], ['452 4.2.2 Скриньку переповнено', 'mailboxfull'], ['Група команда може не існувати, або у вас немає дозволу публікувати повідомлення.', 'rejected'], ['554 5.7.1 Лист розпізнано як спам', 'spamdetected']],
  el: [['550 5.1.1 Άγνωστος παραλήπτης', 'userunknown'], ['452 4.2.2 Το γραμματοκιβώτιο είναι πλήρες', 'mailboxfull'], ['Η ομάδα ομαδα ενδέχεται να μην υπάρχει ή δεν έχετε άδεια να δημοσιεύσετε μηνύματα.', 'rejected'], ['554 5.7.1 Το μήνυμα χαρακτηρίστηκε ως ανεπιθύμητο', 'spamdetected']],
  fa: [['550 5.1.1 چنین کاربری وجود ندارد', 'userunknown'], ['452 4.2.2 صندوق ایمیل پر است', 'mailboxfull'], ['گروه تیم ممکن است وجود نداشته باشد یا اجازه ارسال پیام به این گروه را ندارید.', 'rejected'], ['554 5.7.1 پیام به عنوان هرزنامه شناسایی شد', 'spamdetected']],
  ja: [['550 5.1.1 ユーザーが存在しません', 'userunknown'], ['452 4.2.2 メールボックスがいっぱいです', 'mailboxfull'], ['グループは存在しないか、投稿する権限がありません。', 'rejected'], ['554 5.7.1 スパムと判定されました', 'spamdetected']],
  zh: [['550 5.1.1 收件人地址不存在', 'userunknown'], ['452 4.2.2 信箱已满', 'mailboxfull'], ['该群组可能不存在，或者您没有发帖的权限。', 'rejected'], ['554 5.7.1 邮件被判定为垃圾邮件', 'spamdetected']],
};

describe('common bounce notices in other languages', () => {
  for (const [lang, list] of Object.entries(cases)) {
    it(lang, () => {
      for (const [text, reason] of list) {
        const r = classifyReply({ text });
        expect(r.reason, text).toBe(reason);
        expect(r.inferred, text).toBe(false);
      }
    });
  }
});
