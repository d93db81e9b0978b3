import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RollupReader, rollupReaderOf } from '../../../../cells/local/storage/rollup-reader.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { cellRollups } from '../../../../dashboards/rollups/cell-rollups.js';
import { bucketOf } from '../../../../dashboards/rollups/histogram.js';
import type { RollupSpec } from '../../../../dashboards/rollups/rollup-specs.js';
import { openTestCellDb, recordOf, type TestCellDb } from '../../../dashboards/support/cell-db.js';

const rollups = cellRollups(CELL_TOPOLOGY);
const MINUTE = 60_000;
/** Wednesday 2026-01-07 10:00 UTC. */
const T = Date.UTC(2026, 0, 7, 10);

function specOf(panelId: string): RollupSpec {
  const spec = rollups.specs.find((s) => s.panelIds.includes(panelId));
  if (!spec) throw new Error(`no spec serves ${panelId}`);
  return spec;
}

describe('RollupReader', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  it('reads the bins of one tier whose start lies in [from, to)', async () => {
    // Prepare: events at minutes 0, 1, 2 and 3 after T.
    for (const m of [0, 1, 2, 3]) {
      await cell.write(
        recordOf({
          eventId: `e${m}`,
          invoiceId: `INV-${m}`,
          stage: 'ingestion',
          timeMs: T + m * MINUTE + 59_000,
        }),
      );
    }
    const reader = new RollupReader(cell.db);
    const spec = specOf('ops-throughput');

    // Act
    const minutes = reader.rows(spec, '1m', T + MINUTE, T + 3 * MINUTE);
    const hours = reader.rows(spec, '1h', T, T + 1);

    // Assess
    expect(minutes.map((r) => [r.binStartMs, r.keyValues, r.cell.count])).toEqual([
      [T + MINUTE, ['ingestion'], 1],
      [T + 2 * MINUTE, ['ingestion'], 1],
    ]);
    expect(hours.map((r) => [r.binStartMs, r.cell.count])).toEqual([[T, 4]]);
  });

  it('reads money sums beyond 64 bits exactly', async () => {
    // Prepare: each amount fits a BIGINT, their sum does not.
    const big = '9000000000000000000';
    for (const id of ['a', 'b', 'c']) {
      await cell.write(
        recordOf({
          eventId: id,
          invoiceId: `INV-${id}`,
          stage: 'posting',
          timeMs: T,
          currency: 'EUR',
          amountMinor: big,
        }),
      );
    }

    // Act
    const [row] = rollupReaderOf(cell.db).rows(
      specOf('exec-value-by-stage'),
      '1d',
      T - 86_400_000,
      T + 86_400_000,
    );

    // Assess
    expect(row?.keyValues).toEqual(['posting', 'EUR']);
    expect(row?.cell.sumMinor).toBe(27_000_000_000_000_000_000n);
    expect(row?.cell.count).toBe(3);
  });

  it('reads a histogram bin as one row holding its buckets, negative latencies included', async () => {
    // Prepare: latencies of -5 ms (the clock stepped back), 7 ms, 1234 ms and 1250 ms, in one 5-minute bin.
    const latencies = [-5, 7, 1234, 1250];
    for (const [i, latency] of latencies.entries()) {
      const receivedAtMs = T + 10_000 + i * 1_000;
      await cell.write(
        recordOf({ eventId: `l${i}`, invoiceId: `INV-${i}`, stage: 'posting', timeMs: T, receivedAtMs }),
        receivedAtMs + latency,
      );
    }

    // Act
    const rows = rollupReaderOf(cell.db).rows(specOf('ops-latency-p95'), '5m', T, T + 5 * MINUTE);

    // Assess: 1234 and 1250 share the bucket [1200, 1300).
    expect(rows.map((r) => [r.binStartMs, r.keyValues, r.cell.count])).toEqual([[T, ['posting'], 4]]);
    expect([...(rows[0]?.cell.buckets ?? [])]).toEqual([
      [bucketOf(-5), 1],
      [bucketOf(7), 1],
      [bucketOf(1234), 2],
    ]);
  });

  it('keeps one reader per connection', () => {
    // Act + Assess
    expect(rollupReaderOf(cell.db)).toBe(rollupReaderOf(cell.db));
  });
});
