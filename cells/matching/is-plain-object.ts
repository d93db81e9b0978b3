/**
 * True for a JSON object (not null, not an array): a pattern's nested object, an operator object,
 * or an event's object node. Pure.
 *
 * @example
 * isPlainObject({ prefix: 'a' }); // true
 * isPlainObject(['a']); // false
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
