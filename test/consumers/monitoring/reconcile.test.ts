import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localReconcileInputs } from '../../../cells/local/storage/monitoring-queries.js';
import { CELL_TOPOLOGY, type StageName } from '../../../cells/topology.js';
import { reconcile, type StageEventIds } from '../../../consumers/monitoring/reconcile.js';
import {
  archiveEvent,
  enqueueMessage,
  openTestCellDb,
  recordOf,
  type TestCellDb,
} from '../../dashboards/support/cell-db.js';

const WINDOW = { fromMs: Date.parse('2026-11-20T09:00:00Z'), toMs: Date.parse('2026-11-20T10:00:00Z') };

function ids(stage: StageName, sets: Partial<Omit<StageEventIds, 'stage'>>): StageEventIds {
  return { stage, accepted: [], stored: [], inDlq: [], inFlight: [], ...sets };
}

describe('reconcile', () => {
  it('balances when every accepted event is stored, in the DLQ or in flight', () => {
    // Prepare
    const inputs = [
      ids('ingestion', {
        accepted: ['e1', 'e2', 'e3', 'e4'],
        stored: ['e1', 'e2'],
        inDlq: ['e3'],
        inFlight: ['e4'],
      }),
      ids('posting', { accepted: ['p1'], stored: ['p1'], inFlight: ['p1'] }),
    ];

    // Act
    const report = reconcile(WINDOW, inputs);

    // Assess
    expect(report.balanced).toBe(true);
    expect(report.stages[0]).toEqual({
      stage: 'ingestion',
      accepted: 4,
      stored: 2,
      inDlq: 1,
      inFlight: 1,
      accounted: 4,
      missing: [],
      unexpected: [],
      balanced: true,
    });
  });

  it('names the eventId of an accepted event that is nowhere', () => {
    // Prepare
    const inputs = [ids('authorization', { accepted: ['a1', 'a2', 'a3'], stored: ['a1'], inDlq: ['a3'] })];

    // Act
    const report = reconcile(WINDOW, inputs);

    // Assess
    expect(report.balanced).toBe(false);
    expect(report.missing).toBe(1);
    expect(report.stages[0]).toMatchObject({ accounted: 2, missing: ['a2'], balanced: false });
  });

  it('reports stored events that were never accepted as unexpected', () => {
    // Prepare
    const inputs = [ids('posting', { accepted: ['p1'], stored: ['p1', 'pruned'] })];

    // Act
    const report = reconcile(WINDOW, inputs);

    // Assess
    expect(report.stages[0]).toMatchObject({ missing: [], unexpected: ['pruned'], balanced: false });
    expect(report.unexpected).toBe(1);
  });
});

describe('localReconcileInputs', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  it('reads accepted, stored, DLQ and queued ids per stage for the window, and finds the gap', async () => {
    // Prepare
    const [ingestion, reconciliation] = CELL_TOPOLOGY.stages;
    if (!ingestion || !reconciliation) throw new Error('stages expected');
    const inWindow = WINDOW.fromMs + 60_000;
    const accept = (eventId: string, stage: typeof ingestion, receivedAtMs = inWindow) =>
      archiveEvent(cell.db, {
        eventId,
        invoiceId: `INV-${eventId}`,
        detailType: stage.detailType,
        receivedAtMs,
      });
    accept('stored-1', ingestion);
    accept('dlq-1', ingestion);
    accept('queued-1', ingestion);
    accept('lost-1', ingestion);
    accept('stored-2', reconciliation);
    accept('before-window', ingestion, WINDOW.fromMs - 1);
    await cell.write(
      recordOf({
        eventId: 'stored-1',
        invoiceId: 'INV-stored-1',
        stage: 'ingestion',
        timeMs: 0,
        receivedAtMs: inWindow,
      }),
    );
    await cell.write(
      recordOf({
        eventId: 'stored-2',
        invoiceId: 'INV-stored-2',
        stage: 'reconciliation',
        timeMs: 0,
        receivedAtMs: inWindow,
      }),
    );
    await cell.write(
      recordOf({
        eventId: 'orphan',
        invoiceId: 'INV-orphan',
        stage: 'reconciliation',
        timeMs: 0,
        receivedAtMs: inWindow,
      }),
    );
    const message = (eventId: string) => ({
      eventId,
      invoiceId: `INV-${eventId}`,
      stage: ingestion.name,
      receivedAtMs: inWindow,
    });
    enqueueMessage(cell.db, ingestion.ids.dlq, message('dlq-1'));
    enqueueMessage(cell.db, ingestion.ids.queue, message('queued-1'));
    enqueueMessage(cell.db, ingestion.ids.queue, {
      ...message('before-window'),
      receivedAtMs: WINDOW.fromMs - 1,
    });

    // Act
    const inputs = localReconcileInputs(cell.db, CELL_TOPOLOGY, WINDOW.fromMs, WINDOW.toMs);
    const report = reconcile(WINDOW, inputs);

    // Assess
    expect(inputs[0]).toEqual({
      stage: 'ingestion',
      accepted: new Set(['stored-1', 'dlq-1', 'queued-1', 'lost-1']),
      stored: new Set(['stored-1']),
      inDlq: new Set(['dlq-1']),
      inFlight: new Set(['queued-1']),
    });
    expect(report.stages.map((s) => [s.stage, s.missing, s.unexpected])).toEqual([
      ['ingestion', ['lost-1'], []],
      ['reconciliation', [], ['orphan']],
      ['authorization', [], []],
      ['posting', [], []],
    ]);
  });
});
