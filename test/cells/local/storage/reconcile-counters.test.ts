import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_NAMED_UNEXPECTED,
  pruneReconcileBins,
  ReconcileCounters,
  reconcileBinsPrunedBefore,
  storedCounts,
} from '../../../../cells/local/storage/reconcile-counters.js';
import { CELL_TOPOLOGY, type StageName, type StageTopology } from '../../../../cells/topology.js';
import type { RollupRecord } from '../../../../dashboards/rollups/contributions.js';
import {
  archiveEvent,
  openTestCellDb,
  recordOf,
  type TestCellDb,
} from '../../../dashboards/support/cell-db.js';
import { openReconcilePipeline, randomLoad, seededRandom } from '../monitoring/support/reconcile-pipeline.js';

const T0 = Date.parse('2026-11-20T09:00:00Z');
const MIN = 60_000;
const [ingestion, reconciliation] = CELL_TOPOLOGY.stages as [StageTopology, StageTopology];

interface BinRow {
  bin_start_ms: number;
  stage: string;
  accepted: number;
  stored: number;
  unaccepted: number;
}

function bins(cell: { db: TestCellDb['db'] }): BinRow[] {
  return cell.db
    .prepare<[], BinRow>(
      'SELECT bin_start_ms, stage, accepted, stored, unaccepted FROM reconcile_bins ORDER BY 1, 2',
    )
    .all();
}

function counters(cell: { db: TestCellDb['db'] }): Record<string, number> {
  const rows = cell.db
    .prepare<[], { name: string; value: number }>(
      "SELECT name, value FROM counters WHERE name NOT LIKE 'accepted:%' ORDER BY name",
    )
    .all();
  return Object.fromEntries(rows.map((r) => [r.name, r.value]));
}

