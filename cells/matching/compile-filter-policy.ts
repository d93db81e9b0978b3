import type { CompiledMatcher } from './compiled-node.js';
import type { Dialect } from './dialect.js';
import { compilePattern } from './pattern-compiler.js';
import { PatternError } from './pattern-error.js';

/** SNS: "A filter policy can have a maximum of five keys." */
export const SNS_MAX_FILTER_POLICY_KEYS = 5;
/** SNS: "The total combination of values in a filter policy must not exceed 150." */
export const SNS_MAX_FILTER_POLICY_COMBINATIONS = 150;
/** SNS: "The maximum size of a filter policy is 256 KB." */
export const SNS_MAX_FILTER_POLICY_BYTES = 256 * 1024;

/**
 * SNS subscription filter policies with `FilterPolicyScope: MessageBody`. Same JSON language as
 * EventBridge minus `wildcard`, with SNS's own limits ("Filter policy constraints in Amazon SNS")
 * and operators ("String value matching", "Numeric value matching", "Key matching", "AND/OR logic").
 */
const SNS_MESSAGE_BODY: Dialect = {
  root: 'policy',
  document: 'filter policy',
  service: 'SNS',
  // "the value can range from -10^9 to 10^9 ... with five digits of accuracy after the decimal
  // point": accuracy, not a syntax rule, so more decimals are accepted (and compared as doubles).
  numericLimit: 1e9,
  maxNumericDecimals: undefined,
  numericEventsWithinLimit: false,
  supportsWildcard: false,
  // Assumption: the SNS guide documents prefix/suffix/equals-ignore-case only with plain strings.
  supportsIgnoreCaseAffixes: false,
  // The SNS guide lists "String matching using a prefix with the anything-but operator" only;
  // SNS rejects {"anything-but": {"suffix": ...}} (LocalStack records that error against AWS).
  anythingButOperators: ['prefix'],
  anythingButOperatorLists: false,
  // Key matching: "The key must have a non-null, non-empty value."
  existsNeedsNonEmptyValue: true,
};

/**
 * Validates an SNS filter policy for the `MessageBody` scope (already parsed JSON) and compiles it
 * into a matcher for parsed message bodies. Besides the operator checks it enforces SNS's limits:
 * at most {@link SNS_MAX_FILTER_POLICY_KEYS} keys (leaf keys, the ones holding value arrays; nested
 * parents are not counted), at most {@link SNS_MAX_FILTER_POLICY_COMBINATIONS} combinations (per
 * branch the product of each array's value count times its key's nesting depth, summed over `$or`
 * branches), `numeric` operands within ±10^9, and a 256 KB policy size.
 *
 * Differences from EventBridge that `matches` honours: a body that is not a JSON object (or is an
 * empty object) never matches; `"exists": true` needs a non-null, non-empty value.
 *
 * @example
 * const policy = compileFilterPolicy({ store: ['example_corp'], price_usd: [{ numeric: ['>=', 100] }] });
 * policy.matches(JSON.parse(snsMessage.Message)); // parse once, match many subscriptions
 */
export function compileFilterPolicy(policy: unknown): CompiledMatcher {
  const compiled = compilePattern(policy, SNS_MESSAGE_BODY);
  if (compiled.leafKeyCount > SNS_MAX_FILTER_POLICY_KEYS) {
    throw new PatternError(
      `filter policy has ${compiled.leafKeyCount} keys; SNS allows at most ${SNS_MAX_FILTER_POLICY_KEYS}`,
    );
  }
  if (compiled.combinations > SNS_MAX_FILTER_POLICY_COMBINATIONS) {
    throw new PatternError(
      `filter policy has ${compiled.combinations} combinations; SNS allows at most ${SNS_MAX_FILTER_POLICY_COMBINATIONS}`,
    );
  }
  // Assumption: the size is that of the compact JSON; whitespace in the caller's text is not counted.
  const bytes = new TextEncoder().encode(JSON.stringify(policy)).length;
  if (bytes > SNS_MAX_FILTER_POLICY_BYTES) {
    throw new PatternError(
      `filter policy is ${bytes} bytes; SNS allows at most ${SNS_MAX_FILTER_POLICY_BYTES} (256 KB)`,
    );
  }
  return compiled.matcher;
}
