import { describe, expect, it } from 'vitest';
import { businessTimeWindow } from '../../../cells/business-time.js';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { type BulkWrite, TimeOrderedRelease } from '../../../scripts/bench/scale-bulk-order.js';
import { bulkRecords, createScaleTraffic } from '../../../scripts/bench/scale-records.js';

const NOW_MS = Date.parse('2026-11-20T12:00:00Z');
const DAY_MS = 86_400_000;
const INVOICES = 2_000;
const context = {
  cell: { cell: 'local', region: 'local' },
  window: businessTimeWindow(CELL_TOPOLOGY.settings),
};

/** Feeds the ordered history of `INVOICES` invoices over three days through the release. */
function releaseAll(historyOrder = true): { writes: BulkWrite[]; events: number } {
  const traffic = createScaleTraffic({
    seed: 3,
    topology: CELL_TOPOLOGY,
    nowMs: NOW_MS,
    spanMs: 3 * DAY_MS,
    ...(historyOrder ? { historyOrder: { firstIndex: 100, invoices: INVOICES } } : {}),
  });
  const order = new TimeOrderedRelease({
    marginMs: 2 * DAY_MS,
    storeDelayMs: 250,
    writeSize: 10,
    writeSpreadMs: 60_000,
  });
  const writes: BulkWrite[] = [];
  let events = 0;
  for (let i = 100; i < 100 + INVOICES; i++) {
    const invoice = traffic.invoice(i);
    order.add(invoice, bulkRecords(invoice, context));
    events += invoice.events.length;
    writes.push(...order.release());
  }
  writes.push(...order.release({ all: true }));
  return { writes, events };
}

function latenciesMs(writes: readonly BulkWrite[]): number[] {
  return writes.flatMap((w) => w.items.map((p) => w.storedAtMs - p.event.receivedAtMs)).sort((a, b) => a - b);
}

describe('TimeOrderedRelease', () => {
  it('releases every event once, each invoice in lifecycle order, stored after it was received', () => {
    // Act
    const { writes, events } = releaseAll();

    // Assess
    const items = writes.flatMap((w) => w.items);
    expect(items).toHaveLength(events);
    expect(new Set(items.map((p) => p.record.dimensions.eventId)).size).toBe(events);
    const positions = new Map<string, number>();
    for (const p of items) {
      const invoiceId = p.record.dimensions.invoiceId;
      expect(p.event.stage.order).toBe(positions.get(invoiceId) ?? 0);
      positions.set(invoiceId, p.event.stage.order + 1);
    }
    expect(writes.every((w) => w.items.length <= 10 && w.items.length > 0)).toBe(true);
    expect(writes.every((w) => (w.items.at(-1)?.key ?? 0) - (w.items[0]?.key ?? 0) <= 60_000)).toBe(true);
    expect(latenciesMs(writes)[0]).toBeGreaterThanOrEqual(250);
  });

  it('stores the ordered history within minutes of receipt', () => {
    // Act
    const latencies = latenciesMs(releaseAll().writes);

    // Assess: a write holds events received within a minute of its first; stragglers are rare.
    const at = (q: number) => latencies[Math.floor(q * (latencies.length - 1))] as number;
    expect(at(0.99)).toBeLessThanOrEqual(60_000 + 250);
    expect(latencies.filter((ms) => ms > 60_250).length).toBeLessThan(latencies.length / 1_000);
  });

  it('refuses an invoice whose records do not match its events', () => {
    // Prepare
    const traffic = createScaleTraffic({ seed: 3, topology: CELL_TOPOLOGY, nowMs: NOW_MS });
    const invoice = traffic.invoice(0);
    const order = new TimeOrderedRelease({
      marginMs: DAY_MS,
      storeDelayMs: 0,
      writeSize: 10,
      writeSpreadMs: 1_000,
    });

    // Act / Assess
    expect(() => order.add(invoice, bulkRecords(invoice, context).slice(1))).toThrow(/records for/);
  });
});
