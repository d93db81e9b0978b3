import { compileWildcard } from './compile-wildcard.js';
import { inCidr, parseCidr } from './parse-cidr.js';
import { describeValue, formatPath, type PathStep, PatternError } from './pattern-error.js';

/**
 * A validated, precompiled pattern. `matches` never throws and never re-parses JSON: give it the
 * already parsed event (EventBridge) or message body (SNS `MessageBody` scope).
 *
 * @example
 * const rule = compileEventPattern({ source: ['invoices'], detail: { stage: ['issued'] } });
 * rule.matches({ source: 'invoices', detail: { stage: 'issued' } }); // true
 */
export interface CompiledMatcher {
  matches(event: unknown): boolean;
}

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
const OPERATORS: readonly string[] = [
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
];
const ANYTHING_BUT_OPERATORS: readonly string[] = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'];
const NUMERIC_OPERATORS: ReadonlySet<string> = new Set(['<', '<=', '=', '>', '>=']);

type StringTest = (value: string) => boolean;
type NumberTest = (value: number) => boolean;

/** The list of alternatives for one field: `"state": ["a", {"prefix": "b"}, {"exists": false}]`. */
interface CompiledLeaf {
  readonly kind: 'leaf';
  readonly existsTrue: boolean;
  readonly existsFalse: boolean;
  readonly exactStrings: ReadonlySet<string> | undefined;
  readonly exactNumbers: ReadonlySet<number> | undefined;
  readonly matchNull: boolean;
  readonly matchTrue: boolean;
  readonly matchFalse: boolean;
  readonly stringTests: readonly StringTest[];
  readonly numberTests: readonly NumberTest[];
  /**
   * A string-valued anything-but is in the list. Ruler compares JSON text, so a number, boolean or
   * null is never one of the excluded strings and matches it.
   */
  readonly nonStringsMatch: boolean;
  /** SNS exists semantics: null and "" do not count as present. */
  readonly emptyIsAbsent: boolean;
  /** Only `{"exists": false}` alternatives: satisfied by absence and by nothing else. */
  readonly onlyAbsence: boolean;
}

/** A nested object of the pattern: fields ANDed, plus `$or` groups of alternative objects. */
interface CompiledObject {
  readonly kind: 'object';
  readonly fields: readonly (readonly [string, CompiledNode])[];
  readonly orGroups: readonly (readonly CompiledObject[])[];
  /** Matches a missing (or non-object) event node: every constraint accepts absence. */
  readonly satisfiedByAbsence: boolean;
  /** Every constraint is `{"exists": false}`. */
  readonly onlyAbsence: boolean;
}

type CompiledNode = CompiledLeaf | CompiledObject;

interface Context {
  readonly dialect: Dialect;
  /** Distinct leaf field paths, for the SNS key limit. */
  readonly leafKeys: Set<string>;
}

interface Compiled {
  readonly node: CompiledObject;
  /** SNS complexity: product of (values x depth) per leaf, summed over `$or` branches. */
  readonly combinations: number;
}

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
  const ctx: Context = { dialect, leafKeys: new Set() };
  const { node, combinations } = compileObject(raw, [], [], 1, false, ctx);
  const matcher: CompiledMatcher =
    dialect.service === 'SNS' ? new MessageBodyMatcher(node) : new EventMatcher(node);
  return { matcher, leafKeyCount: ctx.leafKeys.size, combinations };
}

// ---------------------------------------------------------------------------------------------
// Compilation (validation happens here, once).
// ---------------------------------------------------------------------------------------------

