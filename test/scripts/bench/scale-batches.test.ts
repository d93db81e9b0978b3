import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import {
  batchEvents,
  InvoiceSource,
  LifecycleBatcher,
  type StageBatch,
} from '../../../scripts/bench/scale-batches.js';
import { createScaleTraffic } from '../../../scripts/bench/scale-records.js';

const stages = CELL_TOPOLOGY.stages;

function newSource(): InvoiceSource {
  return new InvoiceSource(createScaleTraffic({ seed: 5, topology: CELL_TOPOLOGY, nowMs: Date.now() }));
}

/** Runs the batcher to the end with `concurrency` batches in flight, accepting the oldest first. */
function drain(batcher: LifecycleBatcher, concurrency: number): StageBatch[] {
  const sent: StageBatch[] = [];
  const inFlight: StageBatch[] = [];
  for (let guard = 0; guard < 100_000 && !batcher.done; guard++) {
    const batch = inFlight.length < concurrency ? batcher.next() : undefined;
    if (batch) {
      sent.push(batch);
      inFlight.push(batch);
    } else batcher.accepted(inFlight.shift() as StageBatch);
  }
  return sent;
}

describe('LifecycleBatcher', () => {
  describe('next', () => {
    it("hands out an invoice's next event only after the batch holding its previous one was accepted", () => {
      // Prepare
      const batcher = new LifecycleBatcher({ source: newSource(), stages, batchSize: 10, budget: 2_000 });
      const accepted = new Map<string, number>();
      const inFlight: StageBatch[] = [];

      // Act / Assess
      for (let guard = 0; guard < 100_000 && !batcher.done; guard++) {
        const batch = inFlight.length < 8 ? batcher.next() : undefined;
        if (batch) {
          for (const item of batch.items) {
            expect(accepted.get(item.invoice.invoiceId) ?? -1).toBe(item.position - 1);
          }
          inFlight.push(batch);
          continue;
        }
        const done = inFlight.shift() as StageBatch;
        batcher.accepted(done);
        for (const item of done.items) accepted.set(item.invoice.invoiceId, item.position);
      }
      expect(batcher.done).toBe(true);
    });

    it('sends every event of every started invoice exactly once, one stage per batch', () => {
      // Prepare
      const traffic = createScaleTraffic({ seed: 5, topology: CELL_TOPOLOGY, nowMs: Date.now() });
      const source = new InvoiceSource(traffic);
      const batcher = new LifecycleBatcher({ source, stages, batchSize: 10, budget: 3_000 });

      // Act
      const sent = drain(batcher, 16);

      // Assess
      const ids = sent.flatMap((b) => batchEvents(b).map((e) => e.eventId));
      const expected = Array.from({ length: source.count }, (_, i) =>
        traffic.invoice(i).events.map((e) => e.event.eventId),
      ).flat();
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual(expected.sort());
      for (const batch of sent) {
        for (const item of batch.items) expect(item.invoice.events[item.position]?.stage).toBe(batch.stage);
      }
    });

    it('sends full batches until the budget is spent, then the rest of the started lifecycles', () => {
      // Prepare
      const batcher = new LifecycleBatcher({ source: newSource(), stages, batchSize: 10, budget: 5_000 });

      // Act
      const sent = drain(batcher, 4);
      const events = sent.reduce((n, b) => n + b.items.length, 0);

      // Assess
      expect(events).toBeGreaterThanOrEqual(5_000);
      expect(events).toBeLessThan(5_000 + 10 * stages.length);
      const partial = sent.filter((b) => b.items.length < 10);
      expect(partial.length).toBeLessThanOrEqual(2 * stages.length);
      expect(sent.length - partial.length).toBeGreaterThan(events / 10 - 2 * stages.length);
    });

    it('answers nothing while the remaining events wait for batches in flight', () => {
      // Prepare
      const batcher = new LifecycleBatcher({ source: newSource(), stages, batchSize: 10, budget: 10 });
      const first = batcher.next() as StageBatch;

      // Act
      const second = batcher.next();

      // Assess
      expect(second).toBeUndefined();
      expect(batcher.done).toBe(false);
      batcher.accepted(first);
      expect(batcher.next()?.stage).toBe(stages[1]);
    });

    it('keeps starting invoices when the budget is unbounded (the soak)', () => {
      // Prepare
      const source = newSource();
      const batcher = new LifecycleBatcher({
        source,
        stages,
        batchSize: 10,
        budget: Number.POSITIVE_INFINITY,
      });

      // Act
      const batches = Array.from({ length: 50 }, () => batcher.next());

      // Assess
      expect(batches.every((b) => b?.items.length === 10 && b.stage === stages[0])).toBe(true);
      expect(source.count).toBe(500);
    });
  });

  it('refuses a batch size below 1', () => {
    expect(() => new LifecycleBatcher({ source: newSource(), stages, batchSize: 0, budget: 1 })).toThrow(
      'batchSize must be a positive integer, got 0',
    );
  });
});

describe('InvoiceSource', () => {
  it('hands out each invoice once, in index order, and finds the id of any handed out', () => {
    // Prepare
    const source = newSource();

    // Act
    const first = source.next();
    const second = source.next();

    // Assess
    expect(source.count).toBe(2);
    expect(second.index).toBe(first.index + 1);
    expect(source.invoiceId(1)).toBe(second.invoiceId);
  });

  it('hands live invoices from the same numbers, so no id repeats across phases', () => {
    // Prepare
    const source = newSource();
    const live = source.timedBy(
      createScaleTraffic({ seed: 5, topology: CELL_TOPOLOGY, nowMs: Date.now(), live: true }),
    );

    // Act
    const first = source.next();
    const second = live.next();
    const third = source.next();

    // Assess
    expect([first.index, second.index, third.index]).toEqual([0, 1, 2]);
    expect(source.count).toBe(3);
    expect(source.invoiceId(1)).toBe(second.invoiceId);
  });
});
