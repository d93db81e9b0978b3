import { TIME_BINS } from '../panels/panel-types.js';
import {
  type Contribution,
  contributionOf,
  isNewer,
  type KeyValue,
  partitionKeyOf,
  passes,
  type RollupRecord,
} from './contributions.js';
import {
  deriveRollupSpecs,
  type LatestScope,
  latestScopes,
  type PanelSet,
  type RollupSpec,
} from './rollup-specs.js';
import type { RollupTier } from './window-plan.js';

/**
 * Applying a record to the rollups, as pure effects a store carries out in the record's first-write
 * transaction: the latest-state rows to write and the signed bin deltas to add. An event rollup
 * adds the record's contribution to one bin per tier; a distinct-invoice rollup follows its scope's
 * latest record: when the new record is later (see `isNewer`) it subtracts the previous latest
 * record's contribution and adds the new one's, so out-of-order delivery ends in the same state.
 * Duplicates are the store's business (only a first write is applied), and a replayed record is
 * never later than itself, so it changes nothing either way.
 *
 * {@link RollupState} is the same algorithm in memory (the reference tests run it); a store can also
 * use one per write batch to add up the batch's deltas before one upsert per row.
 *
 * @example
 * const rollups = rollupsOf(buildDashboards(CELL_TOPOLOGY));
 * const state = emptyRollupState();
 * for (const record of firstWrites) applyRecord(state, rollups, record);
 */

/** The specs and the latest-state scopes they need. */
export interface Rollups {
  readonly specs: readonly RollupSpec[];
  readonly scopes: readonly LatestScope[];
}

/**
 * The rollups of a set of dashboards.
 *
 * @example
 * rollupsOf(DASHBOARDS).specs.length;
 */
export function rollupsOf(dashboards: readonly PanelSet[]): Rollups {
  const specs = deriveRollupSpecs(dashboards);
  return { specs, scopes: latestScopes(specs) };
}

/** A signed change to one row of one tier of one spec. */
export interface BinDelta extends Contribution {
  readonly specId: string;
  readonly tier: RollupTier;
  readonly binStartMs: number;
}

/** A latest-state row to write: `record` is now the partition's latest. */
export interface LatestWrite {
  readonly scopeId: string;
  readonly partitionKey: string;
  readonly record: RollupRecord;
}

export interface RecordEffects {
  readonly latestWrites: readonly LatestWrite[];
  readonly deltas: readonly BinDelta[];
}

/** The current latest record of a scope's partition (a store reads its latest-state table). */
export type LatestLookup = (scopeId: string, partitionKey: string) => RollupRecord | undefined;

function perTier(spec: RollupSpec, c: Contribution): BinDelta[] {
  return spec.tiers.map((tier) => {
    const width = TIME_BINS[tier];
    return { ...c, specId: spec.id, tier, binStartMs: Math.floor(c.windowMs / width) * width };
  });
}

/** A record's signed contribution to one spec, before its tier bins are chosen. */
export interface SpecContribution {
  readonly spec: RollupSpec;
  readonly contribution: Contribution;
}

/** What writing a record changes, tiers aside: see {@link recordContributions}. */
export interface RecordContributions {
  readonly latestWrites: readonly LatestWrite[];
  readonly contributions: readonly SpecContribution[];
}

const specsById = new WeakMap<Rollups, ReadonlyMap<string, RollupSpec>>();

function specById(rollups: Rollups): ReadonlyMap<string, RollupSpec> {
  let byId = specsById.get(rollups);
  if (!byId) {
    byId = new Map(rollups.specs.map((s) => [s.id, s]));
    specsById.set(rollups, byId);
  }
  return byId;
}

/**
 * What writing `record` for the first time does to the rollups, one contribution per spec (a
 * store adds it to every tier of the spec). Pure given `lookup`; a store that applies several
 * records in one transaction must let `lookup` see the earlier records' writes.
 *
 * @example
 * const { latestWrites, contributions } = recordContributions(rollups, record, lookup);
 */
export function recordContributions(
  rollups: Rollups,
  record: RollupRecord,
  lookup: LatestLookup,
): RecordContributions {
  const byId = specById(rollups);
  const contributions: SpecContribution[] = [];
  const add = (spec: RollupSpec, c: Contribution | undefined) => {
    if (c) contributions.push({ spec, contribution: c });
  };
  for (const spec of rollups.specs) {
    if (!spec.latest) add(spec, contributionOf(spec, record, 1));
  }
  const latestWrites: LatestWrite[] = [];
  for (const scope of rollups.scopes) {
    if (!passes(scope.predicate, record)) continue;
    const partitionKey = partitionKeyOf(scope.partition, record);
    const previous = lookup(scope.id, partitionKey);
    if (previous && !isNewer(record, previous)) continue;
    latestWrites.push({ scopeId: scope.id, partitionKey, record });
    for (const specId of scope.specIds) {
      const spec = byId.get(specId);
      if (!spec) continue;
      if (previous) add(spec, contributionOf(spec, previous, -1));
      add(spec, contributionOf(spec, record, 1));
    }
  }
  return { latestWrites, contributions };
}

