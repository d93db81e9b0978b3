import { type CompileContext, fail, withArticle } from './compile-context.js';
import { compileLeaf } from './compile-leaf.js';
import type { CompiledNode, CompiledObject } from './compiled-node.js';
import { OPERATORS } from './dialect.js';
import { isPlainObject } from './is-plain-object.js';
import { describeValue, type PathStep } from './pattern-error.js';

/** A compiled object and its SNS complexity. */
export interface Compiled {
  readonly node: CompiledObject;
  /** SNS complexity: product of (values x depth) per leaf, summed over `$or` branches. */
  readonly combinations: number;
}

/**
 * Walks one object of the pattern (the root, a nested object or a `$or` branch): each field is a
 * leaf (an array of alternatives) or a nested object; `$or` holds alternative objects. Records
 * leaf keys and SNS combinations on the way. Throws {@link PatternError} for the first problem.
 *
 * @example
 * const { node, combinations } = compileObject(pattern, [], [], 1, false, ctx);
 */
export function compileObject(
  raw: Record<string, unknown>,
  steps: readonly PathStep[],
  keyPath: readonly string[],
  depth: number,
  insideOr: boolean,
  ctx: CompileContext,
): Compiled {
  const keys = Object.keys(raw);
  if (keys.length === 0) {
    fail(
      ctx,
      steps,
      steps.length === 0
        ? `${withArticle(ctx.dialect.document)} needs at least one field`
        : 'empty objects are not allowed; give at least one field or remove it',
    );
  }
  const fields: (readonly [string, CompiledNode])[] = [];
  const orGroups: CompiledObject[][] = [];
  let combinations = 1;

  for (const key of keys) {
    const value = raw[key];
    if (key === '$or') {
      const { branches, sum } = compileOr(value, steps, keyPath, depth, ctx);
      orGroups.push(branches);
      combinations *= sum;
      continue;
    }
    const fieldSteps = [...steps, key];
    if (insideOr && OPERATORS.includes(key)) {
      // Ruler refuses operator names as field names inside $or, where they would be ambiguous.
      fail(
        ctx,
        fieldSteps,
        `${JSON.stringify(key)} is an operator name and cannot be a field name inside "$or"`,
      );
    }
    if (Array.isArray(value)) {
      const leaf = compileLeaf(value, fieldSteps, ctx);
      fields.push([key, leaf]);
      ctx.leafKeys.add([...keyPath, key].join('\u0000'));
      // SNS payload filtering: each array counts its values times the depth of its key.
      combinations *= value.length * depth;
    } else if (isPlainObject(value)) {
      const child = compileObject(value, fieldSteps, [...keyPath, key], depth + 1, insideOr, ctx);
      fields.push([key, child.node]);
      combinations *= child.combinations;
    } else {
      const hint =
        typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null
          ? `; wrap match values in an array, like [${JSON.stringify(value)}]`
          : '';
      fail(
        ctx,
        fieldSteps,
        `expected an array of match values or a nested object, got ${describeValue(value)}${hint}`,
      );
    }
  }

  const children = fields.map(([, node]) => node);
  const satisfiedByAbsence =
    children.every((c) => (c.kind === 'leaf' ? c.existsFalse : c.satisfiedByAbsence)) &&
    orGroups.every((group) => group.some((b) => b.satisfiedByAbsence));
  const onlyAbsence =
    children.every((c) => c.onlyAbsence) && orGroups.every((group) => group.every((b) => b.onlyAbsence));
  return { node: { kind: 'object', fields, orGroups, satisfiedByAbsence, onlyAbsence }, combinations };
}

function compileOr(
  value: unknown,
  steps: readonly PathStep[],
  keyPath: readonly string[],
  depth: number,
  ctx: CompileContext,
): { branches: CompiledObject[]; sum: number } {
  const orSteps = [...steps, '$or'];
  // Assumption: AWS documents that a malformed "$or" is read as a plain field named "$or". That
  // silently matches nothing on real events, so we reject it instead (as event-ruler's
  // JsonRuleCompiler does).
  if (!Array.isArray(value) || value.length < 2) {
    fail(ctx, orSteps, `"$or" must be an array of at least two objects, got ${describeValue(value)}`);
  }
  const branches: CompiledObject[] = [];
  let sum = 0;
  value.forEach((branch, index) => {
    const branchSteps = [...steps, { orBranch: index }];
    if (!isPlainObject(branch)) {
      fail(ctx, branchSteps, `each "$or" branch must be an object, got ${describeValue(branch)}`);
    }
    const compiled = compileObject(branch, branchSteps, keyPath, depth, true, ctx);
    branches.push(compiled.node);
    sum += compiled.combinations;
  });
  return { branches, sum };
}
