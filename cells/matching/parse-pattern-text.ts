import { describeValue, PatternError } from './pattern-error.js';

/**
 * Parses the raw JSON text of an event pattern or filter policy (a file, a CLI argument, an SNS
 * `FilterPolicy` attribute) and turns a syntax error into a {@link PatternError} that says which
 * document was broken. It only parses: pass the result to `compileEventPattern` or
 * `compileFilterPolicy` to validate it.
 *
 * @param what - how to call the document in the message, e.g. `'event pattern'` or `'filter policy'`.
 *
 * @example
 * const pattern = compileEventPattern(parsePatternText(fileText, 'event pattern of rule "to-issued"'));
 * // throws PatternError: event pattern of rule "to-issued" is not valid JSON: Unexpected token ...
 */
export function parsePatternText(text: string, what = 'event pattern'): unknown {
  if (typeof text !== 'string') {
    throw new PatternError(`${what} must be JSON text, got ${describeValue(text)}`);
  }
  if (text.trim() === '') {
    throw new PatternError(`${what} is empty; expected a JSON object like {"source": ["invoices"]}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new PatternError(`${what} is not valid JSON: ${reason}`);
  }
}
