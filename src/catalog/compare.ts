// The comparison page for two reply codes: an opening line comparing their classes,
// both codes' sections, key differences that say what actually differs (class,
// permanence, stage, who must act), and when to use which. Plain data; no rendering.
import { UsageError } from '../errors.js';
import type { Lang } from './data.js';
import { explainCode, type CodeExplanation, type ReplyClass } from './explain.js';
import { joinStages, label } from './i18n.js';

export interface Comparison {
  kind: 'comparison';
  lang: Lang;
  title: string;
  summary: string;
  a: CodeExplanation;
  b: CodeExplanation;
  differences: string[];
  whenToUse: string[];
}

const ACTOR: Record<ReplyClass, string> = {
  '2xx': 'actor.none',
  '3xx': 'actor.intermediate',
  '4xx': 'actor.wait',
  '5xx': 'actor.sender',
};

function sameSet(x: readonly string[], y: readonly string[]): boolean {
  return x.length === y.length && x.every((v) => y.includes(v));
}

/** An enhanced code given where a reply code belongs gets its own hint, not "did you mean 500". */
function replyCode(input: string, lang: Lang): CodeExplanation {
  const s = input.trim();
  if (/^[245X]\.[0-9]{1,3}\.[0-9]{1,3}$/i.test(s)) {
    throw new UsageError(`"${s}" is an enhanced status code; a comparison takes two reply codes (e.g. 220 554), and "smtp-probe explain ${s}" explains it on its own`);
  }
  return explainCode(s, lang);
}

export function compareCodes(codeA: string, codeB: string, lang: Lang): Comparison {
  const a = replyCode(codeA, lang);
  const b = replyCode(codeB, lang);
  const vars = {
    a: a.code, aName: a.name, aClass: a.className,
    b: b.code, bName: b.name, bClass: b.className,
    class: a.className,
  };
  const sameClass = a.class === b.class;
  // One line for each of the four things a reader needs to tell the two codes apart:
  // class, permanence (what happens next), the stage the code comes at, and who must act.
  const differences: string[] = [];
  differences.push(label(lang, sameClass ? 'diff.sameClass' : 'diff.class', vars));
  if (sameClass) differences.push(label(lang, `outcomeBoth.${a.class}`, vars));
  else differences.push(label(lang, `outcome.${a.class}`, { code: a.code }), label(lang, `outcome.${b.class}`, { code: b.code }));
  differences.push(
    sameSet(a.stages, b.stages)
      ? label(lang, 'diff.sameStages', { stages: joinStages(lang, a.stages) })
      : label(lang, 'diff.stages', { ...vars, aStages: joinStages(lang, a.stages), bStages: joinStages(lang, b.stages) }),
  );
  differences.push(
    ACTOR[a.class] === ACTOR[b.class]
      ? label(lang, 'diff.sameActor', { actor: label(lang, ACTOR[a.class]) })
      : label(lang, 'diff.actor', { ...vars, aActor: label(lang, ACTOR[a.class]), bActor: label(lang, ACTOR[b.class]) }),
  );
  return {
    kind: 'comparison',
    lang,
    title: label(lang, 'compare.title', vars),
    summary: label(lang, sameClass ? 'compare.sameClass' : 'compare.diffClass', vars),
    a,
    b,
    differences,
    whenToUse: [a, b].map((x) => label(lang, 'use.line', { code: x.code, name: x.name, fix: x.fix })),
  };
}
