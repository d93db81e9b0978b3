import type { CompiledMatcher } from './compiled-node.js';
import type { Dialect } from './dialect.js';
import { compilePattern } from './pattern-compiler.js';

/**
 * EventBridge event-bus rules. Limits and operators follow the EventBridge user guide ("Creating
 * event patterns", "Comparison operators", "Content filtering") and, where the guide is silent,
 * aws/event-ruler, the open-source engine EventBridge matches with.
 */
const EVENTBRIDGE: Dialect = {
  root: 'pattern',
  document: 'event pattern',
  service: 'EventBridge',
  // "limited to values between -5.0e9 and +5.0e9 inclusive ... six digits to the right of the
  // decimal point" (Ruler ComparableNumber: larger operands or more decimals are rejected).
  numericLimit: 5e9,
  maxNumericDecimals: 6,
  numericEventsWithinLimit: true,
  supportsWildcard: true,
  supportsIgnoreCaseAffixes: true,
  anythingButOperators: ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'],
  anythingButOperatorLists: true,
  existsNeedsNonEmptyValue: false,
};

/**
 * Validates an EventBridge event pattern (already parsed JSON) and compiles it into a matcher that
 * behaves like an event-bus rule: fields ANDed, array values ORed, nested objects, `$or`, and the
 * operators `prefix`, `suffix` (both also `{"equals-ignore-case": ...}`), `equals-ignore-case`,
 * `wildcard`, `anything-but` (value, list, or `prefix`/`suffix`/`equals-ignore-case`/`wildcard`),
 * `numeric`, `exists` and `cidr` (IPv4 and IPv6).
 *
 * Throws {@link PatternError} naming the problem and its JSON path for anything EventBridge would
 * reject, so a malformed rule never silently matches nothing. Compile once, then call `matches`
 * per event; it does no parsing and no RegExp compilation.
 *
 * @example
 * const rule = compileEventPattern({
 *   source: ['invoices'],
 *   'detail-type': ['InvoiceIssued'],
 *   detail: { event: { amount: [{ numeric: ['>', 0, '<=', 5000] }] } },
 * });
 * rule.matches(busEvent); // true or false, never throws
 */
export function compileEventPattern(pattern: unknown): CompiledMatcher {
  return compilePattern(pattern, EVENTBRIDGE).matcher;
}
