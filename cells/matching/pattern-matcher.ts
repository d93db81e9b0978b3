import type { CompiledLeaf, CompiledMatcher, CompiledObject } from './compiled-node.js';
import { isPlainObject } from './is-plain-object.js';

// Matching is the hot path: no allocation beyond lower-casing for *-ignore-case, no JSON parsing.

const PRESENT = 1;
const MATCHED = 2;

/**
 * EventBridge semantics: the event must be a JSON object; fields ANDed, `$or` groups, arrays of
 * values match when any element does, arrays of objects match element by element.
 *
 * @example
 * new EventMatcher(compiled.node).matches(busEvent);
 */
export class EventMatcher implements CompiledMatcher {
  readonly #root: CompiledObject;

  constructor(root: CompiledObject) {
    this.#root = root;
  }

  matches(event: unknown): boolean {
    if (!isPlainObject(event)) return false;
    return matchFields(this.#root, event);
  }
}

/**
 * SNS `MessageBody` semantics: as {@link EventMatcher}, but a body that is not a JSON object, or
 * is an empty object, never matches.
 *
 * @example
 * new MessageBodyMatcher(compiled.node).matches(JSON.parse(snsMessage.Message));
 */
export class MessageBodyMatcher implements CompiledMatcher {
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
