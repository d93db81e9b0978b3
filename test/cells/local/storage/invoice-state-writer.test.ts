import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InvoiceStateWriter,
  pruneInvoiceState,
  slaTopologyHash,
} from '../../../../cells/local/storage/invoice-state-writer.js';
import { buildTopology, CELL_TOPOLOGY, type StageName } from '../../../../cells/topology.js';
import { type InvoiceStateRow, nextInvoiceState } from '../../../../consumers/monitoring/invoice-state.js';
import type { RollupRecord } from '../../../../dashboards/rollups/contributions.js';
import { openTestCellDb, recordOf, type TestCellDb } from '../../../dashboards/support/cell-db.js';

const T0 = Date.parse('2026-11-20T09:00:00Z');
const MIN = 60_000;
const ORDER: Readonly<Record<StageName, number>> = {
  ingestion: 0,
  reconciliation: 1,
  authorization: 2,
  posting: 3,
};

function rollupRecord(eventId: string, stage: StageName, timeMs: number, status = 'CAPTURED'): RollupRecord {
  return {
    eventId,
    invoiceId: 'INV-1',
    stage,
    stageOrder: ORDER[stage],
    status,
    currency: 'USD',
    vendorId: `V-${eventId}`,
    amountMinor: 100n,
    paymentTermsDays: null,
    dueDateMs: null,
    timeMs,
    storedAtMs: timeMs,
    receivedAtMs: timeMs,
  };
}

/** Folds records through the pure transition, as the hook does row by row. */
function fold(records: readonly RollupRecord[]): InvoiceStateRow | undefined {
  let row: InvoiceStateRow | undefined;
  for (const r of records) row = nextInvoiceState(row, r, CELL_TOPOLOGY) ?? row;
  return row;
}

describe('nextInvoiceState', () => {
  it('moves the invoice to a further stage with its entered time and the SLA deadline there', () => {
    // Act
    const row = fold([rollupRecord('a', 'ingestion', T0), rollupRecord('b', 'reconciliation', T0 + 5 * MIN)]);

    // Assess: reconciliation's SLA is one hour.
    expect(row).toEqual({
      invoice_id: 'INV-1',
      stage_order: 1,
      status: 'CAPTURED',
      status_time_ms: T0 + 5 * MIN,
      status_event_id: 'b',
      vendor_id: 'V-b',
      entered_ms: T0 + 5 * MIN,
      deadline_ms: T0 + 65 * MIN,
    });
  });

  it('ignores an event at an earlier stage, whenever it arrives', () => {
    // Prepare
    const at = fold([rollupRecord('b', 'reconciliation', T0 + 5 * MIN)]) as InvoiceStateRow;

    // Act
    const next = nextInvoiceState(at, rollupRecord('a', 'ingestion', T0 + 9 * MIN), CELL_TOPOLOGY);

    // Assess
    expect(next).toBeUndefined();
  });

  it('lets a late event lower the entered time and keeps the latest status by time', () => {
    // Act
    const row = fold([
      rollupRecord('b', 'reconciliation', T0 + 10 * MIN, 'MISMATCHED'),
      rollupRecord('a', 'reconciliation', T0 + 2 * MIN, 'PARTIALLY_MATCHED'),
    ]);

    // Assess
    expect(row).toMatchObject({
      status: 'MISMATCHED',
      entered_ms: T0 + 2 * MIN,
      deadline_ms: T0 + 62 * MIN,
    });
  });

  it('breaks a tie of record times by eventId, so arrival order does not matter', () => {
    // Prepare
    const x = rollupRecord('x', 'ingestion', T0, 'CAPTURED');
    const y = rollupRecord('y', 'ingestion', T0, 'REJECTED');

    // Act
    const forth = fold([x, y]);
    const back = fold([y, x]);

    // Assess: y > x, and REJECTED is terminal at ingestion.
    expect(forth).toEqual(back);
    expect(forth).toMatchObject({ status: 'REJECTED', deadline_ms: null });
  });

  it('has no deadline at the last stage', () => {
    // Act
    const row = fold([rollupRecord('a', 'ingestion', T0), rollupRecord('d', 'posting', T0 + MIN)]);

    // Assess
    expect(row).toMatchObject({ stage_order: 3, deadline_ms: null });
  });

  it('changes nothing for an older event at the stage after its entered time', () => {
    // Prepare
    const at = fold([rollupRecord('a', 'ingestion', T0), rollupRecord('c', 'ingestion', T0 + 9 * MIN)]);

    // Act
    const next = nextInvoiceState(at, rollupRecord('b', 'ingestion', T0 + 4 * MIN), CELL_TOPOLOGY);

    // Assess
    expect(next).toBeUndefined();
  });
});

