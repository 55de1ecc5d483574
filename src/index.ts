// The library API. Everything here returns plain data; nothing prints.
export { explainInput, explainCode, explainEnhanced, explainReply } from './catalog/explain.js';
export type { Explanation, CodeExplanation, EnhancedExplanation } from './catalog/explain.js';
export { compareCodes } from './catalog/compare.js';
export type { Comparison } from './catalog/compare.js';
export { ReplyReader, parsePastedReply, printable } from './smtp/reply-parser.js';
export type { Reply, ReaderEvent } from './smtp/reply-parser.js';
export { LANGS } from './catalog/data.js';
export type { Lang } from './catalog/data.js';
export { UsageError, SmtpProbeError } from './errors.js';
export { VERSION } from './version.js';
