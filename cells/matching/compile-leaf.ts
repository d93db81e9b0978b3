import { type CompileContext, fail, requireFiniteNumber } from './compile-context.js';
import { compileOperator } from './compile-operator.js';
import type { CompiledLeaf, LeafParts } from './compiled-node.js';
import { isPlainObject } from './is-plain-object.js';
import { describeValue, type PathStep } from './pattern-error.js';

/**
 * Compiles the list of alternatives of one field (`"state": ["a", {"prefix": "b"}, null]`): exact
 * strings and numbers go into sets, operators into tests. Throws for an empty list or a value
 * that is neither a JSON scalar nor an operator object.
 *
 * @example
 * const leaf = compileLeaf(['a', { prefix: 'b' }], ['state'], ctx);
 */
export function compileLeaf(
  values: readonly unknown[],
  steps: readonly PathStep[],
  ctx: CompileContext,
): CompiledLeaf {
  if (values.length === 0) {
    fail(ctx, steps, 'empty arrays are not allowed; list at least one match value');
  }
  const parts: LeafParts = {
    existsTrue: false,
    existsFalse: false,
    exactStrings: undefined,
    exactNumbers: undefined,
    matchNull: false,
    matchTrue: false,
    matchFalse: false,
    stringTests: [],
    numberTests: [],
    nonStringsMatch: false,
    onlyAbsence: true,
  };
  for (const value of values) {
    const isExistsFalse = isPlainObject(value) && Object.keys(value).length === 1 && value.exists === false;
    if (!isExistsFalse) parts.onlyAbsence = false;
    if (typeof value === 'string') {
      parts.exactStrings ??= new Set();
      parts.exactStrings.add(value);
    } else if (typeof value === 'number') {
      requireFiniteNumber(value, steps, ctx);
      // Numbers compare by value (300 = 300.0 = 3e2): JSON.parse has already erased the spelling.
      parts.exactNumbers ??= new Set();
      parts.exactNumbers.add(value);
    } else if (typeof value === 'boolean') {
      if (value) parts.matchTrue = true;
      else parts.matchFalse = true;
    } else if (value === null) {
      parts.matchNull = true;
    } else if (isPlainObject(value)) {
      compileOperator(value, steps, ctx, parts);
    } else {
      fail(
        ctx,
        steps,
        `a match value must be a string, number, true, false, null or an operator object like {"prefix": "abc"}, got ${describeValue(value)}`,
      );
    }
  }
  return {
    kind: 'leaf',
    ...parts,
    emptyIsAbsent: ctx.dialect.existsNeedsNonEmptyValue,
  };
}
