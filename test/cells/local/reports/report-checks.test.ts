import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportReconciliation, reportStuck } from '../../../../cells/local/reports/report-checks.js';
import { pruneReconcileBins } from '../../../../cells/local/storage/reconcile-counters.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import {
  archiveEvent,
  openTestCellDb,
  recordOf,
  type TestCellDb,
} from '../../../dashboards/support/cell-db.js';

const OCT_1 = Date.parse('2026-10-01T00:00:00Z');
const NOV_1 = Date.parse('2026-11-01T00:00:00Z');
const MINUTE = 60_000;

describe('reportStuck', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  it('counts invoices still at a stage whose SLA deadline passed before the as-of time, 0 elsewhere', async () => {
    // Prepare: ingestion SLA 15 min, reconciliation 1 h
    await cell.write(
      recordOf({ eventId: 'a', invoiceId: 'INV-A', stage: 'ingestion', timeMs: NOV_1 - 20 * MINUTE }),
    );
    await cell.write(
      recordOf({ eventId: 'b', invoiceId: 'INV-B', stage: 'ingestion', timeMs: NOV_1 - 10 * MINUTE }),
    );
    await cell.write(
      recordOf({
        eventId: 'c',
        invoiceId: 'INV-C',
        stage: 'ingestion',
        timeMs: NOV_1 - 60 * MINUTE,
        status: 'REJECTED',
      }),
    );
    await cell.write(recordOf({ eventId: 'd1', invoiceId: 'INV-D', stage: 'ingestion', timeMs: OCT_1 }));
    await cell.write(
      recordOf({
        eventId: 'd2',
        invoiceId: 'INV-D',
        stage: 'reconciliation',
        timeMs: OCT_1 + MINUTE,
        status: 'MATCHED',
      }),
    );
    await cell.write(recordOf({ eventId: 'e1', invoiceId: 'INV-E', stage: 'ingestion', timeMs: OCT_1 }));
    await cell.write(
      recordOf({
        eventId: 'e2',
        invoiceId: 'INV-E',
        stage: 'posting',
        timeMs: NOV_1 + MINUTE,
        status: 'POSTED',
      }),
    );

    // Act
    const stuck = reportStuck(cell.db, CELL_TOPOLOGY, NOV_1);

    // Assess: A (deadline 23:55), D (at reconciliation since 1 October); B is within its SLA, C
    // ended, E moved on (after the month, but it is no longer stuck now)
    expect(stuck).toEqual([
      { stage: 'ingestion', invoices: 1 },
      { stage: 'reconciliation', invoices: 1 },
      { stage: 'authorization', invoices: 0 },
    ]);
  });
});

describe('reportReconciliation', () => {
  let cell: TestCellDb;

  beforeEach(async () => {
    cell = openTestCellDb();
    for (const [i, receivedAtMs] of [OCT_1 + MINUTE, OCT_1 + 20 * 86_400_000].entries()) {
      const record = recordOf({
        eventId: `e-${i}`,
        invoiceId: `INV-${i}`,
        stage: 'ingestion',
        timeMs: receivedAtMs,
        receivedAtMs,
      });
      archiveEvent(cell.db, {
        eventId: `e-${i}`,
        invoiceId: `INV-${i}`,
        detailType: 'invoice.ingestion',
        receivedAtMs,
      });
      await cell.write(record);
    }
  });

  afterEach(() => {
    cell.close();
  });

  it('balances a month whose accepted events are all stored', () => {
    // Act
    const read = reportReconciliation(cell.db, CELL_TOPOLOGY, { fromMs: OCT_1, toMs: NOV_1, nowMs: NOV_1 });

    // Assess
    expect(read.reconciliation.complete).toBe(true);
    expect(read.reconciliation.stages[0]).toEqual({
      stage: 'ingestion',
      accepted: 2,
      stored: 2,
      inDlqNow: 0,
      inFlightNow: 0,
      missing: 0,
      unexpected: 0,
      balanced: true,
    });
    expect(read.notes).toEqual([]);
  });

  it('marks the month incomplete and says so when its first minute bins are pruned', () => {
    // Prepare
    const cut = OCT_1 + 10 * 86_400_000;
    while (pruneReconcileBins(cell.db, cut, 1_000) > 0);

    // Act
    const read = reportReconciliation(cell.db, CELL_TOPOLOGY, { fromMs: OCT_1, toMs: NOV_1, nowMs: NOV_1 });

    // Assess
    expect(read.reconciliation.complete).toBe(false);
    expect(read.reconciliation.stages[0]?.accepted).toBe(1);
    expect(read.notes).toEqual([
      'reconciliation is incomplete: the per-minute counters before 2026-10-11T00:00:00.000Z are pruned by ' +
        'retention, so only the month from 2026-10-11T00:00:00.000Z is reconciled',
    ]);
  });
});