describe('slaTopologyHash', () => {
  it('changes with a stage SLA, so the hooks rebuild their tables', () => {
    // Act
    const same = slaTopologyHash(buildTopology());
    const faster = slaTopologyHash({
      ...CELL_TOPOLOGY,
      stages: CELL_TOPOLOGY.stages.map((s) => (s.order === 0 ? { ...s, slaSec: 60 } : s)),
    });

    // Assess
    expect(same).toBe(slaTopologyHash(CELL_TOPOLOGY));
    expect(faster).not.toBe(same);
  });
});

describe('InvoiceStateWriter', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  const rows = () =>
    cell.db.prepare<[], InvoiceStateRow>('SELECT * FROM invoice_state ORDER BY invoice_id').all();

  it('keeps one row per invoice through the store, and a duplicate changes nothing', async () => {
    // Prepare
    const first = recordOf({ eventId: 'e1', invoiceId: 'INV-A', stage: 'ingestion', timeMs: T0 });
    await cell.write(first);
    await cell.write(recordOf({ eventId: 'e2', invoiceId: 'INV-B', stage: 'posting', timeMs: T0 }));

    // Act
    await cell.write(first);

    // Assess
    expect(rows().map((r) => [r.invoice_id, r.stage_order, r.entered_ms, r.deadline_ms])).toEqual([
      ['INV-A', 0, T0, T0 + 15 * MIN],
      ['INV-B', 3, T0, null],
    ]);
  });

  it('empties the table on reset', async () => {
    // Prepare
    await cell.write(recordOf({ eventId: 'e1', invoiceId: 'INV-A', stage: 'ingestion', timeMs: T0 }));

    // Act
    new InvoiceStateWriter(cell.db, CELL_TOPOLOGY).reset();

    // Assess
    expect(rows()).toEqual([]);
  });

  it('prunes finished invoices that entered before the cut-off, at most the limit, and never stuckable ones', async () => {
    // Prepare: three finished invoices (posting, REJECTED) and one that can still be stuck.
    await cell.write(recordOf({ eventId: 'p1', invoiceId: 'INV-1', stage: 'posting', timeMs: T0 }));
    await cell.write(recordOf({ eventId: 'p2', invoiceId: 'INV-2', stage: 'posting', timeMs: T0 + MIN }));
    await cell.write(
      recordOf({ eventId: 'r3', invoiceId: 'INV-3', stage: 'ingestion', timeMs: T0, status: 'REJECTED' }),
    );
    await cell.write(recordOf({ eventId: 'o4', invoiceId: 'INV-4', stage: 'ingestion', timeMs: T0 }));
    await cell.write(recordOf({ eventId: 'p5', invoiceId: 'INV-5', stage: 'posting', timeMs: T0 + 9 * MIN }));

    // Act
    const first = pruneInvoiceState(cell.db, T0 + 5 * MIN, 2);
    const second = pruneInvoiceState(cell.db, T0 + 5 * MIN, 2);

    // Assess
    expect([first, second]).toEqual([2, 1]);
    expect(rows().map((r) => r.invoice_id)).toEqual(['INV-4', 'INV-5']);
  });
});
