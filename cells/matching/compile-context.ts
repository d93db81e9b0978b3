import type { Dialect } from './dialect.js';
import { formatPath, type PathStep, PatternError } from './pattern-error.js';

/**
 * State shared by one compilation and the helpers every compile step throws through, so that each
 * problem is reported the same way: `<json path>: <problem>`.
 *
 * @example
 * if (values.length === 0) fail(ctx, steps, 'empty arrays are not allowed');
 */

/** One compilation: the dialect and the distinct leaf field paths seen so far. */
export interface CompileContext {
  readonly dialect: Dialect;
  /** Distinct leaf field paths, for the SNS key limit. */
  readonly leafKeys: Set<string>;
}

/** Throws for NaN and ±Infinity, which JSON cannot carry but a caller's object can. */
export function requireFiniteNumber(value: number, steps: readonly PathStep[], ctx: CompileContext): void {
  if (!Number.isFinite(value)) fail(ctx, steps, `match numbers must be finite, got ${String(value)}`);
}

/** Throws a {@link PatternError} naming the problem at the JSON path of `steps`. */
export function fail(ctx: CompileContext, steps: readonly PathStep[], problem: string): never {
  const path = formatPath(ctx.dialect.root, steps);
  throw new PatternError(`${path}: ${problem}`, path);
}

/** Throws for an operator the dialect's service does not accept. */
export function unsupported(ctx: CompileContext, steps: readonly PathStep[], operator: string): never {
  const path = formatPath(ctx.dialect.root, steps);
  throw new PatternError(
    `unsupported operator ${JSON.stringify(operator)} in ${withArticle(`${ctx.dialect.service} ${ctx.dialect.document}`)} at ${path}`,
    path,
  );
}

/** "an event pattern", "a filter policy", "an SNS filter policy" (SNS is read "ess-en-ess"). */
export function withArticle(noun: string): string {
  return /^([aeiou]|SNS)/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}
