// Every reply of a session explained: the catalog's meaning of the code and enhanced code
// at the stage it came (a 554 banner is not a 554 after RCPT), and for 4xx/5xx the
// reply-text recognition (reason, provider, facts). Pure data in, data out.
import type { Lang } from '../catalog/data.js';
import { explainReply } from '../catalog/explain.js';
import { classifyReply, type TextClassification } from '../catalog/match-text.js';
import { localizeReason, type LocalizedReasonText } from '../catalog/reason-text.js';
import type { Reply } from '../smtp/reply-parser.js';
import type { Outcome, SessionResult, Step } from '../smtp/session.js';

export interface StepExplanation {
  code: number;
  name: string;
  class: string;
  /** The stage-specific note when the catalog has one, else the code's description. */
  summary: string;
  description: string;
  when: string;
  fix: string;
  stageNote?: string;
  learnMore: string;
  /** The enhanced status code, as a string like every command's JSON has it ("5.7.26"). */
  enhanced?: string;
  enhancedExplanation?: { code: string; title: string; description: string; fix: string; learnMore: string };
  /** What the server's words say (4xx/5xx only). */
  /** The classification, its title, meaning and action in the output language (README, Languages). */
  recognition?: TextClassification & Omit<LocalizedReasonText, 'meaning' | 'action'>;
}

export interface AnnotatedStep extends Step { explanation?: StepExplanation }

export interface AnnotatedOutcome extends Outcome {
  /** The recognized reason of the deciding reply ('userunknown', 'blocked', …). */
  reason?: TextClassification['reason'];
}

export interface AnnotatedSession extends Omit<SessionResult, 'steps' | 'outcome'> {
  steps: AnnotatedStep[];
  outcome: AnnotatedOutcome;
}

export function explainStepReply(reply: Reply, stage: string, lang: Lang): StepExplanation {
  const x = explainReply(reply, lang, stage);
  const out: StepExplanation = {
    code: reply.code,
    name: x.name ?? String(reply.code),
    class: x.class ?? `${String(reply.code)[0]}xx`,
    summary: x.stageNote ?? x.description ?? '',
    description: x.description ?? '',
    when: x.when ?? '',
    fix: x.fix ?? '',
    learnMore: x.learnMore ?? '',
  };
  if (x.stageNote) out.stageNote = x.stageNote;
  if (x.enhanced) {
    out.enhanced = x.enhanced.code;
    out.enhancedExplanation = { code: x.enhanced.code, title: x.enhanced.title, description: x.enhanced.description, fix: x.enhanced.fix, learnMore: x.enhanced.learnMore };
  }
  if (reply.code >= 400) {
    const c = classifyReply({ code: reply.code, ...(reply.enhanced ? { enhanced: reply.enhanced } : {}), text: reply.text, stage });
    out.recognition = { ...c, ...localizeReason(c, lang) };
  }
  return out;
}

export function annotateSession(s: SessionResult, lang: Lang): AnnotatedSession {
  const steps: AnnotatedStep[] = s.steps.map((step) => (step.reply ? { ...step, explanation: explainStepReply(step.reply, step.stage, lang) } : { ...step }));
  const outcome: AnnotatedOutcome = { ...s.outcome };
  if (s.outcome.reply && s.outcome.reply.code >= 400) {
    const c = classifyReply({ code: s.outcome.reply.code, ...(s.outcome.reply.enhanced ? { enhanced: s.outcome.reply.enhanced } : {}), text: s.outcome.reply.text, stage: s.outcome.stage });
    outcome.reason = c.reason;
    // A 5xx for the recipient whose words say "no such user" is the one answer that
    // means the mailbox does not exist; every other 5xx is a refusal for another reason.
    if (s.outcome.kind === 'rejected' && s.outcome.stage === 'rcpt' && c.reason === 'userunknown') outcome.kind = 'no-such-user';
  }
  return { ...s, steps, outcome };
}