describe('reconcile counters', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  const accept = (eventId: string, stage: StageTopology, receivedAtMs: number) =>
    archiveEvent(cell.db, {
      eventId,
      invoiceId: `INV-${eventId}`,
      detailType: stage.detailType,
      receivedAtMs,
    });
  const record = (eventId: string, stage: StageTopology, receivedAtMs: number) =>
    recordOf({ eventId, invoiceId: `INV-${eventId}`, stage: stage.name, timeMs: receivedAtMs, receivedAtMs });

  it('names the stage in the detail-type the archive trigger and the migration read', () => {
    // Assess: reconcile_accepted takes the stage after 'invoice.' (deriveStage).
    for (const stage of CELL_TOPOLOGY.stages) expect(stage.detailType).toBe(`invoice.${stage.name}`);
  });

  it('counts each archived event as accepted in its minute and stage, and keeps it when the archive is pruned', () => {
    // Prepare
    accept('a1', ingestion, T0 + 1);
    accept('a2', ingestion, T0 + 59_999);
    accept('a3', ingestion, T0 + MIN);
    accept('r1', reconciliation, T0 + 5);

    // Act
    cell.db.prepare('DELETE FROM archive').run();

    // Assess
    expect(bins(cell)).toEqual([
      { bin_start_ms: T0, stage: 'ingestion', accepted: 2, stored: 0, unaccepted: 0 },
      { bin_start_ms: T0, stage: 'reconciliation', accepted: 1, stored: 0, unaccepted: 0 },
      { bin_start_ms: T0 + MIN, stage: 'ingestion', accepted: 1, stored: 0, unaccepted: 0 },
    ]);
  });

  it('counts an acceptance once through the committer: a duplicate or a conflict adds nothing', async () => {
    // Prepare
    const pipeline = openReconcilePipeline(T0 + 10 * MIN);
    try {
      const [event] = randomLoad(seededRandom(1), { invoices: 1, fromMs: T0, spanMs: 1 });
      if (!event) throw new Error('an event expected');
      const conflict = { ...event, event: { ...event.event, occurredAt: new Date(T0 - 1).toISOString() } };

      // Act
      const results = [
        ...(await pipeline.accept([event])),
        ...(await pipeline.accept([event])),
        ...(await pipeline.accept([conflict])),
      ];

      // Assess
      expect(results.map((r) => r.status)).toEqual(['accepted', 'duplicate', 'failed']);
      expect(bins(pipeline)).toEqual([
        { bin_start_ms: T0, stage: event.stage, accepted: 1, stored: 0, unaccepted: 0 },
      ]);
    } finally {
      pipeline.close();
    }
  });

  it('counts first writes only: a rewrite of a stored record counts nothing', async () => {
    // Prepare
    accept('e1', ingestion, T0 + 10);

    // Act
    await cell.write(record('e1', ingestion, T0 + 10));
    await cell.write(record('e1', ingestion, T0 + 10));

    // Assess
    expect(bins(cell)).toEqual([
      { bin_start_ms: T0, stage: 'ingestion', accepted: 1, stored: 1, unaccepted: 0 },
    ]);
    expect(counters(cell)).toEqual({ 'stored:ingestion': 1 });
    expect(storedCounts(cell.db)).toEqual(new Map([['ingestion', 1]]));
  });

  it('marks and names a record written without a matching acceptance', async () => {
    // Prepare: e1 accepted as is; e2 never; e3 accepted at another stage; e0 received before the
    // oldest archived event (its archive row may have been pruned: not judged).
    accept('e1', ingestion, T0 + 10);
    accept('e3', reconciliation, T0 + 20);

    // Act
    for (const r of [
      record('e1', ingestion, T0 + 10),
      record('e2', ingestion, T0 + 15),
      record('e3', ingestion, T0 + 20),
    ]) {
      await cell.write(r);
    }
    await cell.write(record('e0', ingestion, T0 - MIN));

    // Assess
    expect(bins(cell)).toEqual([
      { bin_start_ms: T0 - MIN, stage: 'ingestion', accepted: 0, stored: 1, unaccepted: 0 },
      { bin_start_ms: T0, stage: 'ingestion', accepted: 1, stored: 3, unaccepted: 2 },
      { bin_start_ms: T0, stage: 'reconciliation', accepted: 1, stored: 0, unaccepted: 0 },
    ]);
    expect(cell.db.prepare('SELECT event_id FROM reconcile_unexpected ORDER BY 1').pluck().all()).toEqual([
      'e2',
      'e3',
    ]);
  });

  it(`names at most ${MAX_NAMED_UNEXPECTED} unaccepted records and counts all of them`, async () => {
    // Prepare
    accept('a0', ingestion, T0);
    const foreign = Array.from({ length: MAX_NAMED_UNEXPECTED + 5 }, (_, i) =>
      record(`x${i}`, ingestion, T0 + i),
    );

    // Act
    for (let i = 0; i < foreign.length; i += 100) await cell.store.writeRecords(foreign.slice(i, i + 100));

    // Assess
    expect(cell.db.prepare('SELECT count(*) FROM reconcile_unexpected').pluck().get()).toBe(
      MAX_NAMED_UNEXPECTED,
    );
    expect(cell.db.prepare('SELECT sum(unaccepted) FROM reconcile_bins').pluck().get()).toBe(foreign.length);
    expect(counters(cell)).toMatchObject({ reconcile_named_unexpected: MAX_NAMED_UNEXPECTED });
  });

  it('lowers stored when a record is deleted, and keeps the all-time stored counter', async () => {
    // Prepare
    accept('e1', ingestion, T0);
    accept('e2', ingestion, T0);
    await cell.write(record('e1', ingestion, T0));
    await cell.write(record('e2', ingestion, T0));

    // Act
    cell.db.prepare("DELETE FROM records WHERE event_id = 'e1'").run();

    // Assess
    expect(bins(cell)).toEqual([
      { bin_start_ms: T0, stage: 'ingestion', accepted: 2, stored: 1, unaccepted: 0 },
    ]);
    expect(counters(cell)).toEqual({ 'records_deleted:ingestion': 1, 'stored:ingestion': 2 });
  });

  it('rebuilds the stored side to the same values after reset and apply over the stored records', async () => {
    // Prepare: the backfill's steps (rollup-backfill.ts): reset, then apply the records in chunks.
    accept('a0', reconciliation, T0);
    for (let i = 0; i < 30; i++) {
      const stage = i % 2 === 0 ? ingestion : reconciliation;
      if (i % 3 !== 0) accept(`e${i}`, stage, T0 + i * 7_000);
      await cell.write(record(`e${i}`, stage, T0 + i * 7_000));
    }
    cell.db.prepare("DELETE FROM records WHERE event_id IN ('e4', 'e5')").run();
    const before = { bins: bins(cell), counters: counters(cell), named: namedIds() };
    const hook = new ReconcileCounters(cell.db, CELL_TOPOLOGY);
    const stored = storedRollupRecords();

    // Act
    cell.db.transaction(() => hook.reset())();
    const reset = { bins: bins(cell), counters: counters(cell) };
    for (let i = 0; i < stored.length; i += 7)
      cell.db.transaction(() => hook.apply(stored.slice(i, i + 7)))();

    // Assess
    expect(reset.bins.every((b) => b.stored === 0 && b.unaccepted === 0)).toBe(true);
    expect(reset.counters).toEqual({
      'records_deleted:ingestion': 1,
      'records_deleted:reconciliation': 1,
      'stored:ingestion': 1,
      'stored:reconciliation': 1,
    });
    expect({ bins: bins(cell), counters: counters(cell), named: namedIds() }).toEqual(before);
  });

  it('prunes bins in chunks before a minute, and keeps a late record from bringing them back', async () => {
    // Prepare
    for (let m = 0; m < 5; m++) accept(`e${m}`, ingestion, T0 + m * MIN);

    // Act
    const first = pruneReconcileBins(cell.db, T0 + 3 * MIN + 30_000, 2);
    const second = pruneReconcileBins(cell.db, T0 + 3 * MIN + 30_000, 2);
    accept('late', ingestion, T0 + 4 * MIN);
    await cell.write(record('e0', ingestion, T0));

    // Assess: bins starting before 09:03 go; the 09:03 bin holds events until 09:04 and stays.
    expect([first, second]).toEqual([2, 1]);
    expect(reconcileBinsPrunedBefore(cell.db)).toBe(T0 + 3 * MIN);
    expect(bins(cell).map((b) => [b.bin_start_ms - T0, b.accepted, b.stored])).toEqual([
      [3 * MIN, 1, 0],
      [4 * MIN, 2, 0],
    ]);
    expect(counters(cell)).toEqual({ 'stored:ingestion': 1 });
  });

  function namedIds(): string[] {
    return cell.db.prepare<[], string>('SELECT event_id FROM reconcile_unexpected ORDER BY 1').pluck().all();
  }

  /** The stored records as the backfill hands them to the hooks, in write order. */
  function storedRollupRecords(): RollupRecord[] {
    return cell.db
      .prepare<
        [],
        {
          event_id: string;
          invoice_id: string;
          stage: string;
          stage_order: number;
          received_at_ms: number;
          stored_at_ms: number;
          time_ms: number;
        }
      >(
        'SELECT event_id, invoice_id, stage, stage_order, received_at_ms, stored_at_ms, time_ms FROM records ORDER BY id',
      )
      .all()
      .map((r) => ({
        eventId: r.event_id,
        invoiceId: r.invoice_id,
        stage: r.stage as StageName,
        stageOrder: r.stage_order,
        status: 'RECEIVED',
        currency: 'USD',
        vendorId: 'V-1',
        amountMinor: 1000n,
        paymentTermsDays: null,
        dueDateMs: null,
        timeMs: r.time_ms,
        storedAtMs: r.stored_at_ms,
        receivedAtMs: r.received_at_ms,
      }));
  }
});
