import type { StageName } from '../../../../cells/topology.js';
import type { RollupRecord } from '../../../../dashboards/rollups/contributions.js';
import {
  int,
  mixSeed,
  mulberry32,
  pick,
  type Random,
  uuid,
  weighted,
} from '../../../../scripts/ops/seeded-random.js';

/**
 * A seeded random event stream for the rollup tests: many invoices in several currencies (JPY with
 * no decimals, KWD with three), vendors, payment terms and due dates, several events per invoice
 * and stage with different amounts, equal times (ties broken by eventId), late events with old
 * times, duplicates (identical, and same eventId with other content: first write wins) and a
 * shuffled arrival order.
 */

export const DAY = 86_400_000;
/** Monday 2026-01-05 00:00 UTC. */
export const BASE_MS = Date.UTC(2026, 0, 5);
export const SPAN_DAYS = 40;

const STAGES: readonly StageName[] = ['ingestion', 'reconciliation', 'authorization', 'posting'];
const STATUSES: Readonly<Record<string, readonly string[]>> = {
  ingestion: ['RECEIVED', 'VALIDATED', 'REJECTED'],
  reconciliation: ['MATCHED', 'UNMATCHED'],
  authorization: ['APPROVED', 'REJECTED', 'PENDING'],
  posting: ['POSTED', 'PAID', 'FAILED'],
};
const CURRENCIES = ['USD', 'EUR', 'JPY', 'KWD', 'GBP'] as const;
const NET_DAYS = [0, 10, 30, 45, 60, 90] as const;

function amount(random: Random): bigint {
  const size = weighted(random, [
    ['small', 60],
    ['large', 35],
    ['huge', 5],
  ] as const);
  if (size === 'small') return BigInt(int(random, 0, 99_999));
  if (size === 'large') return BigInt(int(random, 100_000, 2_000_000_000));
  // Sums of these pass 2^63: money must stay bigint all the way.
  return BigInt(int(random, 1, 9)) * 10n ** 18n + BigInt(int(random, 0, 999_999));
}

function latency(random: Random): number {
  const kind = weighted(random, [
    ['fast', 50],
    ['normal', 40],
    ['slow', 9],
    ['clockStep', 1],
  ] as const);
  if (kind === 'fast') return int(random, 0, 99);
  if (kind === 'normal') return int(random, 100, 5_000);
  if (kind === 'slow') return int(random, 5_000, 400_000);
  return -int(random, 1, 250);
}

interface InvoiceTraits {
  readonly invoiceId: string;
  readonly currency: string;
  readonly vendorId: string;
  readonly terms: { readonly days: number; readonly dueDateMs: number } | null;
}

function invoiceTraits(random: Random, index: number, startMs: number): InvoiceTraits {
  const days = random() < 0.6 ? pick(random, NET_DAYS) : null;
  return {
    invoiceId: `inv-${index}`,
    currency: pick(random, CURRENCIES),
    vendorId: `vendor-${int(random, 1, 12)}`,
    terms: days === null ? null : { days, dueDateMs: Math.floor(startMs / DAY) * DAY + days * DAY },
  };
}

function invoiceEvents(random: Random, index: number): RollupRecord[] {
  let timeMs = BASE_MS + int(random, 0, SPAN_DAYS * DAY);
  const traits = invoiceTraits(random, index, timeMs);
  const events: RollupRecord[] = [];
  const stages = int(random, 1, STAGES.length);
  for (let order = 0; order < stages; order++) {
    const stage = STAGES[order] as StageName;
    for (let n = int(random, 1, 3); n > 0; n--) {
      // Equal times at one stage happen (ties go to the larger eventId).
      if (random() > 0.15) timeMs += int(random, 0, 3 * 3_600_000);
      const late = random() < 0.1 ? int(random, 1, 10) * DAY + int(random, 0, DAY) : 0;
      const receivedAtMs = timeMs + int(random, 0, 2_000);
      events.push({
        eventId: uuid(random),
        invoiceId: traits.invoiceId,
        stage,
        stageOrder: order,
        status: pick(random, STATUSES[stage] ?? ['UNKNOWN']),
        currency: traits.currency,
        vendorId: traits.vendorId,
        amountMinor: amount(random),
        paymentTermsDays: traits.terms?.days ?? null,
        dueDateMs: traits.terms?.dueDateMs ?? null,
        timeMs: timeMs - late,
        receivedAtMs,
        storedAtMs: receivedAtMs + latency(random),
      });
    }
  }
  return events;
}

function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** The arrival stream (duplicates included) and the records a store keeps (first write per eventId). */
export interface RandomStream {
  readonly arrivals: readonly RollupRecord[];
  readonly stored: readonly RollupRecord[];
  readonly duplicates: number;
}

/**
 * `invoices` invoices' events in a shuffled arrival order, with duplicates.
 *
 * @example
 * const { arrivals, stored } = randomStream(42, 300);
 */
export function randomStream(seed: number, invoices: number): RandomStream {
  const random = mulberry32(mixSeed(seed, 0));
  const events: RollupRecord[] = [];
  for (let i = 0; i < invoices; i++) events.push(...invoiceEvents(mulberry32(mixSeed(seed, i + 1)), i));
  const arrivals = [...events];
  for (const e of events) {
    // A retry, redrive or replay: the identical record.
    if (random() < 0.05) arrivals.push(e);
    // The same eventId with other content (a producer bug): refused, the first write wins.
    if (random() < 0.03) arrivals.push({ ...e, amountMinor: e.amountMinor + 1n, timeMs: e.timeMs + DAY });
  }
  shuffle(random, arrivals);
  const seen = new Set<string>();
  const stored = arrivals.filter((r) => !seen.has(r.eventId) && seen.add(r.eventId));
  return { arrivals, stored, duplicates: arrivals.length - stored.length };
}
