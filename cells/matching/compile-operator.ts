import { compileAnythingBut } from './compile-anything-but.js';
import { type CompileContext, fail, unsupported } from './compile-context.js';
import { compileNumeric } from './compile-numeric.js';
import {
  compileAffix,
  compileCidr,
  compileEqualsIgnoreCase,
  compileWildcardArg,
} from './compile-string-operators.js';
import type { LeafParts } from './compiled-node.js';
import { supportedOperators } from './dialect.js';
import { describeValue, type PathStep } from './pattern-error.js';

/**
 * Compiles one operator object of a leaf (`{"prefix": "a"}`, `{"numeric": [">", 0]}`,
 * `{"exists": false}`, ...) into `parts`, after checking it has exactly one key the dialect knows.
 *
 * @example
 * compileOperator({ numeric: ['>', 0] }, ['detail', 'amount'], ctx, parts);
 */
export function compileOperator(
  expr: Record<string, unknown>,
  steps: readonly PathStep[],
  ctx: CompileContext,
  parts: LeafParts,
): void {
  const keys = Object.keys(expr);
  if (keys.length !== 1) {
    fail(
      ctx,
      steps,
      keys.length === 0
        ? 'an operator object must have exactly one key, got {}'
        : `an operator object must have exactly one key, got ${keys.length} (${keys.map((k) => JSON.stringify(k)).join(', ')})`,
    );
  }
  const op = keys[0] as string;
  const arg = expr[op];
  const d = ctx.dialect;
  switch (op) {
    case 'prefix':
    case 'suffix':
      parts.stringTests.push(compileAffix(op, arg, steps, ctx));
      return;
    case 'equals-ignore-case':
      parts.stringTests.push(compileEqualsIgnoreCase(arg, steps, ctx));
      return;
    case 'wildcard':
      if (!d.supportsWildcard) unsupported(ctx, steps, 'wildcard');
      parts.stringTests.push(compileWildcardArg(arg, steps, ctx));
      return;
    case 'anything-but':
      compileAnythingBut(arg, steps, ctx, parts);
      return;
    case 'numeric':
      parts.numberTests.push(compileNumeric(arg, steps, ctx));
      return;
    case 'exists':
      if (typeof arg !== 'boolean') {
        fail(ctx, steps, `"exists" must be true or false, got ${describeValue(arg)}`);
      }
      if (arg) parts.existsTrue = true;
      else parts.existsFalse = true;
      return;
    case 'cidr':
      parts.stringTests.push(compileCidr(arg, steps, ctx));
      return;
    default:
      fail(
        ctx,
        steps,
        `unknown operator ${JSON.stringify(op)}; ${d.service} supports ${supportedOperators(d)
          .map((o) => `"${o}"`)
          .join(', ')}`,
      );
  }
}
