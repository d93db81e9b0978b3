import type { StageName } from '../../cells/topology.js';
import { binStartOf } from './bin-start.js';
import { bucketOf } from './histogram.js';
import type { LatestPartition, RollupKey, RollupPredicate, RollupSpec } from './rollup-specs.js';

/**
 * What one record adds to (or, when it stops being an invoice's latest record, takes away from) a
 * rollup: whether it passes the spec's predicate, the row keys, the time its bin is chosen by and
 * a signed value delta. Deltas are signed so a latest-state change is "subtract the old record's
 * contribution, add the new one's" and every rollup update is an addition.
 *
 * Every delta carries a `count` (±1) whatever the value kind: a group exists in a panel iff its
 * count is above zero, which a money or histogram sum alone cannot tell (an amount of 0).
 *
 * @example
 * const plus = contributionOf(spec, record, 1);
 * const minus = contributionOf(spec, previousLatest, -1);
 */

/** A record as the rollups read it: the record's dimensions, measures and store metadata. */
export interface RollupRecord {
  readonly eventId: string;
  readonly invoiceId: string;
  readonly stage: StageName;
  /** The stage's position in the topology (panels order stage groups by it). */
  readonly stageOrder: number;
  readonly status: string;
  readonly currency: string;
  readonly vendorId: string;
  /** Integer minor units; never a float. */
  readonly amountMinor: bigint;
  readonly paymentTermsDays: number | null;
  readonly dueDateMs: number | null;
  /** `occurredAt`, epoch ms. */
  readonly timeMs: number;
  /** First write to the store, epoch ms. */
  readonly storedAtMs: number;
  /** Accepted by the API, epoch ms. */
  readonly receivedAtMs: number;
}

/** A key value of a rollup row (a group value, or a due-bin start in ms). */
export type KeyValue = string | number | null;

/** A signed change to one rollup row (before its tier bin is chosen from `windowMs`). */
export interface Contribution {
  readonly keyValues: readonly KeyValue[];
  /** The record's time or stored time, as the spec's window column says. */
  readonly windowMs: number;
  /** +1 when added, −1 when taken away. */
  readonly count: number;
  /** Money specs: signed minor units (bigint); 0n otherwise. */
  readonly sumMinor: bigint;
  /** `sumCount` specs: the signed measured value; 0 otherwise. */
  readonly sum: number;
  /** Histogram specs: the value's bucket (the count goes to this bucket). */
  readonly bucket?: number;
}

/**
 * Whether a record passes a predicate: the WHERE of `local-sql.ts` without the window.
 *
 * @example
 * passes({ stage: 'posting', requireDueDate: true }, record);
 */
export function passes(predicate: RollupPredicate, record: RollupRecord): boolean {
  if (predicate.stage !== undefined && record.stage !== predicate.stage) return false;
  if (predicate.status !== undefined && record.status !== predicate.status) return false;
  if (predicate.requireDueDate && record.dueDateMs === null) return false;
  if (predicate.requirePaymentTerms && record.paymentTermsDays === null) return false;
  return true;
}

function keyValue(key: RollupKey, record: RollupRecord): KeyValue {
  switch (key) {
    case 'stage':
      return record.stage;
    case 'currency':
      return record.currency;
    case 'vendorId':
      return record.vendorId;
    case 'status':
      return record.status;
    case 'paymentTermsDays':
      return record.paymentTermsDays;
    default: {
      const bin = key.slice('dueBin:'.length) as Parameters<typeof binStartOf>[1];
      return record.dueDateMs === null ? null : binStartOf(record.dueDateMs, bin);
    }
  }
}

/**
 * The measured value of a record for a spec's measure (`latency` = stored − received), or null.
 *
 * @example
 * measuredValue('latency', record); // record.storedAtMs - record.receivedAtMs
 */
export function measuredValue(measure: RollupSpec['measure'], record: RollupRecord): number | null {
  switch (measure) {
    case 'latency':
      return record.storedAtMs - record.receivedAtMs;
    case 'paymentTermsDays':
      return record.paymentTermsDays;
    default:
      return null;
  }
}

/**
 * The signed contribution of a record to a spec, or undefined when the predicate drops it or the
 * spec's measured value is missing (the predicates already require it, as SQL skips NULLs). Pure.
 *
 * @example
 * contributionOf(countSpec, record, 1); // { keyValues: ['ingestion'], windowMs, count: 1, ... }
 */
export function contributionOf(
  spec: RollupSpec,
  record: RollupRecord,
  sign: 1 | -1,
): Contribution | undefined {
  if (!passes(spec.predicate, record)) return undefined;
  const keyValues = spec.keys.map((k) => keyValue(k, record));
  const windowMs = spec.windowColumn === 'storedAt' ? record.storedAtMs : record.timeMs;
  const base = { keyValues, windowMs, count: sign, sumMinor: 0n, sum: 0 };
  switch (spec.value) {
    case 'count':
      return base;
    case 'money':
      return { ...base, sumMinor: sign === 1 ? record.amountMinor : -record.amountMinor };
    case 'sumCount': {
      const value = measuredValue(spec.measure, record);
      return value === null ? undefined : { ...base, sum: sign * value };
    }
    case 'histogram': {
      const value = measuredValue(spec.measure, record);
      return value === null ? undefined : { ...base, bucket: bucketOf(value) };
    }
  }
}

/**
 * Whether `a` is a later record than `b` for latest-state purposes: by record time, then by
 * eventId (UTF-16 code-unit order; SQLite's BINARY order for the ASCII/UUID ids events carry).
 * Deterministic whatever order records arrive in, so a late or replayed event settles the same
 * latest state as in-order delivery.
 *
 * @example
 * isNewer({ timeMs: 2, eventId: 'a' }, { timeMs: 1, eventId: 'z' }); // true
 */
export function isNewer(
  a: Pick<RollupRecord, 'timeMs' | 'eventId'>,
  b: Pick<RollupRecord, 'timeMs' | 'eventId'>,
): boolean {
  if (a.timeMs !== b.timeMs) return a.timeMs > b.timeMs;
  return a.eventId > b.eventId;
}

/**
 * The latest-state row key of a record: its invoice, or its invoice and stage.
 *
 * @example
 * partitionKeyOf('invoiceStage', record); // '["inv-1","posting"]'
 */
export function partitionKeyOf(
  partition: LatestPartition,
  record: { readonly invoiceId: string; readonly stage: string },
): string {
  return partition === 'invoice' ? record.invoiceId : JSON.stringify([record.invoiceId, record.stage]);
}
