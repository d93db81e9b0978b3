import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runRecordsSql } from '../../../../cells/local/monitoring/records-sql.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { DASHBOARDS, findPanel, type RecordsQuery } from '../../../../dashboards/panels/panels.js';
import { openTestCellDb, recordOf, type TestCellDb } from '../../../dashboards/support/cell-db.js';

/** Monday 2026-11-16 00:00 UTC. */
const DAY0 = Date.parse('2026-11-16T00:00:00Z');
const HOUR = 3_600_000;

function query(id: string): RecordsQuery {
  const found = findPanel(DASHBOARDS, id);
  if (found?.query.source !== 'records') throw new Error(`no records panel ${id}`);
  return found.query;
}

describe('runRecordsSql (the raw-scan reference)', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  it("sums each invoice's latest amount in the window, with vendor names and exact money", async () => {
    // Prepare: INV-1 at 100.00 then 120.00; INV-2's latest record lies after the window.
    const write = (eventId: string, invoiceId: string, h: number, amountMinor: string) =>
      cell.write(
        recordOf({
          eventId,
          invoiceId,
          stage: 'ingestion',
          timeMs: DAY0 + h * HOUR,
          amountMinor,
          vendorId: 'V-7',
        }),
      );
    await write('a', 'INV-1', 1, '10000');
    await write('b', 'INV-1', 2, '12000');
    await write('c', 'INV-2', 3, '500');
    await write('d', 'INV-2', 30, '700');

    // Act
    const rows = runRecordsSql(cell.db, query('fin-amount-by-vendor'), {
      fromMs: DAY0,
      toMs: DAY0 + 24 * HOUR,
      topology: CELL_TOPOLOGY,
    });

    // Assess
    expect(rows).toEqual([
      { vendorId: 'V-7', vendorName: 'Vendor V-7', currency: 'USD', value: '120.00', amountMinor: '12000' },
    ]);
  });

  it('scopes rows to one cell when asked', async () => {
    // Prepare
    await cell.write(
      recordOf({ eventId: 'c1', invoiceId: 'INV-1', stage: 'ingestion', timeMs: DAY0, cell: 'us-east-1' }),
    );
    await cell.write(
      recordOf({ eventId: 'c2', invoiceId: 'INV-2', stage: 'ingestion', timeMs: DAY0, cell: 'us-west-2' }),
    );

    // Act
    const rows = runRecordsSql(cell.db, query('exec-invoices-by-stage'), {
      fromMs: DAY0,
      toMs: DAY0 + HOUR,
      cell: 'us-west-2',
      topology: CELL_TOPOLOGY,
    });

    // Assess
    expect(rows).toEqual([{ stage: 'ingestion', value: 1 }]);
  });
});
