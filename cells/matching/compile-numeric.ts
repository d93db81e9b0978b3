import { type CompileContext, fail } from './compile-context.js';
import type { NumberTest } from './compiled-node.js';
import { describeValue, type PathStep } from './pattern-error.js';

const NUMERIC_OPERATORS: ReadonlySet<string> = new Set(['<', '<=', '=', '>', '>=']);

/**
 * Compiles a `numeric` operand list (`["=", 3]`, `[">", 0]`, `[">", 0, "<=", 5]`) into a number
 * test, checking operators, order, range and the dialect's limits on operands.
 *
 * @example
 * const inRange = compileNumeric(['>', 0, '<=', 5], ['amount'], ctx);
 * inRange(5); // true
 */
export function compileNumeric(arg: unknown, steps: readonly PathStep[], ctx: CompileContext): NumberTest {
  if (!Array.isArray(arg) || arg.length === 0) {
    fail(ctx, steps, '"numeric" needs an operator list like [">", 0]');
  }
  const op1 = arg[0];
  if (typeof op1 !== 'string') {
    fail(
      ctx,
      steps,
      `"numeric" must start with an operator ("<", "<=", "=", ">" or ">="), got ${describeValue(op1)}`,
    );
  }
  if (!NUMERIC_OPERATORS.has(op1)) {
    fail(
      ctx,
      steps,
      `unrecognized "numeric" operator ${JSON.stringify(op1)}; use "<", "<=", "=", ">" or ">="`,
    );
  }
  const v1 = numericOperand(arg, 1, op1, steps, ctx);
  const cap = ctx.dialect.numericEventsWithinLimit ? ctx.dialect.numericLimit : Number.POSITIVE_INFINITY;
  if (op1 === '=') {
    if (arg.length > 2) fail(ctx, steps, `"numeric" ["=", ${v1}] takes no further terms`);
    return (n) => n === v1;
  }
  if (op1 === '<' || op1 === '<=') {
    if (arg.length > 2) {
      fail(
        ctx,
        steps,
        `"numeric" upper bound must come last; write the lower bound first, like [">", 0, "<=", 5]`,
      );
    }
    return op1 === '<' ? (n) => n < v1 && n >= -cap : (n) => n <= v1 && n >= -cap;
  }
  if (arg.length === 2) {
    return op1 === '>' ? (n) => n > v1 && n <= cap : (n) => n >= v1 && n <= cap;
  }
  const op2 = arg[2];
  if (op2 !== '<' && op2 !== '<=') {
    fail(ctx, steps, `"numeric" lower bound can only be followed by "<" or "<=", got ${describeValue(op2)}`);
  }
  const v2 = numericOperand(arg, 3, op2, steps, ctx);
  if (arg.length > 4) {
    fail(
      ctx,
      steps,
      '"numeric" has too many terms; give at most a lower and an upper bound, like [">", 0, "<=", 5]',
    );
  }
  if (!(v1 < v2)) {
    // Ruler / SNS: "Bottom must be less than top".
    fail(
      ctx,
      steps,
      `"numeric" range is empty: the lower bound ${v1} must be less than the upper bound ${v2}`,
    );
  }
  const lowerOpen = op1 === '>';
  const upperOpen = op2 === '<';
  return (n) => (lowerOpen ? n > v1 : n >= v1) && (upperOpen ? n < v2 : n <= v2);
}

function numericOperand(
  terms: readonly unknown[],
  index: number,
  op: string,
  steps: readonly PathStep[],
  ctx: CompileContext,
): number {
  const d = ctx.dialect;
  const value = terms[index];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    const got = index < terms.length ? describeValue(value) : 'nothing';
    fail(ctx, steps, `"numeric" operator "${op}" must be followed by a number, got ${got}`);
  }
  if (Math.abs(value) > d.numericLimit) {
    fail(
      ctx,
      steps,
      `"numeric" value ${value} is out of range; ${d.service} compares numbers from ${-d.numericLimit} to ${d.numericLimit}`,
    );
  }
  if (d.maxNumericDecimals !== undefined && decimalPlaces(value) > d.maxNumericDecimals) {
    fail(
      ctx,
      steps,
      `"numeric" value ${value} has more than ${d.maxNumericDecimals} decimal places; ${d.service} compares numbers to ${d.maxNumericDecimals} decimal places`,
    );
  }
  return value;
}

/** Decimal places of a finite number as JSON would print it (`1.5e-7` has 8). */
function decimalPlaces(value: number): number {
  const text = String(Math.abs(value));
  const e = text.indexOf('e');
  const mantissa = e < 0 ? text : text.slice(0, e);
  const exponent = e < 0 ? 0 : Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const fraction = dot < 0 ? 0 : mantissa.length - dot - 1;
  return Math.max(0, fraction - exponent);
}
