import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../cells/topology.js';
import { applyMigrations } from '../../consumers/postgresql/migrations.js';
import { DASHBOARDS } from '../../dashboards/panels/panels.js';
import {
  auroraPanelSql,
  bindNamedParams,
  POSTGRESQL_NOW_MS,
  quickSightParamValues,
} from '../../stacks/quicksight-aurora-sql.js';
import {
  type QuickSightPanel,
  quickSightPanels,
  timestreamColumns,
} from '../../stacks/quicksight-definition.js';
import { PgliteExecutor } from '../support/pglite-executor.js';

const CELL = 'us-east-2';
const ITEMS: readonly QuickSightPanel[] = quickSightPanels(DASHBOARDS);

describe('auroraPanelSql', () => {
  describe('quickSightParamValues', () => {
    it('binds the window to the last n whole days before now, the cell, and the fixed filters', () => {
      const values = quickSightParamValues({ stage: 'posting' }, { cell: "o'cell", lookbackDays: 7 });
      expect(values).toEqual({
        from_ms: `(${POSTGRESQL_NOW_MS} - 604800000)`,
        to_ms: POSTGRESQL_NOW_MS,
        now_ms: POSTGRESQL_NOW_MS,
        cell: "'o''cell'",
        stage: "'posting'",
      });
    });

    it('rejects a look-back that is not a positive whole number of days', () => {
      expect(() => quickSightParamValues({}, { cell: CELL, lookbackDays: 0 })).toThrow(
        'quicksight lookbackDays must be a positive integer, got 0',
      );
    });
  });

  describe('bindNamedParams', () => {
    it('replaces named parameters but not casts or text', () => {
      expect(bindNamedParams("SELECT CAST(:a AS text), x::int, 'b' FROM t", { a: "'v'" })).toBe(
        "SELECT CAST('v' AS text), x::int, 'b' FROM t",
      );
    });

    it('throws on a parameter without a value', () => {
      expect(() => bindNamedParams('SELECT :missing', {})).toThrow('no value for parameter :missing');
    });
  });

  describe('data set SQL on PostgreSQL', () => {
    it('runs every panel on a migrated database and returns the declared columns', async () => {
      // Prepare: one record per stage, an hour old
      const executor = await PgliteExecutor.create();
      try {
        await applyMigrations(executor);
        const hourAgo = 'CAST(floor(EXTRACT(EPOCH FROM now()) * 1000) AS bigint) - 3600000';
        for (const [order, stage] of CELL_TOPOLOGY.stages.entries()) {
          await executor.execute(
            `INSERT INTO records (event_id, measure_name, time_ms, cell, region, stage, stage_order, invoice_id,
               vendor_id, currency, version, status, amount_minor, vendor_name, received_at_ms, due_date_ms,
               payment_terms_days, stored_at_ms)
             SELECT 'evt-${order}', 'invoice_event', t, '${CELL}', '${CELL}', '${stage.name}', ${order}, 'INV-1',
               'V-1', 'EUR', 1, 'received', 12345, 'Vendor', t, t + CAST(2592000000 AS bigint), 30, t + 1000
             FROM (SELECT ${hourAgo} AS t) AS now_ms`,
          );
        }
        let answered = 0;

        // Act + Assess
        for (const item of ITEMS) {
          const sql = auroraPanelSql(item.query, { topology: CELL_TOPOLOGY, cell: CELL, lookbackDays: 30 });
          const { rows } = await executor.execute(sql);
          if (rows.length > 0) answered += 1;
          for (const row of rows) {
            expect(Object.keys(row), item.panel.id).toEqual(timestreamColumns(item.query).map((c) => c.name));
          }
        }
        expect(answered).toBeGreaterThan(ITEMS.length / 2);
      } finally {
        await executor.close();
      }
    });
  });
});
