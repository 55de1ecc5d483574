// A reply-text reason's title inside a catalog sentence ({titleReason}): the core writes the
// English title (data/reply-patterns.json), a renderer shows the title in the user's language
// (data/reply-reasons.i18n.json). Imported for its effect by the modules that write or render
// such sentences (src/verify/verdict.ts, src/report/verify-human.ts).
import { registerValueLocalizer } from './messages.js';
import { localizedReasonTitle } from './reason-text.js';
import { D, type Reason } from './pattern-compiler.js';

let byTitle: Map<string, Reason> | undefined;

/** The reason whose English title is `title` (any case), or undefined. */
export function reasonOfTitle(title: string): Reason | undefined {
  byTitle ??= new Map(Object.entries(D.reasons).map(([id, r]) => [r.title.toLowerCase(), id as Reason]));
  return byTitle.get(title.toLowerCase());
}

registerValueLocalizer('Reason', (lang, value) => {
  const id = reasonOfTitle(value);
  return id ? localizedReasonTitle(id, lang) : value;
});
