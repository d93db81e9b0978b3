/**
 * The one error every matcher compiler throws for a pattern or policy AWS would reject (or that we
 * refuse because it would silently match nothing). The message names the problem and, when there is
 * one, the JSON path of the offending part, so an operator can fix the rule from the message alone.
 *
 * @example
 * try {
 *   compileEventPattern({ detail: { amount: [{ numeric: '>' }] } });
 * } catch (err) {
 *   if (err instanceof PatternError) console.error(err.message);
 *   // pattern.detail.amount: "numeric" needs an operator list like [">", 0]
 * }
 */
export class PatternError extends Error {
  /** JSON path of the offending part (`pattern.detail.amount`), or undefined for whole-pattern limits. */
  readonly path: string | undefined;

  constructor(message: string, path?: string) {
    super(message);
    this.name = 'PatternError';
    this.path = path;
  }
}

/** One step of a path inside a pattern: a field name, or the index of a `$or` branch. */
export type PathStep = string | { readonly orBranch: number };

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/** Renders `root` + steps as `pattern.detail.amount`, `policy.$or[1].store`, `pattern["a.b"]`. */
export function formatPath(root: string, steps: readonly PathStep[]): string {
  let out = root;
  for (const step of steps) {
    if (typeof step === 'string') {
      // Keys with dots or spaces would read as nesting; quote them so the path stays unambiguous.
      out += PLAIN_KEY.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
    } else {
      out += `.$or[${step.orBranch}]`;
    }
  }
  return out;
}

/** A short, JSON-ish description of a value for error messages (`"running"`, `5`, `an array`). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function' || typeof value === 'symbol') return `a ${typeof value}`;
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}
