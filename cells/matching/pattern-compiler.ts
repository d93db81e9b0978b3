import { type CompileContext, withArticle } from './compile-context.js';
import { compileObject } from './compile-object.js';
import type { CompiledMatcher } from './compiled-node.js';
import type { Dialect } from './dialect.js';
import { isPlainObject } from './is-plain-object.js';
import { describeValue, PatternError } from './pattern-error.js';
import { EventMatcher, MessageBodyMatcher } from './pattern-matcher.js';

/**
 * The compile step both services share: validation happens here, once, and yields a matcher.
 * The walk lives in compile-object.ts (objects, `$or`) and compile-leaf.ts (lists of
 * alternatives); each operator has its own compile-*.ts; matching is pattern-matcher.ts.
 */

/** Result of the shared compile step; the service wrappers add their own limits. */
export interface CompiledPattern {
  readonly matcher: CompiledMatcher;
  readonly leafKeyCount: number;
  readonly combinations: number;
}

/**
 * Validates `raw` as a pattern of `dialect` and compiles it. Throws PatternError on the first
 * problem found. Service-wide limits (SNS keys, combinations, size) are checked by the callers.
 *
 * @example
 * const { matcher } = compilePattern({ detail: { amount: [{ numeric: ['>', 0] }] } }, EVENTBRIDGE);
 */
export function compilePattern(raw: unknown, dialect: Dialect): CompiledPattern {
  if (!isPlainObject(raw)) {
    throw new PatternError(
      `${dialect.root}: ${withArticle(dialect.document)} must be a JSON object, got ${describeValue(raw)}`,
      dialect.root,
    );
  }
  const ctx: CompileContext = { dialect, leafKeys: new Set() };
  const { node, combinations } = compileObject(raw, [], [], 1, false, ctx);
  const matcher: CompiledMatcher =
    dialect.service === 'SNS' ? new MessageBodyMatcher(node) : new EventMatcher(node);
  return { matcher, leafKeyCount: ctx.leafKeys.size, combinations };
}
