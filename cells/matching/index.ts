/**
 * Pure matchers for EventBridge event patterns and SNS filter policies (MessageBody scope), used by
 * the ops CLI (validate/test rules offline) and the local cell (route events like AWS would).
 *
 * @example
 * import { compileEventPattern, parsePatternText } from '../cells/matching/index.js';
 * const rule = compileEventPattern(parsePatternText(text, 'event pattern'));
 * const routed = events.filter((e) => rule.matches(e));
 */
export { compileEventPattern } from './compile-event-pattern.js';
export {
  compileFilterPolicy,
  SNS_MAX_FILTER_POLICY_BYTES,
  SNS_MAX_FILTER_POLICY_COMBINATIONS,
  SNS_MAX_FILTER_POLICY_KEYS,
} from './compile-filter-policy.js';
export type { CompiledMatcher } from './compiled-node.js';
export { parsePatternText } from './parse-pattern-text.js';
export { type PathStep, PatternError } from './pattern-error.js';
