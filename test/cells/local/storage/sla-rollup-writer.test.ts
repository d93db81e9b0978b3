import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  nextSlaEntry,
  type SlaEntryRow,
  SlaRollupWriter,
} from '../../../../cells/local/storage/sla-rollup-writer.js';
import { CELL_TOPOLOGY, type StageName } from '../../../../cells/topology.js';
import type { RollupRecord } from '../../../../dashboards/rollups/contributions.js';
import { openTestCellDb, recordOf, type TestCellDb } from '../../../dashboards/support/cell-db.js';

const T0 = Date.parse('2026-11-20T09:00:00Z');
const MIN = 60_000;

function rollupRecord(eventId: string, timeMs: number, status: string): RollupRecord {
  return {
    eventId,
    invoiceId: 'INV-1',
    stage: 'ingestion',
    stageOrder: 0,
    status,
    currency: 'USD',
    vendorId: 'V-1',
    amountMinor: 1n,
    paymentTermsDays: null,
    dueDateMs: null,
    timeMs,
    storedAtMs: timeMs,
    receivedAtMs: timeMs,
  };
}

describe('nextSlaEntry', () => {
  const current: SlaEntryRow = {
    invoice_id: 'INV-1',
    stage_order: 0,
    entered_ms: T0,
    status: 'CAPTURED',
    status_time_ms: T0 + 5 * MIN,
    status_event_id: 'm',
    outcome: 'open',
  };

  it('lowers the entered time for an earlier event and keeps the later status', () => {
    // Act
    const next = nextSlaEntry(current, rollupRecord('a', T0 - MIN, 'RECEIVED'));

    // Assess
    expect(next).toMatchObject({ entered_ms: T0 - MIN, status: 'CAPTURED', status_event_id: 'm' });
  });

  it('takes the status of a later event, and of an equal time with a larger eventId', () => {
    // Act
    const later = nextSlaEntry(current, rollupRecord('a', T0 + 6 * MIN, 'REJECTED'));
    const tie = nextSlaEntry(current, rollupRecord('z', T0 + 5 * MIN, 'REJECTED'));

    // Assess
    expect(later).toMatchObject({ entered_ms: T0, status: 'REJECTED' });
    expect(tie).toMatchObject({ status: 'REJECTED', status_event_id: 'z' });
  });

  it('changes nothing for an older event after the entered time', () => {
    // Act
    const next = nextSlaEntry(current, rollupRecord('a', T0 + MIN, 'RECEIVED'));

    // Assess
    expect(next).toBeUndefined();
  });
});

describe('SlaRollupWriter', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  const write = (eventId: string, stage: StageName, timeMs: number, status?: string) =>
    cell.write(recordOf({ eventId, invoiceId: 'INV-1', stage, timeMs, ...(status ? { status } : {}) }));
  const entries = () =>
    cell.db
      .prepare<[], Pick<SlaEntryRow, 'stage_order' | 'entered_ms' | 'outcome'>>(
        'SELECT stage_order, entered_ms, outcome FROM sla_entries ORDER BY stage_order',
      )
      .all();
  const minuteBins = () =>
    cell.db
      .prepare(
        `SELECT stage_order, bin_start_ms, met, missed, ended, open FROM sla_bins WHERE tier = '1m'
         ORDER BY stage_order, bin_start_ms`,
      )
      .all();

  it('judges the stage before again when a late event moves the next stage entry earlier', async () => {
    // Prepare: reconciliation entered 20 min after ingestion (15 min SLA): missed.
    await write('i1', 'ingestion', T0);
    await write('r2', 'reconciliation', T0 + 20 * MIN);
    expect(entries().map((e) => e.outcome)).toEqual(['missed', 'open']);

    // Act: a late reconciliation event 10 min after ingestion.
    await write('r1', 'reconciliation', T0 + 10 * MIN);

    // Assess: met; the reconciliation entry moved to an earlier minute bin, its old bin is gone.
    expect(entries()).toEqual([
      { stage_order: 0, entered_ms: T0, outcome: 'met' },
      { stage_order: 1, entered_ms: T0 + 10 * MIN, outcome: 'open' },
    ]);
    expect(minuteBins()).toEqual([
      { stage_order: 0, bin_start_ms: T0, met: 1, missed: 0, ended: 0, open: 0 },
      { stage_order: 1, bin_start_ms: T0 + 10 * MIN, met: 0, missed: 0, ended: 0, open: 1 },
    ]);
  });

  it('ends an entry on a terminal status and opens it again on a later one', async () => {
    // Prepare
    await write('a', 'ingestion', T0, 'RECEIVED');
    await write('b', 'ingestion', T0 + MIN, 'REJECTED');
    const ended = entries()[0]?.outcome;

    // Act
    await write('c', 'ingestion', T0 + 2 * MIN, 'CAPTURED');

    // Assess
    expect(ended).toBe('ended');
    expect(entries()[0]?.outcome).toBe('open');
    expect(minuteBins()).toEqual([
      { stage_order: 0, bin_start_ms: T0, met: 0, missed: 0, ended: 0, open: 1 },
    ]);
  });

  it('keeps the last stage unjudged and counts nothing for it', async () => {
    // Act
    await write('p', 'posting', T0, 'POSTED');

    // Assess
    expect(entries()).toEqual([{ stage_order: 3, entered_ms: T0, outcome: null }]);
    expect(minuteBins()).toEqual([]);
  });

  it('empties its tables on reset', async () => {
    // Prepare
    await write('i1', 'ingestion', T0);

    // Act
    new SlaRollupWriter(cell.db, CELL_TOPOLOGY).reset();

    // Assess
    expect([entries(), minuteBins()]).toEqual([[], []]);
  });
});
