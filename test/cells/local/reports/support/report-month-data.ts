import { CELL_TOPOLOGY, type StageName } from '../../../../../cells/topology.js';
import type { InvoiceRecord } from '../../../../../consumers/record.js';
import { int, mulberry32, pick, type Random, weighted } from '../../../../../scripts/ops/seeded-random.js';
import { recordOf } from '../../../../dashboards/support/cell-db.js';

/**
 * A seeded month of invoice data around October 2026 for the report-vs-truth test: invoices in three
 * currencies and 14 vendors going through the four stages (stopping anywhere, rejected, posted,
 * failed or reversed), events just inside and just outside the month edges in UTC, Europe/Paris and
 * Asia/Kolkata, late events (business time in October or September, received in November), equal
 * record times, changed amounts and payment terms on later events, duplicates and replays (the same
 * record written again), and events accepted but not stored (in a DLQ, in flight, lost).
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Month edges (UTC ms) of October and November 2026 in the zones the test reads. */
export const EDGES = [
  Date.parse('2026-10-01T00:00:00Z'),
  Date.parse('2026-11-01T00:00:00Z'),
  Date.parse('2026-09-30T22:00:00Z'),
  Date.parse('2026-10-31T23:00:00Z'),
  Date.parse('2026-09-30T18:30:00Z'),
  Date.parse('2026-10-31T18:30:00Z'),
  Date.parse('2026-11-30T23:00:00Z'),
];

const OCTOBER_UTC = { fromMs: Date.parse('2026-10-01T00:00:00Z'), toMs: Date.parse('2026-11-01T00:00:00Z') };
const WHERE = ['dlq', 'queue', 'lost'] as const;

/** When the late events arrive ("now" of the load). */
export const LATE_ARRIVAL_MS = Date.parse('2026-11-05T10:00:00Z');

const SPAN_FROM = Date.parse('2026-09-20T00:00:00Z');
const SPAN_TO = Date.parse('2026-11-25T00:00:00Z');

const STATUSES: Readonly<Record<StageName, readonly (readonly [string, number])[]>> = {
  ingestion: [
    ['RECEIVED', 6],
    ['CAPTURED', 3],
    ['REJECTED', 1],
  ],
  reconciliation: [
    ['MATCHED', 6],
    ['PARTIALLY_MATCHED', 2],
    ['MISMATCHED', 1],
  ],
  authorization: [
    ['APPROVED', 6],
    ['ESCALATED', 2],
    ['REJECTED', 1],
  ],
  posting: [
    ['POSTED', 6],
    ['FAILED', 2],
    ['REVERSED', 1],
  ],
};

const CURRENCIES: readonly (readonly [string, number])[] = [
  ['EUR', 5],
  ['USD', 4],
  ['JPY', 2],
];
const TERMS: readonly (number | null)[] = [null, 0, 15, 30, 30, 45, 60];

/** An accepted event the store does not hold: dead-lettered, still queued, or lost. */
export interface UnstoredEvent {
  readonly record: InvoiceRecord;
  readonly where: 'dlq' | 'queue' | 'lost';
}

export interface ReportMonthData {
  /** Every distinct record (what the store ends up holding). */
  readonly records: readonly InvoiceRecord[];
  /** The write order: records shuffled, with duplicates and replays. */
  readonly writes: readonly InvoiceRecord[];
  readonly unstored: readonly UnstoredEvent[];
  readonly duplicates: number;
  readonly late: number;
  readonly nearEdges: number;
}

function startTime(random: Random): { timeMs: number; nearEdge: boolean } {
  if (random() < 0.25) {
    const edge = pick(random, EDGES);
    return { timeMs: edge + pick(random, [-60_001, -1, 0, 1, 59_999]), nearEdge: true };
  }
  return { timeMs: int(random, SPAN_FROM, SPAN_TO), nearEdge: false };
}

interface InvoiceShape {
  readonly invoiceId: string;
  readonly currency: string;
  readonly vendorId: string;
}

function lifecycle(random: Random, invoice: InvoiceShape, counters: { late: number; near: number }) {
  const records: InvoiceRecord[] = [];
  const start = startTime(random);
  if (start.nearEdge) counters.near++;
  let timeMs = start.timeMs;
  let amount = int(random, 1, 5_000_000);
  let terms = pick(random, TERMS);
  const lastOrder = int(random, 0, CELL_TOPOLOGY.stages.length - 1);
  for (const stage of CELL_TOPOLOGY.stages.slice(0, lastOrder + 1)) {
    const events = int(random, 1, 2);
    for (let k = 0; k < events; k++) {
      const status = weighted(random, STATUSES[stage.name]);
      const late = random() < 0.06;
      if (late) counters.late++;
      if (random() < 0.2) amount += int(random, -1_000, 1_000);
      if (stage.order === 0 && random() < 0.2) terms = pick(random, TERMS);
      records.push(
        recordOf({
          eventId: `E-${invoice.invoiceId}-${stage.order}-${k}`,
          invoiceId: invoice.invoiceId,
          stage: stage.name,
          timeMs,
          status,
          amountMinor: String(Math.max(1, amount)),
          currency: invoice.currency,
          vendorId: invoice.vendorId,
          receivedAtMs: late ? LATE_ARRIVAL_MS + int(random, 0, HOUR) : timeMs + int(random, 0, 90_000),
          paymentTermsDays: terms,
        }),
      );
      // Equal times now and then: the larger eventId is the latest.
      if (random() >= 0.1) timeMs += int(random, 1, 2 * DAY);
      if (stage.terminalStatuses.includes(status)) return records;
    }
  }
  return records;
}

function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = int(random, 0, i);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/**
 * The seeded month (`invoices` lifecycles, about 2.5 records each).
 *
 * @example
 * const data = reportMonthData(7, 500);
 */
export function reportMonthData(seed: number, invoices: number): ReportMonthData {
  const random = mulberry32(seed);
  const counters = { late: 0, near: 0 };
  const records: InvoiceRecord[] = [];
  for (let i = 0; i < invoices; i++) {
    const invoice = {
      invoiceId: `INV-${String(i).padStart(4, '0')}`,
      currency: weighted(random, CURRENCIES),
      vendorId: `V-${int(random, 1, 14)}`,
    };
    records.push(...lifecycle(random, invoice, counters));
  }
  const unstored: UnstoredEvent[] = [];
  const stored: InvoiceRecord[] = [];
  for (const record of records) {
    const { receivedAtMs } = record.measures;
    const inOctober = receivedAtMs >= OCTOBER_UTC.fromMs && receivedAtMs < OCTOBER_UTC.toMs;
    if (inOctober && unstored.length < 9 && random() < 0.02) {
      unstored.push({ record, where: WHERE[unstored.length % WHERE.length] ?? 'lost' });
    } else stored.push(record);
  }
  const again = stored.filter(() => random() < 0.12);
  const writes = [...shuffle(random, [...stored, ...again]), ...stored.filter(() => random() < 0.05)];
  return {
    records: stored,
    writes,
    unstored,
    duplicates: writes.length - stored.length,
    late: counters.late,
    nearEdges: counters.near,
  };
}
