// The catalog's data files, imported as JSON (tsup inlines them: no runtime path lookup)
// and typed. Holds no logic beyond indexing by code.
import replyCodesJson from '../../data/reply-codes.json' with { type: 'json' };
import enhancedJson from '../../data/enhanced-codes.json' with { type: 'json' };
import labelsJson from '../../data/labels.json' with { type: 'json' };

export const LANGS = ['en', 'fr', 'vi', 'tr', 'hi'] as const;
export type Lang = (typeof LANGS)[number];

export interface LocalizedFields {
  name?: string;
  title?: string;
  description?: string;
  when?: string;
  fix?: string;
  operatorFix?: string;
  /** Comparison facts (basic codes): who acts, whether a retry helps, causes, when to use it. */
  actor?: string;
  retry?: string;
  causes?: string;
  use?: string;
}

export interface ReplyCodeEntry {
  code: string;
  class: '2xx' | '3xx' | '4xx' | '5xx';
  name: string;
  description: string;
  when: string;
  fix: string;
  operatorFix?: string;
  stages: string[];
  stageNotes?: Record<string, string>;
  /** The stages the code typically comes at, for comparisons. */
  mainStages?: string[];
  actor?: string;
  retry?: string;
  causes?: string;
  use?: string;
  /** A real reply line with this code, as servers write it (shown untranslated: the server's words). */
  example?: string;
  source: string;
  i18n?: Partial<Record<Lang, LocalizedFields & { stageNotes?: Record<string, string> }>>;
}

export interface EnhancedCodeEntry {
  code: string; // "X.1.1"
  title: string;
  basicCodes: string[];
  classes?: string[];
  description: string;
  when: string;
  fix: string;
  operatorFix?: string;
  source: string;
  i18n?: Partial<Record<Lang, LocalizedFields>>;
}

type TitleI18n = Partial<Record<Lang, { title?: string; description?: string }>>;
export interface EnhancedClassEntry { class: string; title: string; description: string; source: string; i18n?: TitleI18n }
export interface EnhancedSubjectEntry { subject: string; title: string; description: string; source: string; i18n?: TitleI18n }

export const REPLY_CODES = (replyCodesJson as { codes: ReplyCodeEntry[] }).codes;
export const ENHANCED = enhancedJson as {
  classes: EnhancedClassEntry[];
  subjects: EnhancedSubjectEntry[];
  codes: EnhancedCodeEntry[];
};
export const LABELS = labelsJson as unknown as Record<Lang, Record<string, string>>;

export const REPLY_CODE_INDEX: ReadonlyMap<string, ReplyCodeEntry> = new Map(REPLY_CODES.map((e) => [e.code, e]));
export const ENHANCED_INDEX: ReadonlyMap<string, EnhancedCodeEntry> = new Map(ENHANCED.codes.map((e) => [e.code, e]));
