import { describe, expect, it } from 'vitest';
import { businessTimeWindow } from '../../../cells/business-time.js';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { validateEvent } from '../../../schemas/index.js';
import { toMinorUnits } from '../../../schemas/money.js';
import {
  bulkRecords,
  createScaleTraffic,
  SCALE_SPAN_MS,
  type ScaleInvoice,
  scaleEventId,
} from '../../../scripts/bench/scale-records.js';

const NOW_MS = Date.parse('2026-11-20T12:00:00Z');
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

function invoices(count: number, seed = 7): ScaleInvoice[] {
  const traffic = createScaleTraffic({ seed, topology: CELL_TOPOLOGY, nowMs: NOW_MS });
  return Array.from({ length: count }, (_, i) => traffic.invoice(i));
}

describe('createScaleTraffic', () => {
  describe('invoice', () => {
    it('moves every invoice through the stages in lifecycle order, starting at the first', () => {
      // Prepare / Act
      const all = invoices(300);

      // Assess
      for (const invoice of all) {
        expect(invoice.events.length).toBeGreaterThanOrEqual(1);
        expect(invoice.events.map((e) => e.stage.order)).toEqual(invoice.events.map((_, i) => i));
        for (const e of invoice.events) expect(e.event.invoiceId).toBe(invoice.invoiceId);
      }
      const complete = all.filter((i) => i.events.length === CELL_TOPOLOGY.stages.length);
      expect(complete.length).toBeGreaterThan(all.length * 0.8);
    });

    it('gives every invoice and every event an id of its own', () => {
      // Prepare / Act
      const all = invoices(2_000);
      const eventIds = all.flatMap((i) => i.events.map((e) => e.event.eventId));

      // Assess
      expect(new Set(all.map((i) => i.invoiceId)).size).toBe(all.length);
      expect(new Set(eventIds).size).toBe(eventIds.length);
    });

    it('builds events the stage schemas and the business-time window accept', () => {
      // Prepare
      const window = businessTimeWindow(CELL_TOPOLOGY.settings);

      // Act
      const all = invoices(200);

      // Assess
      for (const e of all.flatMap((i) => i.events)) {
        expect(validateEvent(e.stage.name, e.event, '', { window, referenceMs: e.receivedAtMs })).toEqual([]);
      }
    });

    it('spreads the history over the last 60 days, so 24 h, 7 d and 30 d windows hold different amounts', () => {
      // Prepare / Act
      const times = invoices(3_000).flatMap((i) => i.events.map((e) => Date.parse(e.event.occurredAt)));
      const share = (ms: number) => times.filter((t) => t >= NOW_MS - ms).length / times.length;

      // Assess
      expect(Math.max(...times)).toBeLessThanOrEqual(NOW_MS);
      expect(Math.min(...times)).toBeGreaterThanOrEqual(NOW_MS - SCALE_SPAN_MS - 3 * DAY_MS);
      expect(share(DAY_MS)).toBeGreaterThan(0.005);
      expect(share(DAY_MS)).toBeLessThan(0.04);
      expect(share(7 * DAY_MS)).toBeGreaterThan(0.07);
      expect(share(7 * DAY_MS)).toBeLessThan(0.17);
      expect(share(30 * DAY_MS)).toBeGreaterThan(0.42);
      expect(share(30 * DAY_MS)).toBeLessThan(0.58);
    });

    it('times live traffic in the last day instead, with the same ids and the same late share', () => {
      // Prepare
      const live = createScaleTraffic({ seed: 7, topology: CELL_TOPOLOGY, nowMs: NOW_MS, live: true });

      // Act
      const liveInvoices = Array.from({ length: 3_000 }, (_, i) => live.invoice(i));
      const events = liveInvoices.flatMap((i) => i.events);

      // Assess
      const onTime = events.filter((e) => !e.late).map((e) => Date.parse(e.event.occurredAt));
      expect(Math.max(...onTime)).toBeLessThanOrEqual(NOW_MS);
      expect(Math.min(...onTime)).toBeGreaterThanOrEqual(NOW_MS - DAY_MS);
      const late = events.filter((e) => e.late).length / events.length;
      expect(late).toBeGreaterThan(0.035);
      expect(late).toBeLessThan(0.065);
      const history = invoices(3_000);
      expect(liveInvoices.map((i) => i.events.map((e) => e.event.eventId))).toEqual(
        history.map((i) => i.events.map((e) => e.event.eventId)),
      );
    });

    it('makes about 5 % of events late: occurred 1 h to 3 days before they arrived', () => {
      // Prepare / Act
      const events = invoices(3_000).flatMap((i) => i.events);
      const late = events.filter((e) => e.late);

      // Assess
      expect(late.length / events.length).toBeGreaterThan(0.035);
      expect(late.length / events.length).toBeLessThan(0.065);
      for (const e of late) {
        const lagMs = e.receivedAtMs - Date.parse(e.event.occurredAt);
        expect(lagMs).toBeGreaterThanOrEqual(HOUR_MS);
        expect(lagMs).toBeLessThanOrEqual(72 * HOUR_MS + 21_000);
      }
      for (const e of events.filter((x) => !x.late).slice(0, 500)) {
        expect(e.receivedAtMs - Date.parse(e.event.occurredAt)).toBeLessThan(21_000);
      }
    });

    it('uses several currencies and vendors', () => {
      // Prepare / Act
      const events = invoices(1_000).flatMap((i) => i.events.map((e) => e.event));

      // Assess
      expect(new Set(events.map((e) => e.amount.currency)).size).toBeGreaterThanOrEqual(5);
      expect(new Set(events.map((e) => e.vendor.id)).size).toBeGreaterThanOrEqual(10);
    });

    it('answers the same invoice for the same seed and index', () => {
      // Prepare / Act
      const a = createScaleTraffic({ seed: 3, topology: CELL_TOPOLOGY, nowMs: NOW_MS }).invoice(41);
      const b = createScaleTraffic({ seed: 3, topology: CELL_TOPOLOGY, nowMs: NOW_MS }).invoice(41);

      // Assess
      expect(b).toEqual(a);
    });

    it('refuses a late share outside 0..1', () => {
      expect(() =>
        createScaleTraffic({ seed: 1, topology: CELL_TOPOLOGY, nowMs: NOW_MS, lateShare: 1.5 }),
      ).toThrow('lateShare must be 0..1, got 1.5');
    });
  });
});

describe('scaleEventId', () => {
  it('is UUID-shaped and names the seed, stage position and invoice index', () => {
    expect(scaleEventId(255, 4096, 3)).toBe('000000ff-0003-4000-8000-000000001000');
  });
});

describe('bulkRecords', () => {
  it('maps each event to the record the processor writes, with the simulated receive time', () => {
    // Prepare
    const invoice = invoices(5)[4] as ScaleInvoice;
    const cell = { cell: 'local', region: 'local' };

    // Act
    const records = bulkRecords(invoice, { cell, window: businessTimeWindow(CELL_TOPOLOGY.settings) });

    // Assess
    expect(records).toHaveLength(invoice.events.length);
    records.forEach((record, i) => {
      const { event, stage, receivedAtMs } = invoice.events[i] as ScaleInvoice['events'][number];
      expect(record.dimensions).toMatchObject({ ...cell, stage: stage.name, eventId: event.eventId });
      expect(record.timeMs).toBe(Date.parse(event.occurredAt));
      expect(record.measures.receivedAtMs).toBe(receivedAtMs);
      expect(record.measures.amountMinor).toBe(
        toMinorUnits(event.amount.value, event.amount.currency).toString(),
      );
    });
  });
});
