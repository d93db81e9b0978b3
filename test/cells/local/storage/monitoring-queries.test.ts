import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localLatestByInvoiceSql } from '../../../../cells/local/storage/monitoring-queries.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import {
  findStuckInvoices,
  type LatestByInvoiceRow,
  latestFromRows,
} from '../../../../consumers/monitoring/stuck.js';
import { openTestCellDb, recordOf, type TestCellDb } from '../../../dashboards/support/cell-db.js';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const MIN = 60_000;

describe('localLatestByInvoiceSql', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  it('returns each unfinished invoice at its furthest stage, entered-at time and latest status there', async () => {
    // Prepare
    const t0 = NOW - 5 * 60 * MIN;
    const write = (
      eventId: string,
      invoiceId: string,
      stage: 'ingestion' | 'reconciliation' | 'posting',
      m: number,
      status: string,
      cellName = 'local',
    ) =>
      cell.write(
        recordOf({
          eventId,
          invoiceId,
          stage,
          timeMs: t0 + m * MIN,
          status,
          vendorId: `V-${invoiceId}`,
          cell: cellName,
        }),
      );
    await write('a1', 'INV-A', 'ingestion', 0, 'RECEIVED');
    await write('a2', 'INV-A', 'ingestion', 5, 'CAPTURED');
    await write('a3', 'INV-A', 'reconciliation', 10, 'PARTIALLY_MATCHED');
    await write('a4', 'INV-A', 'reconciliation', 40, 'MISMATCHED');
    await write('b1', 'INV-B', 'ingestion', 0, 'RECEIVED');
    await write('c1', 'INV-C', 'ingestion', 0, 'RECEIVED');
    await write('c2', 'INV-C', 'posting', 50, 'POSTED');
    await write('d1', 'INV-D', 'ingestion', 0, 'RECEIVED', 'other-cell');
    const statement = cell.db.prepare<{ fromMs: number; cell: string | null }, LatestByInvoiceRow>(
      localLatestByInvoiceSql(CELL_TOPOLOGY),
    );

    // Act
    const latest = latestFromRows(statement.all({ fromMs: t0, cell: 'local' }));

    // Assess: INV-C reached the last stage; INV-D is another cell's.
    expect(latest).toEqual([
      { invoiceId: 'INV-B', stage: 'ingestion', status: 'RECEIVED', timeMs: t0, vendorId: 'V-INV-B' },
      {
        invoiceId: 'INV-A',
        stage: 'reconciliation',
        status: 'MISMATCHED',
        timeMs: t0 + 10 * MIN,
        vendorId: 'V-INV-A',
      },
    ]);
    expect(findStuckInvoices(latest, CELL_TOPOLOGY, NOW).map((s) => [s.invoiceId, s.ageSec])).toEqual([
      ['INV-B', 5 * 3600],
      ['INV-A', 5 * 3600 - 600],
    ]);
  });

  it('looks back only to :fromMs', async () => {
    // Prepare
    await cell.write(
      recordOf({ eventId: 'old', invoiceId: 'INV-OLD', stage: 'ingestion', timeMs: NOW - 48 * 60 * MIN }),
    );
    const statement = cell.db.prepare<{ fromMs: number; cell: string | null }, LatestByInvoiceRow>(
      localLatestByInvoiceSql(CELL_TOPOLOGY),
    );

    // Act
    const rows = statement.all({ fromMs: NOW - 24 * 60 * MIN, cell: null });

    // Assess
    expect(rows).toEqual([]);
  });
});
