import type { Statement } from 'better-sqlite3';
import type { TimeBin } from '../../../dashboards/panels/panel-types.js';
import { binExpression } from '../../../dashboards/renderers/local-sql.js';
import type { SegmentRun } from '../../../dashboards/rollups/window-plan.js';
import type { DatabaseHandle } from './db.js';

/**
 * What the grouped rollup readers (`percentile-reader.ts`, `count-reader.ts`) share: a window's
 * segment runs as one `UNION ALL` of primary-key range reads of `rollup_rows` (as
 * `rollup-reader.ts` reads one run), their parameters, the panel-bin column, and statements
 * prepared once per connection and query shape.
 *
 * @example
 * const sql = `SELECT pb, sum(n) FROM (${rollupRunsSql(`${panelBinColumn('5m')} AS pb, count AS n`, 2)}) GROUP BY pb`;
 * statements.of(db, '2|5m', () => sql).all(...rollupRunParams(spec.id, runs));
 */

/** `runs` range reads of `rollup_rows` selecting `columns`, joined by `UNION ALL`. */
export function rollupRunsSql(columns: string, runs: number): string {
  const range = `SELECT ${columns} FROM rollup_rows
    WHERE spec_id = ? AND tier = ? AND bin_start_ms >= ? AND bin_start_ms < ?`;
  return Array.from({ length: runs }, () => range).join('\n  UNION ALL ');
}

/** The parameters of {@link rollupRunsSql} for a spec's segment runs. */
export function rollupRunParams(specId: string, runs: readonly SegmentRun[]): (string | number)[] {
  return runs.flatMap((r) => [specId, r.tier, r.fromMs, r.toMs]);
}

/** `bin_start_ms` floored to the panel bin (`local-sql.ts`); `NULL` for an unbinned panel. */
export function panelBinColumn(panelBin: TimeBin | undefined): string {
  return panelBin === undefined ? 'NULL' : binExpression('bin_start_ms', panelBin);
}

/**
 * Raw statements prepared once per connection and shape key; `onConnection` runs once for each
 * connection before its first statement (e.g. to register an aggregate function).
 */
export class StatementsByShape<Row> {
  readonly #byDb = new WeakMap<DatabaseHandle, Map<string, Statement<unknown[], Row>>>();
  readonly #onConnection: ((db: DatabaseHandle) => void) | undefined;

  constructor(onConnection?: (db: DatabaseHandle) => void) {
    this.#onConnection = onConnection;
  }

  of(db: DatabaseHandle, shape: string, sql: () => string): Statement<unknown[], Row> {
    let byShape = this.#byDb.get(db);
    if (!byShape) {
      this.#onConnection?.(db);
      byShape = new Map();
      this.#byDb.set(db, byShape);
    }
    let statement = byShape.get(shape);
    if (!statement) {
      statement = db.prepare<unknown[], Row>(sql()).raw(true);
      byShape.set(shape, statement);
    }
    return statement;
  }
}
