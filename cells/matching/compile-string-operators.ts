import { type CompileContext, fail, unsupported } from './compile-context.js';
import { compileWildcard } from './compile-wildcard.js';
import type { StringTest } from './compiled-node.js';
import { isPlainObject } from './is-plain-object.js';
import { inCidr, parseCidr } from './parse-cidr.js';
import { describeValue, type PathStep } from './pattern-error.js';

/**
 * The operators that test a string value: `prefix` / `suffix` (plain or
 * `{"equals-ignore-case": ...}`), `equals-ignore-case`, `wildcard` and `cidr`. Each validates its
 * operand and returns the compiled test.
 *
 * @example
 * const test = compileAffix('prefix', 'INV-', ['invoiceId'], ctx);
 * test('INV-1'); // true
 */

/** `{"prefix": ...}` or `{"suffix": ...}`, with a string or `{"equals-ignore-case": string}`. */
export function compileAffix(
  op: 'prefix' | 'suffix',
  arg: unknown,
  steps: readonly PathStep[],
  ctx: CompileContext,
): StringTest {
  const d = ctx.dialect;
  const affix = op === 'prefix';
  if (typeof arg === 'string') {
    return affix ? (s) => s.startsWith(arg) : (s) => s.endsWith(arg);
  }
  if (isPlainObject(arg) && Object.keys(arg).length === 1 && 'equals-ignore-case' in arg) {
    if (!d.supportsIgnoreCaseAffixes) unsupported(ctx, steps, `${op}/equals-ignore-case`);
    const inner = arg['equals-ignore-case'];
    if (typeof inner !== 'string') {
      fail(ctx, steps, `"${op}": {"equals-ignore-case": ...} needs a string, got ${describeValue(inner)}`);
    }
    const lower = inner.toLowerCase();
    return affix ? (s) => s.toLowerCase().startsWith(lower) : (s) => s.toLowerCase().endsWith(lower);
  }
  const alt = d.supportsIgnoreCaseAffixes ? ' or {"equals-ignore-case": "..."}' : '';
  return fail(ctx, steps, `"${op}" needs a string${alt}, got ${describeValue(arg)}`);
}

/** `{"equals-ignore-case": string}`. */
export function compileEqualsIgnoreCase(
  arg: unknown,
  steps: readonly PathStep[],
  ctx: CompileContext,
): StringTest {
  if (typeof arg !== 'string') {
    fail(ctx, steps, `"equals-ignore-case" needs a string, got ${describeValue(arg)}`);
  }
  const lower = arg.toLowerCase();
  return (s) => s.toLowerCase() === lower;
}

/** Compiles a `wildcard` operand (`"dir/*.png"`) into a string test. */
export function compileWildcardArg(
  arg: unknown,
  steps: readonly PathStep[],
  ctx: CompileContext,
): StringTest {
  if (typeof arg !== 'string') {
    fail(ctx, steps, `"wildcard" needs a string like "dir/*.png", got ${describeValue(arg)}`);
  }
  const test = compileWildcard(arg);
  if (typeof test === 'string') fail(ctx, steps, test);
  return test;
}

/** `{"cidr": "10.0.0.0/24"}` (IPv4 or IPv6). */
export function compileCidr(arg: unknown, steps: readonly PathStep[], ctx: CompileContext): StringTest {
  if (typeof arg !== 'string') {
    fail(ctx, steps, `"cidr" needs a string like "10.0.0.0/24", got ${describeValue(arg)}`);
  }
  const range = parseCidr(arg);
  if (typeof range === 'string') fail(ctx, steps, range);
  return (s) => inCidr(range, s);
}
