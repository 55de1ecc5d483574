// The comparison page for two reply codes: an opening line comparing their classes,
// both codes' sections, key differences that say what actually differs (class,
// permanence, stage, who must act), and when to use which. Plain data; no rendering.
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

export function compareCodes(codeA: string, codeB: string, lang: Lang): Comparison {
  const a = explainCode(codeA.trim(), lang);
  const b = explainCode(codeB.trim(), lang);
  const vars = {
    a: a.code, aName: a.name, aClass: a.className,
    b: b.code, bName: b.name, bClass: b.className,
    class: a.className,
  };
  const sameClass = a.class === b.class;
  const differences: string[] = [];
  differences.push(label(lang, sameClass ? 'diff.sameClass' : 'diff.class', vars));
  differences.push(label(lang, `outcome.${a.class}`, { code: a.code }));
  if (!sameClass) differences.push(label(lang, `outcome.${b.class}`, { code: b.code }));
  differences.push(
    sameSet(a.stages, b.stages)
      ? label(lang, 'diff.sameStages', { stages: joinStages(lang, a.stages) })
      : label(lang, 'diff.stages', { ...vars, aStages: joinStages(lang, a.stages), bStages: joinStages(lang, b.stages) }),
  );
  if (ACTOR[a.class] !== ACTOR[b.class]) {
    differences.push(label(lang, 'diff.actor', { ...vars, aActor: label(lang, ACTOR[a.class]), bActor: label(lang, ACTOR[b.class]) }));
  }
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
