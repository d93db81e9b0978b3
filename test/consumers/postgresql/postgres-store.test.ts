import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { PostgresStore } from '../../../consumers/postgresql/postgres-store.js';
import type { SqlExecutor } from '../../../consumers/postgresql/sql-executor.js';
import type { InvoiceRecord } from '../../../consumers/record.js';
import { TransientStoreError } from '../../../consumers/store.js';
import { cellRollups } from '../../../dashboards/rollups/cell-rollups.js';
import { recordOf } from '../../dashboards/support/cell-db.js';
import { openTestPgStore, storeDump, type TestPgStore } from './support/pg-store.js';

const T = Date.UTC(2026, 0, 7, 10, 30);
const INT64_MAX = (2n ** 63n - 1n).toString();
const INT64_MIN = (-(2n ** 63n)).toString();

function withMeasures(record: InvoiceRecord, measures: Partial<InvoiceRecord['measures']>): InvoiceRecord {
  return { ...record, measures: { ...record.measures, ...measures } };
}

describe('PostgresStore', () => {
  let pg: TestPgStore;

  beforeAll(async () => {
    pg = await openTestPgStore();
  });

  afterAll(async () => {
    await pg.close();
  });

  beforeEach(async () => {
    await pg.reset();
    pg.clock.set(T + 5_000);
  });

  describe('writeRecords', () => {
    it('stores a batch once when the same batch is written again, rollups included', async () => {
      // Prepare
      const batch = [
        recordOf({ eventId: 'e1', invoiceId: 'INV-1', stage: 'ingestion', timeMs: T }),
        recordOf({ eventId: 'e2', invoiceId: 'INV-1', stage: 'reconciliation', timeMs: T + 60_000 }),
        recordOf({ eventId: 'e3', invoiceId: 'INV-2', stage: 'ingestion', timeMs: T, amountMinor: '250' }),
      ];
      const first = await pg.store.writeRecords(batch);
      const afterFirst = await storeDump(pg.executor);

      // Act
      pg.clock.set(T + 3_600_000);
      const second = await pg.store.writeRecords(batch);

      // Assess
      expect(first.rejected).toEqual([]);
      expect(second.rejected).toEqual([]);
      expect(await storeDump(pg.executor)).toEqual(afterFirst);
      expect(afterFirst.records).toHaveLength(3);
      expect(afterFirst.rollup_rows?.length).toBeGreaterThan(10);
      expect(afterFirst.invoice_state).toHaveLength(2);
    });

    it('rejects a different record under a stored eventId, not retryable, naming the eventId', async () => {
      // Prepare
      const stored = recordOf({ eventId: 'e1', invoiceId: 'INV-1', stage: 'ingestion', timeMs: T });
      await pg.store.writeRecords([stored]);
      const before = await storeDump(pg.executor);
      const changed = withMeasures(stored, { amountMinor: '999' });
      const other = recordOf({ eventId: 'e9', invoiceId: 'INV-9', stage: 'ingestion', timeMs: T });

      // Act
      const result = await pg.store.writeRecords([other, changed]);

      // Assess
      expect(result.rejected).toEqual([
        {
          index: 1,
          reason: 'a different record with the same event id (e1) is already stored',
          retryable: false,
        },
      ]);
      const after = await storeDump(pg.executor);
      expect(after.records).toHaveLength(2);
      expect(after.records?.filter((r) => r.includes('"e1"'))).toEqual(
        before.records?.filter((r) => r.includes('"e1"')),
      );
    });

    it('maps every outcome of a mixed batch back to its exact index', async () => {
      // Prepare
      const stored = recordOf({ eventId: 's1', invoiceId: 'INV-S', stage: 'ingestion', timeMs: T });
      const conflicted = recordOf({ eventId: 's2', invoiceId: 'INV-C', stage: 'ingestion', timeMs: T });
      await pg.store.writeRecords([stored, conflicted]);
      const fresh = recordOf({ eventId: 'n1', invoiceId: 'INV-N', stage: 'ingestion', timeMs: T });
      const batch = [
        fresh, // 0: inserted
        stored, // 1: identical to the stored record: a no-op
        recordOf({ eventId: 'p1', invoiceId: 'INV-P', stage: 'ingestion', timeMs: T, amountMinor: '1e3' }), // 2
        recordOf({ eventId: 'p2', invoiceId: 'INV-P', stage: 'reconciliation', timeMs: T + 1 }), // 3: after 2
        withMeasures(conflicted, { status: 'VALIDATED' }), // 4: conflict
        recordOf({ eventId: 'c2', invoiceId: 'INV-C', stage: 'reconciliation', timeMs: T + 1 }), // 5: after 4
        fresh, // 6: repeat of 0, identical
        withMeasures(recordOf({ eventId: 'n2', invoiceId: 'INV-M', stage: 'ingestion', timeMs: T }), {}), // 7
        withMeasures(recordOf({ eventId: 'n2', invoiceId: 'INV-M', stage: 'ingestion', timeMs: T }), {
          amountMinor: '7',
        }), // 8: same eventId as 7 with other values
        recordOf({
          eventId: 'x1',
          invoiceId: 'INV-X',
          stage: 'ingestion',
          timeMs: T,
          amountMinor: INT64_MAX,
        }), // 9
        recordOf({
          eventId: 'x2',
          invoiceId: 'INV-X2',
          stage: 'ingestion',
          timeMs: T,
          amountMinor: `${INT64_MAX}0`,
        }), // 10
      ];

      // Act
      const result = await pg.store.writeRecords(batch);

      // Assess
      expect(result.rejected).toEqual([
        { index: 2, reason: 'amountMinor "1e3" is not an integer', retryable: false },
        {
          index: 3,
          reason: 'an earlier record of invoice INV-P in this write was refused',
          retryable: false,
        },
        {
          index: 4,
          reason: 'a different record with the same event id (s2) is already stored',
          retryable: false,
        },
        {
          index: 5,
          reason: 'an earlier record of invoice INV-C in this write was refused',
          retryable: false,
        },
        {
          index: 8,
          reason: 'a different record with the same event id (n2) is earlier in this write',
          retryable: false,
        },
        { index: 10, reason: `amountMinor ${INT64_MAX}0 exceeds the BIGINT range`, retryable: false },
      ]);
      const { rows } = await pg.executor.execute('SELECT event_id FROM records ORDER BY event_id');
      expect(rows.map((r) => r.event_id)).toEqual(['n1', 'n2', 's1', 's2', 'x1']);
    });

    it('gives a repeated rejected record the same rejection as its first occurrence', async () => {
      // Prepare
      const stored = recordOf({ eventId: 's1', invoiceId: 'INV-S', stage: 'ingestion', timeMs: T });
      await pg.store.writeRecords([stored]);
      const changed = withMeasures(stored, { status: 'VALIDATED' });

      // Act
      const result = await pg.store.writeRecords([changed, changed]);

      // Assess
      expect(result.rejected.map((r) => r.index)).toEqual([0, 1]);
      expect(result.rejected[1]?.reason).toBe(result.rejected[0]?.reason);
    });

    it('keeps money exact at the BIGINT extremes, and rollup sums beyond them', async () => {
      // Prepare
      const records = [
        recordOf({
          eventId: 'max1',
          invoiceId: 'INV-1',
          stage: 'posting',
          timeMs: T,
          amountMinor: INT64_MAX,
        }),
        recordOf({
          eventId: 'max2',
          invoiceId: 'INV-2',
          stage: 'posting',
          timeMs: T,
          amountMinor: INT64_MAX,
        }),
        recordOf({
          eventId: 'min1',
          invoiceId: 'INV-3',
          stage: 'ingestion',
          timeMs: T,
          amountMinor: INT64_MIN,
        }),
      ];
      // Value by stage and currency: one latest record per invoice and stage, summed per bin.
      const spec = cellRollups(CELL_TOPOLOGY).specs.find((s) => s.panelIds.includes('exec-value-by-stage'));

      // Act
      const result = await pg.store.writeRecords(records);
      const timeline = [...(await pg.store.timeline('INV-1')), ...(await pg.store.timeline('INV-3'))].map(
        (r) => r.measures.amountMinor,
      );
      const aggregate = await pg.store.aggregate({ fromMs: T - 1, toMs: T + 1, binSec: 60 });
      const { rows } = await pg.executor.execute(
        'SELECT DISTINCT money_minor FROM rollup_rows WHERE spec_id = :spec AND key_values = :keys',
        [
          { name: 'spec', value: { stringValue: spec?.id ?? 'missing' } },
          { name: 'keys', value: { stringValue: '["posting","USD"]' } },
        ],
      );

      // Assess
      expect(result.rejected).toEqual([]);
      expect(timeline).toEqual([INT64_MAX, INT64_MIN]);
      expect(aggregate.map((a) => [a.stage, a.events, a.amountMinorSum])).toEqual([
        ['ingestion', 1, INT64_MIN],
        ['posting', 2, (2n * (2n ** 63n - 1n)).toString()],
      ]);
      expect(rows).toEqual([{ money_minor: (2n * (2n ** 63n - 1n)).toString() }]);
    });

    it('leaves no record, rollup or invoice state behind when the transaction fails, and counts once on retry', async () => {
      // Prepare
      const failing: SqlExecutor = {
        execute: (sql, params, options) =>
          /INSERT INTO rollup_latest/.test(sql)
            ? Promise.reject(new TransientStoreError('connection lost'))
            : pg.executor.execute(sql, params, options),
        batchExecute: (sql, sets, options) => pg.executor.batchExecute(sql, sets, options),
        begin: () => pg.executor.begin(),
        commit: (id) => pg.executor.commit(id),
        rollback: (id) => pg.executor.rollback(id),
      };
      const batch = [recordOf({ eventId: 'e1', invoiceId: 'INV-1', stage: 'ingestion', timeMs: T })];
      const empty = await storeDump(pg.executor);

      // Act
      const error = await new PostgresStore(failing, { topology: CELL_TOPOLOGY, clock: pg.clock })
        .writeRecords(batch)
        .catch((e: unknown) => e);
      const afterFailure = await storeDump(pg.executor);
      await pg.store.writeRecords(batch);
      const once = await storeDump(pg.executor);
      await pg.store.writeRecords(batch);

      // Assess
      expect(error).toBeInstanceOf(TransientStoreError);
      expect(afterFailure).toEqual(empty);
      expect(once.records).toHaveLength(1);
      expect(await storeDump(pg.executor)).toEqual(once);
    });

    it('sends every statement as one statement with Data API named parameters', async () => {
      // Act
      await pg.store.writeRecords([
        recordOf({ eventId: 'e1', invoiceId: 'INV-1', stage: 'ingestion', timeMs: T }),
      ]);

      // Assess
      const sent = pg.executor.statements.map((s) => s.sql);
      expect(sent[0]).toMatch(/pg_advisory_xact_lock/);
      expect(sent[1]).toMatch(/^WITH input AS/);
      for (const sql of sent) {
        expect(sql).not.toMatch(/\$\d/);
        expect(sql.replace(/;\s*$/, '')).not.toContain(';');
      }
      const insert = pg.executor.statements[1];
      expect(insert?.params.map((p) => [p.name, p.typeHint ?? Object.keys(p.value)[0]])).toEqual([
        ['records', 'JSON'],
        ['storedAtMs', 'longValue'],
      ]);
    });

    it('refuses more than 100 records in one call', async () => {
      // Prepare
      const records = Array.from({ length: 101 }, (_, i) =>
        recordOf({ eventId: `e${i}`, invoiceId: `INV-${i}`, stage: 'ingestion', timeMs: T }),
      );

      // Act + Assess
      await expect(pg.store.writeRecords(records)).rejects.toThrow(RangeError);
    });
  });

  describe('timeline', () => {
    it('returns an invoice in lifecycle order: time, then stage order, then eventId', async () => {
      // Prepare
      const records = [
        recordOf({ eventId: 'b', invoiceId: 'INV-1', stage: 'posting', timeMs: T + 10 }),
        recordOf({ eventId: 'z', invoiceId: 'INV-1', stage: 'authorization', timeMs: T + 10 }),
        recordOf({ eventId: 'a', invoiceId: 'INV-1', stage: 'posting', timeMs: T + 10 }),
        recordOf({ eventId: 'y', invoiceId: 'INV-1', stage: 'reconciliation', timeMs: T + 5, dueDateMs: T }),
        recordOf({ eventId: 'o', invoiceId: 'INV-OTHER', stage: 'ingestion', timeMs: T }),
      ];
      await pg.store.writeRecords(records);

      // Act
      const timeline = await pg.store.timeline('INV-1');

      // Assess
      expect(timeline.map((r) => r.dimensions.eventId)).toEqual(['y', 'z', 'a', 'b']);
      expect(timeline[0]).toEqual(records[3]);
    });
  });

  describe('aggregate', () => {
    it('counts and sums per bin, stage and currency, flooring bins before 1970 too', async () => {
      // Prepare
      await pg.store.writeRecords([
        recordOf({ eventId: 'e1', invoiceId: 'I1', stage: 'ingestion', timeMs: -1, amountMinor: '5' }),
        recordOf({
          eventId: 'e2',
          invoiceId: 'I2',
          stage: 'ingestion',
          timeMs: 0,
          amountMinor: '7',
          currency: 'EUR',
        }),
        recordOf({ eventId: 'e3', invoiceId: 'I3', stage: 'ingestion', timeMs: 59_999, amountMinor: '1' }),
        recordOf({ eventId: 'e4', invoiceId: 'I4', stage: 'posting', timeMs: 60_000, amountMinor: '2' }),
      ]);

      // Act
      const byCurrency = await pg.store.aggregate({
        fromMs: -60_000,
        toMs: 120_000,
        binSec: 60,
        byCurrency: true,
      });
      const posting = await pg.store.aggregate({
        fromMs: -60_000,
        toMs: 120_000,
        binSec: 60,
        stage: 'posting',
      });

      // Assess
      expect(byCurrency).toEqual([
        { binStartMs: -60_000, stage: 'ingestion', currency: 'USD', events: 1, amountMinorSum: '5' },
        { binStartMs: 0, stage: 'ingestion', currency: 'EUR', events: 1, amountMinorSum: '7' },
        { binStartMs: 0, stage: 'ingestion', currency: 'USD', events: 1, amountMinorSum: '1' },
        { binStartMs: 60_000, stage: 'posting', currency: 'USD', events: 1, amountMinorSum: '2' },
      ]);
      expect(posting).toEqual([{ binStartMs: 60_000, stage: 'posting', events: 1, amountMinorSum: '2' }]);
    });
  });
});
