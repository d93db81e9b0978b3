/**
 * What differs between EventBridge event patterns and SNS filter policies. Both are the same JSON
 * language (SNS payload filtering reuses the EventBridge syntax); the dialect carries the limits and
 * the operators each service accepts.
 */
export interface Dialect {
  /** Root of JSON paths in messages: `pattern` or `policy`. */
  readonly root: string;
  /** The document's name in messages: `event pattern` or `filter policy`. */
  readonly document: string;
  readonly service: 'EventBridge' | 'SNS';
  /** Largest absolute value a `numeric` operand may have. */
  readonly numericLimit: number;
  /** Most decimal places a `numeric` operand may have, or undefined for no check. */
  readonly maxNumericDecimals: number | undefined;
  /** Event numbers beyond `numericLimit` never match `numeric` (Ruler cannot represent them). */
  readonly numericEventsWithinLimit: boolean;
  readonly supportsWildcard: boolean;
  /** `{"prefix": {"equals-ignore-case": ...}}` and the same for suffix. */
  readonly supportsIgnoreCaseAffixes: boolean;
  /** Operators allowed inside `{"anything-but": {...}}`. */
  readonly anythingButOperators: readonly string[];
  /** `{"anything-but": {"prefix": ["a", "b"]}}` (a list inside the operator object). */
  readonly anythingButOperatorLists: boolean;
  /** SNS: `"exists": true` needs a non-null, non-empty value. EventBridge: any value, even null. */
  readonly existsNeedsNonEmptyValue: boolean;
}

/** Every operator name either service knows; inside `$or` none of them may be used as a field name. */
export const OPERATORS: readonly string[] = [
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
];

/** The operators `dialect` accepts, in the order error messages list them. Pure. */
export function supportedOperators(d: Dialect): string[] {
  return OPERATORS.filter((o) => o !== 'wildcard' || d.supportsWildcard);
}