/**
 * What writing `record` for the first time does to the rollups, as per-tier bin deltas
 * ({@link recordContributions} with the tiers applied). Pure given `lookup`.
 *
 * @example
 * const { latestWrites, deltas } = recordEffects(rollups, record, (scope, key) => table.get(scope, key));
 */
export function recordEffects(rollups: Rollups, record: RollupRecord, lookup: LatestLookup): RecordEffects {
  const { latestWrites, contributions } = recordContributions(rollups, record, lookup);
  return {
    latestWrites,
    deltas: contributions.flatMap(({ spec, contribution }) => perTier(spec, contribution)),
  };
}

/** The accumulated value of one rollup row. */
export interface RollupCell {
  count: number;
  sumMinor: bigint;
  sum: number;
  /** Histogram specs: bucket → count. */
  readonly buckets: Map<number, number>;
}

/** A stored rollup row: its bin, its key values and its cell. */
export interface RollupRow {
  readonly binStartMs: number;
  readonly keyValues: readonly KeyValue[];
  readonly cell: RollupCell;
}

/** In-memory rollups: latest state per scope and partition, rows per spec, tier and bin. */
export interface RollupState {
  readonly latest: Map<string, Map<string, RollupRecord>>;
  readonly bins: Map<string, Map<RollupTier, Map<number, Map<string, RollupRow>>>>;
}

/**
 * An empty in-memory rollup state.
 *
 * @example
 * const state = emptyRollupState();
 */
export function emptyRollupState(): RollupState {
  return { latest: new Map(), bins: new Map() };
}

function getOrAdd<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/**
 * Adds deltas to the state's rows; a row that nets to nothing is removed (a distinct-invoice row
 * whose invoices all moved on), so the state holds only rows that count.
 *
 * @example
 * applyDeltas(state, recordEffects(rollups, record, lookup).deltas);
 */
export function applyDeltas(state: RollupState, deltas: readonly BinDelta[]): void {
  for (const d of deltas) {
    const bins = getOrAdd(
      getOrAdd(state.bins, d.specId, () => new Map()),
      d.tier,
      () => new Map(),
    );
    const rows = getOrAdd(bins, d.binStartMs, () => new Map<string, RollupRow>());
    const key = JSON.stringify(d.keyValues);
    const row = getOrAdd(rows, key, () => ({
      binStartMs: d.binStartMs,
      keyValues: d.keyValues,
      cell: { count: 0, sumMinor: 0n, sum: 0, buckets: new Map<number, number>() },
    }));
    const { cell } = row;
    cell.count += d.count;
    cell.sumMinor += d.sumMinor;
    cell.sum += d.sum;
    if (d.bucket !== undefined) {
      const n = (cell.buckets.get(d.bucket) ?? 0) + d.count;
      if (n === 0) cell.buckets.delete(d.bucket);
      else cell.buckets.set(d.bucket, n);
    }
    // All four must be zero: in a per-batch state a row can net count 0 with an amount change.
    if (cell.count === 0 && cell.sumMinor === 0n && cell.sum === 0 && cell.buckets.size === 0)
      rows.delete(key);
    if (rows.size === 0) bins.delete(d.binStartMs);
  }
}

/**
 * Applies a record's first write to an in-memory state (latest rows and bins). Pure but for
 * `state`.
 *
 * @example
 * applyRecord(state, rollups, record);
 */
export function applyRecord(state: RollupState, rollups: Rollups, record: RollupRecord): RecordEffects {
  const effects = recordEffects(rollups, record, (scopeId, key) => state.latest.get(scopeId)?.get(key));
  for (const w of effects.latestWrites) {
    getOrAdd(state.latest, w.scopeId, () => new Map()).set(w.partitionKey, w.record);
  }
  applyDeltas(state, effects.deltas);
  return effects;
}

/**
 * The stored rows of a spec's tier with a bin start in `[fromMs, toMs)`: the range read
 * `readPanel` asks a store for.
 *
 * @example
 * const read = (tier, from, to) => stateRows(state, spec.id, tier, from, to);
 */
export function stateRows(
  state: RollupState,
  specId: string,
  tier: RollupTier,
  fromMs: number,
  toMs: number,
): RollupRow[] {
  const bins = state.bins.get(specId)?.get(tier);
  if (!bins) return [];
  const width = TIME_BINS[tier];
  const rows: RollupRow[] = [];
  for (let start = fromMs; start < toMs; start += width) rows.push(...(bins.get(start)?.values() ?? []));
  return rows;
}
