import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  localReconcileReport,
  reconcileAnswer,
} from '../../../../cells/local/monitoring/reconcile-answer.js';
import { pruneReconcileBins } from '../../../../cells/local/storage/reconcile-counters.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../../cells/topology.js';
import {
  archiveEvent,
  enqueueMessage,
  openTestCellDb,
  recordOf,
  type TestCellDb,
} from '../../../dashboards/support/cell-db.js';

const MIN = 60_000;
const DAY = 86_400_000;
const WINDOW = { fromMs: Date.parse('2026-11-20T09:00:00Z'), toMs: Date.parse('2026-11-20T10:00:00Z') };
const NOW = WINDOW.toMs + 3_600_000;
const [ingestion, reconciliation] = CELL_TOPOLOGY.stages as [StageTopology, StageTopology];

describe('reconcileAnswer', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  /** Accepts (archives) an event of `stage` received at `receivedAtMs`. */
  const accept = (eventId: string, stage: StageTopology, receivedAtMs: number) =>
    archiveEvent(cell.db, {
      eventId,
      invoiceId: `INV-${eventId}`,
      detailType: stage.detailType,
      receivedAtMs,
    });
  /** Stores the record of an event of `stage` received at `receivedAtMs`. */
  const store = (eventId: string, stage: StageTopology, receivedAtMs: number) =>
    cell.write(
      recordOf({ eventId, invoiceId: `INV-${eventId}`, stage: stage.name, timeMs: 0, receivedAtMs }),
    );

  it('matches accepted, stored, dead-lettered and queued events per stage and names the gap', async () => {
    // Prepare
    const inWindow = WINDOW.fromMs + MIN;
    for (const id of ['stored-1', 'dlq-1', 'queued-1', 'lost-1']) accept(id, ingestion, inWindow);
    accept('stored-2', reconciliation, inWindow);
    accept('before-window', ingestion, WINDOW.fromMs - 1);
    await store('stored-1', ingestion, inWindow);
    await store('stored-2', reconciliation, inWindow);
    await store('orphan', reconciliation, inWindow);
    const message = (eventId: string, receivedAtMs = inWindow) => ({
      eventId,
      invoiceId: `INV-${eventId}`,
      stage: ingestion.name,
      receivedAtMs,
    });
    enqueueMessage(cell.db, ingestion.ids.dlq, message('dlq-1'));
    enqueueMessage(cell.db, ingestion.ids.queue, message('queued-1'));
    enqueueMessage(cell.db, ingestion.ids.queue, message('before-window', WINDOW.fromMs - 1));

    // Act
    const answer = reconcileAnswer(cell.db, CELL_TOPOLOGY, WINDOW.fromMs, WINDOW.toMs, { nowMs: NOW });

    // Assess
    expect(answer.stages.map((s) => [s.stage, s.missing, s.unexpected, s.unnamed])).toEqual([
      ['ingestion', ['lost-1'], [], 0],
      ['reconciliation', [], ['orphan'], 0],
      ['authorization', [], [], 0],
      ['posting', [], [], 0],
    ]);
    expect(answer.stages[0]).toMatchObject({ accepted: 4, stored: 1, inDlq: 1, inFlight: 1, accounted: 3 });
    expect(answer).toMatchObject({
      from: '2026-11-20T09:00:00.000Z',
      to: '2026-11-20T10:00:00.000Z',
      balanced: false,
      missing: 1,
      unexpected: 1,
      binsChecked: 2,
      unbalancedBins: 2,
      listedBins: 1,
      unlistedBins: 0,
      notes: [],
    });
  });

  it('widens the window to whole minutes', async () => {
    // Prepare
    accept('edge', ingestion, WINDOW.fromMs + 10_000);
    await store('edge', ingestion, WINDOW.fromMs + 10_000);

    // Act
    const answer = reconcileAnswer(cell.db, CELL_TOPOLOGY, WINDOW.fromMs + 30_000, WINDOW.fromMs + 90_000, {
      nowMs: NOW,
    });

    // Assess
    expect(answer).toMatchObject({
      fromMs: WINDOW.fromMs,
      toMs: WINDOW.fromMs + 2 * MIN,
      binMs: MIN,
      balanced: true,
    });
    expect(answer.stages[0]).toMatchObject({ accepted: 1, stored: 1 });
  });

  it('compares bins older than the archive retention by count only, and says so', async () => {
    // Prepare: accepted 400 days ago (archive retention 365 days), one record stored of two.
    const old = NOW - 400 * DAY;
    accept('old-1', ingestion, old);
    accept('old-2', ingestion, old);
    await store('old-1', ingestion, old);

    // Act
    const answer = localReconcileReport(cell.db, CELL_TOPOLOGY, old - DAY, NOW, { nowMs: NOW });

    // Assess
    expect(answer.stages[0]).toMatchObject({
      accepted: 2,
      stored: 1,
      missing: [],
      unnamed: 1,
      balanced: false,
    });
    expect(answer).toMatchObject({ listedBins: 0, unlistedBins: 1, balanced: false });
    expect(answer.notes).toEqual([expect.stringMatching(/older than the archive's retention .*count only/)]);
  });

  it('names at most the listing limits and counts the rest', async () => {
    // Prepare: a lost event in each of three minutes.
    for (const m of [1, 2, 3]) {
      accept(`kept-${m}`, ingestion, WINDOW.fromMs + m * MIN);
      accept(`lost-${m}`, ingestion, WINDOW.fromMs + m * MIN);
      await store(`kept-${m}`, ingestion, WINDOW.fromMs + m * MIN);
    }

    // Act
    const answer = localReconcileReport(cell.db, CELL_TOPOLOGY, WINDOW.fromMs, WINDOW.toMs, {
      nowMs: NOW,
      limits: { bins: 2, events: 100 },
    });

    // Assess: the two oldest bins are named; the third is counted.
    expect(answer.stages[0]).toMatchObject({ missing: ['lost-1', 'lost-2'], unnamed: 1, accounted: 3 });
    expect(answer).toMatchObject({ unbalancedBins: 3, listedBins: 2, unlistedBins: 1 });
    expect(answer.notes).toEqual([
      expect.stringMatching(/^1 bin\(s\) .* not listed .*at most 2 bins and 100 /),
    ]);
  });

  it('starts the window where the bins were pruned, and says so', async () => {
    // Prepare
    accept('pruned', ingestion, WINDOW.fromMs);
    accept('kept', ingestion, WINDOW.fromMs + 10 * MIN);
    await store('kept', ingestion, WINDOW.fromMs + 10 * MIN);
    pruneReconcileBins(cell.db, WINDOW.fromMs + 5 * MIN, 100);

    // Act
    const answer = reconcileAnswer(cell.db, CELL_TOPOLOGY, WINDOW.fromMs, WINDOW.toMs, { nowMs: NOW });

    // Assess
    expect(answer).toMatchObject({ fromMs: WINDOW.fromMs + 5 * MIN, balanced: true });
    expect(answer.stages[0]).toMatchObject({ accepted: 1, stored: 1 });
    expect(answer.notes).toEqual([
      'reconciliation bins before 2026-11-20T09:05:00.000Z are pruned by retention: the window starts there',
    ]);
  });
});
