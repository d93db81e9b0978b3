import { describe, expect, it } from 'vitest';
import { namedPlaceholders, splitStatements } from '../../../consumers/postgresql/sql-text.js';

describe('namedPlaceholders', () => {
  it('finds :name placeholders but not casts, literals, quoted identifiers, dollar quotes or comments', () => {
    // Prepare
    const sql = `SELECT :a::text, CAST(:b AS bigint), ':x', E'\\' :y', "col:z", $$ :w $$, $q$ :v $q$ -- :u
      /* :t /* :s */ */ FROM t WHERE c = :a AND d=:c_2`;

    // Act
    const names = namedPlaceholders(sql).map((p) => p.name);

    // Assess
    expect(names).toEqual(['a', 'b', 'a', 'c_2']);
  });

  it('reports offsets that cut exactly the placeholder', () => {
    // Act
    const [p] = namedPlaceholders('WHERE id = :id;');

    // Assess
    expect(p).toEqual({ name: 'id', start: 11, end: 14 });
  });
});

describe('splitStatements', () => {
  it('splits at top-level semicolons only and drops empty and comment-only pieces', () => {
    // Prepare
    const sql = `-- header; not a cut
CREATE TABLE a (x text DEFAULT ';');
CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
/* trailing; comment */ ;
`;

    // Act
    const statements = splitStatements(sql);

    // Assess
    expect(statements).toEqual([
      "-- header; not a cut\nCREATE TABLE a (x text DEFAULT ';')",
      'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql',
    ]);
  });
});
