import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import type { Panel, RecordsQuery, TimeBin } from '../../../../dashboards/panels/panel-types.js';
import { rollupDashboards } from '../../../../dashboards/panels/report-panels.js';
import { postgresqlRecordsRows } from '../../../../dashboards/renderers/postgresql-panel-rows.js';
import { renderPostgresqlSql } from '../../../../dashboards/renderers/postgresql-sql.js';
import type { RecordsPanelRow } from '../../../../schemas/api/index.js';
import { BASE_MS, DAY } from '../../rollups/support/random-records.js';
import { type RawRow, rawPanel } from '../../rollups/support/raw-panel.js';
import { panelRecords } from './support/panel-records.js';
import { openPgRecords, type PgTwin } from './support/twin-stores.js';

// Times before 1970 (negative epoch ms): PostgreSQL's and SQLite's `/` truncate toward zero, so
// both renderers bin by floor (a positive modulo). The reference here is the brute-force `rawPanel`
// of the rollup tests (local-sql's rules, bins by `binStartOf`).

const HOUR = 3_600_000;
const SHIFT_MS = -(BASE_MS + 20 * DAY);
const WINDOWS: readonly (readonly [string, number, number])[] = [
  ['both sides of 1970', -40 * DAY, 40 * DAY],
  ['ending before 1970', -9 * DAY - 7 * HOUR - 3, -HOUR - 11],
  ['across the epoch', -2 * DAY - 5 * HOUR, DAY + 3 * HOUR],
];
const BINS: readonly TimeBin[] = ['1h', '1d', '1w'];

const panels = rollupDashboards(CELL_TOPOLOGY)
  .flatMap((set) => set.panels)
  .filter((p): p is Panel & { query: RecordsQuery } => p.query.source === 'records');

/** A panel row and a raw row in one comparable shape: bin, groups, value (money as bigint). */
function comparable(row: RecordsPanelRow | RawRow, query: RecordsQuery): string {
  const groups = 'groups' in row ? row.groups : Object.fromEntries(query.groupBy.map((g) => [g, row[g]]));
  const value = 'amountMinor' in row && row.amountMinor !== undefined ? BigInt(row.amountMinor) : row.value;
  return JSON.stringify([row.binStartMs ?? null, groups, typeof value === 'bigint' ? `${value}n` : value]);
}

describe('renderPostgresqlSql before 1970', () => {
  let pg: PgTwin;
  const { records, rollupRecords } = panelRecords(19, 250, SHIFT_MS);

  beforeAll(async () => {
    pg = await openPgRecords(records);
  }, 120_000);

  afterAll(async () => {
    await pg?.db.close();
  });

  it('holds records on both sides of the epoch', () => {
    expect(records.some((r) => r.record.timeMs < 0)).toBe(true);
    expect(records.some((r) => r.record.timeMs > 0)).toBe(true);
  });

  it.each(panels.map((p) => [p.id, p] as const))(
    'answers panel %s as the brute-force reference',
    async (_id, panel) => {
      let compared = 0;
      for (const [name, fromMs, toMs] of WINDOWS) {
        for (const bin of panel.query.timeBin && panel.query.timeField !== 'dueDate' ? BINS : [undefined]) {
          // Prepare
          const query: RecordsQuery = { ...panel.query, ...(bin ? { timeBin: bin } : {}) };
          const { sql, params } = renderPostgresqlSql(query, CELL_TOPOLOGY);

          // Act
          const rows = await pg.rows(sql, { cell: null, ...params, from_ms: fromMs, to_ms: toMs });
          const actual = postgresqlRecordsRows(query, rows).map((r) => comparable(r, query));
          const expected = rawPanel(rollupRecords, query, { fromMs, toMs, ...(bin ? { bin } : {}) }).map(
            (r) => comparable(r, query),
          );

          // Assess
          expect(actual.sort(), `${name}, bin ${bin ?? 'none'}`).toEqual(expected.sort());
          compared += actual.length;
        }
      }
      expect(compared).toBeGreaterThan(0);
    },
  );
});
