import { afterEach, describe, expect, it } from 'vitest';
import { reconcileAnswer } from '../../../../cells/local/monitoring/reconcile-answer.js';
import { binStartOf } from '../../../../consumers/monitoring/reconcile-bins.js';
import { recordOf } from '../../../dashboards/support/cell-db.js';
import {
  type AcceptedEvent,
  openReconcilePipeline,
  type ReconcilePipeline,
  randomLoad,
  randomUuid,
  seededRandom,
} from './support/reconcile-pipeline.js';

const T0 = Date.parse('2026-11-20T09:00:00Z');
const SPAN_MS = 30 * 60_000;
const WINDOW = { fromMs: T0, toMs: T0 + SPAN_MS };

/** Accepts `events` in random batches of 1 to 10, as producers post them. */
async function acceptInBatches(
  cell: ReconcilePipeline,
  events: readonly AcceptedEvent[],
  random: () => number,
) {
  for (let i = 0; i < events.length; ) {
    const n = 1 + Math.floor(random() * 10);
    await cell.accept(events.slice(i, i + n));
    i += n;
  }
}

function pick<T>(items: readonly T[], n: number, random: () => number): T[] {
  const copy = [...items];
  const chosen: T[] = [];
  while (chosen.length < n && copy.length > 0)
    chosen.push(...copy.splice(Math.floor(random() * copy.length), 1));
  return chosen;
}

/** Missing ids of every stage of the answer, sorted. */
function missingOf(cell: ReconcilePipeline) {
  const answer = reconcileAnswer(cell.db, cell.topology, WINDOW.fromMs, WINDOW.toMs, {
    nowMs: cell.clock.now(),
  });
  return { answer, missing: answer.stages.flatMap((s) => s.missing).sort() };
}

