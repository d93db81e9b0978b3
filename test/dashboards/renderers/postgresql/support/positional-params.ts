/**
 * The test side of the named parameters (`consumers/postgresql/queries/named-params.ts`): the RDS
 * Data API binds `:name`; PGlite (like pg) binds `$n`. Each distinct name becomes one `$n`, used
 * wherever the name appears, so `:cell` twice in the SQL is one value. A name without a value is
 * an error, not a silent NULL.
 *
 * @example
 * toPositional('SELECT CAST(:a AS bigint) + CAST(:a AS bigint)', { a: 1 });
 * // { sql: 'SELECT CAST($1 AS bigint) + CAST($1 AS bigint)', values: [1] }
 */

export type NamedValues = Readonly<Record<string, string | number | bigint | null | undefined>>;

export interface PositionalSql {
  readonly sql: string;
  readonly values: (string | number | bigint | null)[];
}

/** Thrown when the SQL names a parameter the caller gave no value for. */
export class MissingParameterError extends Error {
  constructor(name: string) {
    super(`no value for parameter :${name}`);
    this.name = 'MissingParameterError';
  }
}

// A name after a single colon; `::type` casts (which the renderers do not write) are left alone.
const NAMED = /(?<![:\w]):([a-z_][a-z0-9_]*)/g;

export function toPositional(sql: string, named: NamedValues): PositionalSql {
  const positions = new Map<string, number>();
  const values: (string | number | bigint | null)[] = [];
  const text = sql.replace(NAMED, (_match, name: string) => {
    let position = positions.get(name);
    if (position === undefined) {
      const value = named[name];
      if (value === undefined) throw new MissingParameterError(name);
      values.push(value);
      position = values.length;
      positions.set(name, position);
    }
    return `$${position}`;
  });
  return { sql: text, values };
}
