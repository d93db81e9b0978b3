import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { buildDashboards } from '../../../dashboards/panels/panels.js';
import {
  contributionOf,
  isNewer,
  partitionKeyOf,
  passes,
  type RollupRecord,
} from '../../../dashboards/rollups/contributions.js';
import { bucketOf } from '../../../dashboards/rollups/histogram.js';
import { deriveRollupSpecs, type RollupSpec } from '../../../dashboards/rollups/rollup-specs.js';

const specs = deriveRollupSpecs(buildDashboards(CELL_TOPOLOGY));
const spec = (panelId: string): RollupSpec => specs.find((s) => s.panelIds.includes(panelId)) as RollupSpec;

const RECORD: RollupRecord = {
  eventId: 'e-1',
  invoiceId: 'inv-1',
  stage: 'posting',
  stageOrder: 3,
  status: 'PAID',
  currency: 'KWD',
  vendorId: 'v-1',
  amountMinor: 9_000_000_000_000_000_123n,
  paymentTermsDays: 30,
  dueDateMs: Date.UTC(2026, 1, 4),
  timeMs: Date.UTC(2026, 0, 7, 10),
  receivedAtMs: Date.UTC(2026, 0, 7, 10, 0, 1),
  storedAtMs: Date.UTC(2026, 0, 7, 10, 0, 1) + 1_234,
};

describe('passes', () => {
  it('applies stage, status, due-date and payment-terms conditions', () => {
    expect(passes({}, RECORD)).toBe(true);
    expect(passes({ stage: 'ingestion' }, RECORD)).toBe(false);
    expect(passes({ status: 'FAILED' }, RECORD)).toBe(false);
    expect(passes({ requireDueDate: true }, { ...RECORD, dueDateMs: null })).toBe(false);
    expect(passes({ requirePaymentTerms: true }, { ...RECORD, paymentTermsDays: null })).toBe(false);
  });
});

describe('contributionOf', () => {
  it('counts one event under its group keys at its record time', () => {
    expect(contributionOf(spec('ops-throughput'), RECORD, 1)).toEqual({
      keyValues: ['posting'],
      windowMs: RECORD.timeMs,
      count: 1,
      sumMinor: 0n,
      sum: 0,
    });
  });

  it('adds money as a signed bigint, exact past 2^63', () => {
    const s = spec('fin-completed-value-trend');
    expect(contributionOf(s, RECORD, 1)).toMatchObject({
      keyValues: ['KWD', 'PAID'],
      count: 1,
      sumMinor: RECORD.amountMinor,
    });
    expect(contributionOf(s, RECORD, -1)).toMatchObject({ count: -1, sumMinor: -RECORD.amountMinor });
    expect(contributionOf(s, { ...RECORD, stage: 'ingestion' }, 1)).toBeUndefined();
  });

  it('keys cash flow by the Monday of the due week', () => {
    expect(contributionOf(spec('fin-cash-flow-by-week'), RECORD, 1)?.keyValues).toEqual([
      'KWD',
      Date.UTC(2026, 1, 2),
    ]);
    expect(contributionOf(spec('fin-cash-flow-by-week'), { ...RECORD, dueDateMs: null }, 1)).toBeUndefined();
  });

  it('buckets latency at its stored time, and sums payment terms for averages', () => {
    expect(contributionOf(spec('ops-latency-p99'), RECORD, -1)).toMatchObject({
      windowMs: RECORD.storedAtMs,
      count: -1,
      bucket: bucketOf(1_234),
    });
    expect(contributionOf(spec('fin-average-payment-terms'), RECORD, -1)).toMatchObject({
      count: -1,
      sum: -30,
    });
    expect(
      contributionOf(spec('fin-payment-terms-mix'), { ...RECORD, paymentTermsDays: null }, 1)?.keyValues,
    ).toEqual([null]);
  });
});

describe('isNewer', () => {
  it('orders by time, then by eventId, whatever the arrival order', () => {
    expect(isNewer({ timeMs: 2, eventId: 'a' }, { timeMs: 1, eventId: 'z' })).toBe(true);
    expect(isNewer({ timeMs: 1, eventId: 'z' }, { timeMs: 2, eventId: 'a' })).toBe(false);
    expect(isNewer({ timeMs: 1, eventId: 'b' }, { timeMs: 1, eventId: 'a' })).toBe(true);
    expect(isNewer({ timeMs: 1, eventId: 'a' }, { timeMs: 1, eventId: 'b' })).toBe(false);
    expect(isNewer(RECORD, RECORD)).toBe(false);
  });
});

describe('partitionKeyOf', () => {
  it('keys by invoice, or by invoice and stage', () => {
    expect(partitionKeyOf('invoice', RECORD)).toBe('inv-1');
    expect(partitionKeyOf('invoiceStage', RECORD)).toBe('["inv-1","posting"]');
  });
});
