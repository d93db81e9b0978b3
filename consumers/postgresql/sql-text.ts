/**
 * Lexical helpers over PostgreSQL text, for the two places that must see SQL as PostgreSQL does
 * without a parser: the migration runner (the RDS Data API runs one statement per call, so a
 * migration file is split into statements) and executors that bind the Data API's `:name`
 * placeholders. Both must leave string literals, quoted identifiers, dollar-quoted bodies,
 * comments and `::type` casts alone. Pure.
 *
 * @example
 * splitStatements('CREATE TABLE a (x int); -- done\nCREATE INDEX a_x ON a (x);'); // two statements
 * namedPlaceholders("SELECT :id::text, ':not' FROM t"); // [{ name: 'id', start: 7, end: 10 }]
 */

/** A `:name` placeholder in SQL text, by character offsets (`end` exclusive). */
export interface Placeholder {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;

/** The offset just past a quoted run that starts at `i` with `quote` ('' or "" doubles escape it). */
function skipQuoted(sql: string, i: number, quote: string, backslashEscapes: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j];
    if (backslashEscapes && c === '\\') {
      j += 2;
      continue;
    }
    if (c === quote) {
      if (sql[j + 1] === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return sql.length;
}

/** The offset just past a `$tag$ ... $tag$` body starting at `i`, or undefined when `$` starts none. */
function skipDollarQuoted(sql: string, i: number): number | undefined {
  const match = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
  if (!match) return undefined;
  const tag = match[0];
  const close = sql.indexOf(tag, i + tag.length);
  return close === -1 ? sql.length : close + tag.length;
}

/** The offset just past a comment starting at `i`, or undefined when none starts there. */
function skipComment(sql: string, i: number): number | undefined {
  if (sql.startsWith('--', i)) {
    const eol = sql.indexOf('\n', i);
    return eol === -1 ? sql.length : eol + 1;
  }
  if (sql.startsWith('/*', i)) {
    // PostgreSQL block comments nest.
    let depth = 0;
    let j = i;
    while (j < sql.length) {
      if (sql.startsWith('/*', j)) {
        depth++;
        j += 2;
      } else if (sql.startsWith('*/', j)) {
        depth--;
        j += 2;
        if (depth === 0) return j;
      } else j++;
    }
    return sql.length;
  }
  return undefined;
}

/**
 * Walks `sql` and calls `visit` for each character that is code (not inside a literal, quoted
 * identifier or comment); `visit` returns how many characters it consumed (0 = just this one).
 */
function walkCode(sql: string, visit: (i: number) => number): void {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const prev = i > 0 ? (sql[i - 1] as string) : '';
    const skipped =
      skipComment(sql, i) ??
      (c === "'"
        ? skipQuoted(sql, i, "'", /[eE]/.test(prev) && !IDENT_PART.test(sql[i - 2] ?? ''))
        : undefined) ??
      (c === '"' ? skipQuoted(sql, i, '"', false) : undefined) ??
      (c === '$' && !IDENT_PART.test(prev) ? skipDollarQuoted(sql, i) : undefined);
    if (skipped !== undefined) {
      i = skipped;
      continue;
    }
    i += Math.max(1, visit(i));
  }
}

/**
 * The `:name` placeholders of `sql`, in order (a name may repeat). `::` casts, `:=` and colons
 * inside literals, quoted identifiers and comments are not placeholders. Pure.
 *
 * @example
 * namedPlaceholders('SELECT * FROM t WHERE a = :a AND b = CAST(:b AS bigint)').map((p) => p.name); // ['a', 'b']
 */
export function namedPlaceholders(sql: string): Placeholder[] {
  const found: Placeholder[] = [];
  walkCode(sql, (i) => {
    if (sql[i] !== ':') return 0;
    if (sql[i + 1] === ':') return 2; // a cast: skip both colons so `::name` is never a placeholder
    if (sql[i - 1] === ':' || !IDENT_START.test(sql[i + 1] ?? '')) return 0;
    let end = i + 2;
    while (end < sql.length && IDENT_PART.test(sql[end] as string)) end++;
    found.push({ name: sql.slice(i + 1, end), start: i, end });
    return end - i;
  });
  return found;
}

/**
 * Splits SQL text into its statements at top-level semicolons, trimmed, dropping empty ones and
 * ones that are only comments. Pure.
 *
 * @example
 * splitStatements("INSERT INTO t VALUES ('a;b'); SELECT 1;"); // ["INSERT INTO t VALUES ('a;b')", 'SELECT 1']
 */
export function splitStatements(sql: string): string[] {
  const cuts: number[] = [];
  walkCode(sql, (i) => {
    if (sql[i] === ';') cuts.push(i);
    return 0;
  });
  const statements: string[] = [];
  let from = 0;
  for (const cut of [...cuts, sql.length]) {
    const text = sql.slice(from, cut).trim();
    from = cut + 1;
    if (text !== '' && hasCode(text)) statements.push(text);
  }
  return statements;
}

/** True when `sql` has anything but whitespace and comments. */
function hasCode(sql: string): boolean {
  let code = false;
  walkCode(sql, (i) => {
    if (!/\s/.test(sql[i] as string)) code = true;
    return 0;
  });
  return code;
}