describe('reconcileAnswer on a load through the real committer and store', () => {
  let cell: ReconcilePipeline;

  afterEach(() => {
    cell.close();
  });

  it('balances by the counters alone, with duplicates, replays and redelivered replays', async () => {
    // Prepare
    const random = seededRandom(9001);
    cell = openReconcilePipeline(T0 + SPAN_MS + 60_000);
    const events = randomLoad(random, { invoices: 150, fromMs: T0, spanMs: SPAN_MS });
    await acceptInBatches(cell, events, random);
    const duplicates = await cell.accept(pick(events, 10, random));
    await cell.accept(pick(events, 10, random), { replay: true });
    await cell.drain();
    // Past the 5-minute dedup window a replay is delivered again; its record is a no-op rewrite.
    cell.clock.advance(6 * 60_000);
    await cell.accept(pick(events, 10, random), { replay: true });
    await cell.drain();

    // Act
    const answer = reconcileAnswer(cell.db, cell.topology, WINDOW.fromMs, WINDOW.toMs, {
      nowMs: cell.clock.now(),
    });

    // Assess
    expect(duplicates.every((d) => d.status === 'duplicate')).toBe(true);
    expect(answer).toMatchObject({
      balanced: true,
      missing: 0,
      unexpected: 0,
      unbalancedBins: 0,
      listedBins: 0,
    });
    for (const stage of cell.topology.stages) {
      const n = events.filter((e) => e.stage === stage.name).length;
      expect(answer.stages.find((s) => s.stage === stage.name)).toMatchObject({
        accepted: n,
        stored: n,
        accounted: n,
        inDlq: 0,
        inFlight: 0,
        unnamed: 0,
      });
    }
    expect(answer.binsChecked).toBeGreaterThan(cell.topology.stages.length);
  });

  it('keeps counters equal to a recount of the archive and the records', async () => {
    // Prepare
    const random = seededRandom(77);
    cell = openReconcilePipeline(T0 + SPAN_MS + 60_000);
    await acceptInBatches(cell, randomLoad(random, { invoices: 80, fromMs: T0, spanMs: SPAN_MS }), random);
    await cell.drain();

    // Act
    const bins = cell.db
      .prepare('SELECT bin_start_ms, stage, accepted, stored FROM reconcile_bins ORDER BY 1, 2')
      .all();
    const bin = 'received_at_ms - received_at_ms % 60000';
    const recount = cell.db
      .prepare(
        `SELECT bin_start_ms, stage, sum(accepted) AS accepted, sum(stored) AS stored FROM (
           SELECT ${bin} AS bin_start_ms, substr(detail_type, 9) AS stage, 1 AS accepted, 0 AS stored FROM archive
           UNION ALL SELECT ${bin}, stage, 0, 1 FROM records)
         GROUP BY 1, 2 ORDER BY 1, 2`,
      )
      .all();

    // Assess
    expect(bins).toEqual(recount);
    expect(bins.length).toBeGreaterThan(20);
  });

  it('names exactly the accepted events lost before a record was written', async () => {
    // Prepare: messages deleted from their queues unprocessed (e.g. a purge): accepted, never stored.
    const random = seededRandom(4242);
    cell = openReconcilePipeline(T0 + SPAN_MS + 60_000);
    const events = randomLoad(random, { invoices: 120, fromMs: T0, spanMs: SPAN_MS });
    await acceptInBatches(cell, events, random);
    const lost = pick(events, 7, random).map((e) => e.event.eventId);
    const remove = cell.db.prepare('DELETE FROM messages WHERE dedup_id = ?');
    for (const id of lost) expect(remove.run(id).changes).toBe(1);
    await cell.drain();

    // Act
    const { answer, missing } = missingOf(cell);

    // Assess
    expect(missing).toEqual([...lost].sort());
    expect(answer).toMatchObject({
      balanced: false,
      missing: lost.length,
      unexpected: 0,
      listedBins: expect.any(Number),
    });
    expect(answer.listedBins).toBeLessThanOrEqual(lost.length);
    expect(answer.stages.every((s) => s.unnamed === 0)).toBe(true);
  });

  it('names a record deleted from the store behind its back', async () => {
    // Prepare
    const random = seededRandom(5);
    cell = openReconcilePipeline(T0 + SPAN_MS + 60_000);
    const events = randomLoad(random, { invoices: 60, fromMs: T0, spanMs: SPAN_MS });
    await acceptInBatches(cell, events, random);
    await cell.drain();
    const [gone] = pick(events, 1, random);
    expect(cell.db.prepare('DELETE FROM records WHERE event_id = ?').run(gone?.event.eventId).changes).toBe(
      1,
    );

    // Act
    const { answer, missing } = missingOf(cell);

    // Assess
    expect(missing).toEqual([gone?.event.eventId]);
    expect(answer.stages.find((s) => s.stage === gone?.stage)).toMatchObject({ balanced: false, unnamed: 0 });
  });

  it('names a record stored without acceptance as unexpected, and a dead-lettered message as in the DLQ', async () => {
    // Prepare
    const random = seededRandom(6);
    cell = openReconcilePipeline(T0 + SPAN_MS + 60_000);
    const events = randomLoad(random, { invoices: 40, fromMs: T0, spanMs: SPAN_MS });
    await acceptInBatches(cell, events, random);
    const [dead] = pick(events, 1, random);
    const stage = cell.topology.stages.find((s) => s.name === dead?.stage);
    const dlqId = cell.db
      .prepare<[string], { id: number }>('SELECT id FROM queues WHERE name = ?')
      .get(stage?.ids.dlq ?? '');
    cell.db
      .prepare('UPDATE messages SET queue_id = ? WHERE dedup_id = ?')
      .run(dlqId?.id, dead?.event.eventId);
    await cell.drain();
    const foreign = randomUuid(random);
    const receivedAtMs = T0 + 5 * 60_000 + 123;
    const { rejected } = await cell.store.writeRecords([
      recordOf({
        eventId: foreign,
        invoiceId: 'INV-FOREIGN',
        stage: 'posting',
        timeMs: receivedAtMs,
        receivedAtMs,
      }),
    ]);

    // Act
    const { answer, missing } = missingOf(cell);

    // Assess
    expect(rejected).toEqual([]);
    expect(missing).toEqual([]);
    expect(answer.stages.find((s) => s.stage === 'posting')).toMatchObject({
      unexpected: [foreign],
      balanced: false,
    });
    expect(answer.stages.find((s) => s.stage === dead?.stage)).toMatchObject({ inDlq: 1, missing: [] });
    expect(
      cell.db
        .prepare('SELECT unaccepted FROM reconcile_bins WHERE bin_start_ms = ? AND stage = ?')
        .get(binStartOf(receivedAtMs), 'posting'),
    ).toEqual({ unaccepted: 1 });
  });
});
