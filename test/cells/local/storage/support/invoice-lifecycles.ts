import { CELL_TOPOLOGY, type StageName } from '../../../../../cells/topology.js';
import type { InvoiceRecord } from '../../../../../consumers/record.js';
import {
  int,
  mixSeed,
  mulberry32,
  pick,
  type Random,
  uuid,
  weighted,
} from '../../../../../scripts/ops/seeded-random.js';
import { recordOf } from '../../../../dashboards/support/cell-db.js';

/**
 * A seeded random set of invoice lifecycles for the invoice state and SLA tests: invoices that stop
 * at any stage, skip stages, move on just within, exactly at and just after a stage SLA, end with a
 * terminal status (REJECTED), have several events per stage (some older than the stage's first,
 * lowering its entered time), equal record times (ties go to the larger eventId), events at an
 * earlier stage stored after later ones, duplicates, and a shuffled arrival order.
 */

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** Monday 2026-11-16 00:00 UTC. */
export const BASE_MS = Date.UTC(2026, 10, 16);
/** Invoices start within this many days of {@link BASE_MS}. */
export const SPAN_DAYS = 10;

const STATUSES: Readonly<Record<StageName, readonly string[]>> = {
  ingestion: ['RECEIVED', 'CAPTURED', 'REJECTED'],
  reconciliation: ['MATCHED', 'PARTIALLY_MATCHED', 'MISMATCHED'],
  authorization: ['APPROVED', 'ESCALATED', 'REJECTED'],
  posting: ['POSTED'],
};

/** Time to the next stage, relative to the stage SLA: well within, at the limit, just over, late. */
function gapMs(random: Random, slaMs: number): number {
  const kind = weighted(random, [
    ['within', 45],
    ['atLimit', 8],
    ['justOver', 8],
    ['late', 30],
    ['before', 9],
  ] as const);
  if (kind === 'within') return int(random, 0, slaMs - 1);
  if (kind === 'atLimit') return slaMs;
  if (kind === 'justOver') return slaMs + 1;
  if (kind === 'late') return int(random, slaMs + 1, 4 * slaMs);
  // The next stage's business time is before this one's (clocks of two systems).
  return -int(random, 0, 10 * 60_000);
}

function lifecycle(random: Random, index: number): InvoiceRecord[] {
  const invoiceId = `INV-${index}`;
  const vendorId = `V-${int(random, 1, 9)}`;
  const records: InvoiceRecord[] = [];
  let timeMs = BASE_MS + int(random, 0, SPAN_DAYS * DAY);
  const lastOrder = int(random, 0, CELL_TOPOLOGY.stages.length - 1);
  for (const stage of CELL_TOPOLOGY.stages.slice(0, lastOrder + 1)) {
    // A skipped stage: the invoice goes straight on (never the one it stops at).
    if (stage.order < lastOrder && stage.order > 0 && random() < 0.1) continue;
    const statuses = STATUSES[stage.name];
    for (let n = int(random, 1, 3); n > 0; n--) {
      const at = n === 1 || random() < 0.2 ? timeMs : timeMs + int(random, -2 * HOUR, 2 * HOUR);
      records.push(
        recordOf({
          eventId: uuid(random),
          invoiceId,
          stage: stage.name,
          timeMs: at,
          status: pick(random, statuses),
          vendorId,
        }),
      );
    }
    timeMs += gapMs(random, Math.max(stage.slaSec, 60) * 1000);
  }
  return records;
}

function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/**
 * `invoices` lifecycles as one shuffled arrival stream with about 5 % duplicates (a retry, redrive
 * or replay writes the identical record again).
 *
 * @example
 * const arrivals = randomLifecycles(7, 500);
 */
export function randomLifecycles(seed: number, invoices: number): InvoiceRecord[] {
  const random = mulberry32(mixSeed(seed, 0));
  const records: InvoiceRecord[] = [];
  for (let i = 0; i < invoices; i++) records.push(...lifecycle(mulberry32(mixSeed(seed, i + 1)), i));
  const arrivals = [...records];
  for (const r of records) if (random() < 0.05) arrivals.push(r);
  return shuffle(random, arrivals);
}