function compileObject(
  raw: Record<string, unknown>,
  steps: readonly PathStep[],
  keyPath: readonly string[],
  depth: number,
  insideOr: boolean,
  ctx: Context,
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
  ctx: Context,
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

interface LeafParts {
  existsTrue: boolean;
  existsFalse: boolean;
  exactStrings: Set<string> | undefined;
  exactNumbers: Set<number> | undefined;
  matchNull: boolean;
  matchTrue: boolean;
  matchFalse: boolean;
  stringTests: StringTest[];
  numberTests: NumberTest[];
  nonStringsMatch: boolean;
  onlyAbsence: boolean;
}

function compileLeaf(values: readonly unknown[], steps: readonly PathStep[], ctx: Context): CompiledLeaf {
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

function compileOperator(
  expr: Record<string, unknown>,
  steps: readonly PathStep[],
  ctx: Context,
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
    case 'suffix': {
      const affix = op === 'prefix';
      if (typeof arg === 'string') {
        parts.stringTests.push(affix ? (s) => s.startsWith(arg) : (s) => s.endsWith(arg));
        return;
      }
      if (isPlainObject(arg) && Object.keys(arg).length === 1 && 'equals-ignore-case' in arg) {
        if (!d.supportsIgnoreCaseAffixes) unsupported(ctx, steps, `${op}/equals-ignore-case`);
        const inner = arg['equals-ignore-case'];
        if (typeof inner !== 'string') {
          fail(
            ctx,
            steps,
            `"${op}": {"equals-ignore-case": ...} needs a string, got ${describeValue(inner)}`,
          );
        }
        const lower = inner.toLowerCase();
        parts.stringTests.push(
          affix ? (s) => s.toLowerCase().startsWith(lower) : (s) => s.toLowerCase().endsWith(lower),
        );
        return;
      }
      const alt = d.supportsIgnoreCaseAffixes ? ' or {"equals-ignore-case": "..."}' : '';
      fail(ctx, steps, `"${op}" needs a string${alt}, got ${describeValue(arg)}`);
      return;
    }
    case 'equals-ignore-case': {
      if (typeof arg !== 'string') {
        fail(ctx, steps, `"equals-ignore-case" needs a string, got ${describeValue(arg)}`);
      }
      const lower = arg.toLowerCase();
      parts.stringTests.push((s) => s.toLowerCase() === lower);
      return;
    }
    case 'wildcard': {
      if (!d.supportsWildcard) unsupported(ctx, steps, 'wildcard');
      parts.stringTests.push(compileWildcardArg(arg, steps, ctx));
      return;
    }
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
    case 'cidr': {
      if (typeof arg !== 'string') {
        fail(ctx, steps, `"cidr" needs a string like "10.0.0.0/24", got ${describeValue(arg)}`);
      }
      const range = parseCidr(arg);
      if (typeof range === 'string') fail(ctx, steps, range);
      parts.stringTests.push((s) => inCidr(range, s));
      return;
    }
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

function supportedOperators(d: Dialect): string[] {
  return OPERATORS.filter((o) => o !== 'wildcard' || d.supportsWildcard);
}

function compileWildcardArg(arg: unknown, steps: readonly PathStep[], ctx: Context): StringTest {
  if (typeof arg !== 'string') {
    fail(ctx, steps, `"wildcard" needs a string like "dir/*.png", got ${describeValue(arg)}`);
  }
  const test = compileWildcard(arg);
  if (typeof test === 'string') fail(ctx, steps, test);
  return test;
}

function compileAnythingBut(arg: unknown, steps: readonly PathStep[], ctx: Context, parts: LeafParts): void {
  const d = ctx.dialect;
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
  if (isPlainObject(arg)) {
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
    parts.stringTests.push(anythingButStringTest(inner, list, steps, ctx));
    parts.nonStringsMatch = true;
    return;
  }
  fail(
    ctx,
    steps,
    `"anything-but" needs a string, a number, a list of strings or of numbers, or an operator object like {"prefix": "init"}, got ${describeValue(arg)}`,
  );
}

function anythingButStringTest(
  inner: string,
  list: readonly string[],
  steps: readonly PathStep[],
  ctx: Context,
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

function compileNumeric(arg: unknown, steps: readonly PathStep[], ctx: Context): NumberTest {
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
  ctx: Context,
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

function requireFiniteNumber(value: number, steps: readonly PathStep[], ctx: Context): void {
  if (!Number.isFinite(value)) fail(ctx, steps, `match numbers must be finite, got ${String(value)}`);
}

function fail(ctx: Context, steps: readonly PathStep[], problem: string): never {
  const path = formatPath(ctx.dialect.root, steps);
  throw new PatternError(`${path}: ${problem}`, path);
}

function unsupported(ctx: Context, steps: readonly PathStep[], operator: string): never {
  const path = formatPath(ctx.dialect.root, steps);
  throw new PatternError(
    `unsupported operator ${JSON.stringify(operator)} in ${withArticle(`${ctx.dialect.service} ${ctx.dialect.document}`)} at ${path}`,
    path,
  );
}

/** "an event pattern", "a filter policy", "an SNS filter policy" (SNS is read "ess-en-ess"). */
function withArticle(noun: string): string {
  return /^([aeiou]|SNS)/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Matching (hot path: no allocation beyond lower-casing for *-ignore-case, no JSON parsing).
// ---------------------------------------------------------------------------------------------

const PRESENT = 1;
const MATCHED = 2;

class EventMatcher implements CompiledMatcher {
  readonly #root: CompiledObject;

  constructor(root: CompiledObject) {
    this.#root = root;
  }

  matches(event: unknown): boolean {
    if (!isPlainObject(event)) return false;
    return matchFields(this.#root, event);
  }
}

class MessageBodyMatcher implements CompiledMatcher {
  readonly #root: CompiledObject;

  constructor(root: CompiledObject) {
    this.#root = root;
  }

  matches(body: unknown): boolean {
    // SNS payload filtering needs a JSON object body; anything else is never delivered.
    if (!isPlainObject(body)) return false;
    // SNS key matching: "exists": false only matches when at least one attribute exists; an empty
    // set never matches. Assumption: the same holds for an empty body object.
    if (!hasOwnKey(body)) return false;
    return matchFields(this.#root, body);
  }
}

function hasOwnKey(record: Record<string, unknown>): boolean {
  for (const key in record) if (Object.hasOwn(record, key)) return true;
  return false;
}

function matchFields(obj: CompiledObject, record: Record<string, unknown>): boolean {
  for (const [key, child] of obj.fields) {
    const value = Object.hasOwn(record, key) ? record[key] : undefined;
    const ok = child.kind === 'leaf' ? leafMatches(child, value) : matchObject(child, value);
    if (!ok) return false;
  }
  for (const group of obj.orGroups) {
    let any = false;
    for (const branch of group) {
      if (matchFields(branch, record)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

/** A nested pattern object against whatever the event has at that key. */
function matchObject(obj: CompiledObject, value: unknown): boolean {
  if (value === null || typeof value !== 'object') return obj.satisfiedByAbsence;
  if (!Array.isArray(value)) return matchFields(obj, value as Record<string, unknown>);
  // Array of objects: all fields must come from the same element (Ruler's rulesForJSONEvent
  // "array consistency"). A pattern made only of "exists": false has nothing to pin an element,
  // so, like Ruler, it needs the field to be absent from every element.
  let sawObject = false;
  if (obj.onlyAbsence) {
    return !someElement(value, (el) => isPlainObject(el) && !matchFields(obj, el));
  }
  const found = someElement(value, (el) => {
    if (!isPlainObject(el)) return false;
    sawObject = true;
    return matchFields(obj, el);
  });
  return found || (!sawObject && obj.satisfiedByAbsence);
}

function leafMatches(leaf: CompiledLeaf, value: unknown): boolean {
  const flags = Array.isArray(value) ? scanArray(leaf, value) : scanScalar(leaf, value);
  if (flags & MATCHED) return true;
  return flags & PRESENT ? leaf.existsTrue : leaf.existsFalse;
}

/** A pattern value matches an event array if it matches any element (nested arrays flattened). */
function scanArray(leaf: CompiledLeaf, array: readonly unknown[]): number {
  let flags = 0;
  someElement(array, (el) => {
    flags |= scanScalar(leaf, el);
    return (flags & MATCHED) !== 0;
  });
  return flags;
}

/**
 * PRESENT and/or MATCHED for one non-array event value. Objects are not leaf values ("exists only
 * works on leaf nodes"), undefined is absence.
 */
function scanScalar(leaf: CompiledLeaf, value: unknown): number {
  switch (typeof value) {
    case 'string': {
      const present = leaf.emptyIsAbsent && value === '' ? 0 : PRESENT;
      if (leaf.exactStrings?.has(value)) return present | MATCHED;
      for (const test of leaf.stringTests) if (test(value)) return present | MATCHED;
      return present;
    }
    case 'number': {
      if (leaf.exactNumbers?.has(value) || leaf.nonStringsMatch) return PRESENT | MATCHED;
      for (const test of leaf.numberTests) if (test(value)) return PRESENT | MATCHED;
      return PRESENT;
    }
    case 'boolean':
      return PRESENT | ((value ? leaf.matchTrue : leaf.matchFalse) || leaf.nonStringsMatch ? MATCHED : 0);
    case 'object':
      if (value !== null) return 0;
      return (leaf.emptyIsAbsent ? 0 : PRESENT) | (leaf.matchNull || leaf.nonStringsMatch ? MATCHED : 0);
    default:
      return 0;
  }
}

/**
 * Visits the non-array elements of a possibly nested array until `visit` returns true. Iterative,
 * so a deeply nested event cannot exhaust the stack (matches must never throw).
 */
function someElement(array: readonly unknown[], visit: (element: unknown) => boolean): boolean {
  let pending: (readonly unknown[])[] | undefined;
  let current: readonly unknown[] | undefined = array;
  while (current !== undefined) {
    for (const el of current) {
      if (Array.isArray(el)) {
        pending ??= [];
        pending.push(el);
      } else if (visit(el)) {
        return true;
      }
    }
    current = pending?.pop();
  }
  return false;
}
