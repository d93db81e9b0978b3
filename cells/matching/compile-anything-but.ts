import { type CompileContext, fail, requireFiniteNumber, unsupported } from './compile-context.js';
import { compileWildcardArg } from './compile-string-operators.js';
import type { LeafParts, StringTest } from './compiled-node.js';
import { isPlainObject } from './is-plain-object.js';
import { describeValue, type PathStep } from './pattern-error.js';

/** Every operator either service accepts inside `{"anything-but": {...}}`. */
const ANYTHING_BUT_OPERATORS: readonly string[] = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'];

/**
 * Compiles `{"anything-but": ...}` into `parts`: a value, a list of strings or of numbers, or an
 * operator object (`{"prefix": "init"}`; which operators depends on the dialect). A string-valued
 * anything-but also matches every non-string (Ruler compares JSON text).
 *
 * @example
 * compileAnythingBut(['initial', 'void'], ['status'], ctx, parts);
 */
export function compileAnythingBut(
  arg: unknown,
  steps: readonly PathStep[],
  ctx: CompileContext,
  parts: LeafParts,
): void {
  if (typeof arg === 'string') {
    parts.stringTests.push((s) => s !== arg);
    parts.nonStringsMatch = true;
    return;
  }
  if (typeof arg === 'number') {
    requireFiniteNumber(arg, steps, ctx);
    parts.numberTests.push((n) => n !== arg);
    return;
  }
  if (Array.isArray(arg)) {
    compileAnythingButList(arg, steps, ctx, parts);
    return;
  }
  if (isPlainObject(arg)) {
    parts.stringTests.push(compileAnythingButOperator(arg, steps, ctx));
    parts.nonStringsMatch = true;
    return;
  }
  fail(
    ctx,
    steps,
    `"anything-but" needs a string, a number, a list of strings or of numbers, or an operator object like {"prefix": "init"}, got ${describeValue(arg)}`,
  );
}

/** `{"anything-but": ["a", "b"]}` or `{"anything-but": [1, 2]}`: only strings or only numbers. */
function compileAnythingButList(
  arg: readonly unknown[],
  steps: readonly PathStep[],
  ctx: CompileContext,
  parts: LeafParts,
): void {
  if (arg.length === 0) fail(ctx, steps, '"anything-but" list is empty; list at least one value');
  if (arg.every((v) => typeof v === 'string')) {
    const excluded = new Set(arg as string[]);
    parts.stringTests.push((s) => !excluded.has(s));
    parts.nonStringsMatch = true;
    return;
  }
  if (arg.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    const excluded = new Set(arg as number[]);
    parts.numberTests.push((n) => !excluded.has(n));
    return;
  }
  fail(
    ctx,
    steps,
    '"anything-but" list must hold only strings or only numbers (no mix, and no true, false, null, arrays or objects)',
  );
}

/** `{"anything-but": {"prefix": "init"}}` and the other operators the dialect allows there. */
function compileAnythingButOperator(
  arg: Record<string, unknown>,
  steps: readonly PathStep[],
  ctx: CompileContext,
): StringTest {
  const d = ctx.dialect;
  const keys = Object.keys(arg);
  if (keys.length !== 1) {
    fail(ctx, steps, `"anything-but" operator object must have exactly one key, got ${keys.length}`);
  }
  const inner = keys[0] as string;
  if (!ANYTHING_BUT_OPERATORS.includes(inner)) {
    fail(
      ctx,
      steps,
      `"anything-but" does not support ${JSON.stringify(inner)}; use a value, a list, or {${d.anythingButOperators
        .map((o) => `"${o}"`)
        .join('|')}: ...}`,
    );
  }
  if (!d.anythingButOperators.includes(inner)) unsupported(ctx, steps, `anything-but/${inner}`);
  const innerArg = arg[inner];
  const list =
    typeof innerArg === 'string'
      ? [innerArg]
      : d.anythingButOperatorLists &&
          Array.isArray(innerArg) &&
          innerArg.length > 0 &&
          innerArg.every((v) => typeof v === 'string')
        ? (innerArg as string[])
        : fail(
            ctx,
            steps,
            `"anything-but": {"${inner}": ...} needs a string${d.anythingButOperatorLists ? ' or a non-empty list of strings' : ''}, got ${describeValue(innerArg)}`,
          );
  if ((inner === 'prefix' || inner === 'suffix') && list.includes('')) {
    // Ruler: "Null prefix/suffix not allowed" (it would exclude every string).
    fail(ctx, steps, `"anything-but": {"${inner}": ""} is not allowed; the ${inner} must not be empty`);
  }
  return anythingButStringTest(inner, list, steps, ctx);
}

function anythingButStringTest(
  inner: string,
  list: readonly string[],
  steps: readonly PathStep[],
  ctx: CompileContext,
): StringTest {
  switch (inner) {
    case 'prefix':
      return (s) => !list.some((p) => s.startsWith(p));
    case 'suffix':
      return (s) => !list.some((p) => s.endsWith(p));
    case 'equals-ignore-case': {
      const lowered = new Set(list.map((v) => v.toLowerCase()));
      return (s) => !lowered.has(s.toLowerCase());
    }
    default: {
      const tests = list.map((w) => compileWildcardArg(w, steps, ctx));
      return (s) => !tests.some((t) => t(s));
    }
  }
}
