import { createHash } from 'node:crypto';
import type { StageName } from '../../cells/topology.js';
import {
  GROUP_BY_FIELDS,
  type GroupByField,
  type Panel,
  PERCENTILES,
  type RecordMeasure,
  type RecordsQuery,
  TIME_BINS,
  type TimeBin,
} from '../panels/panel-types.js';
import type { RollupTier } from './window-plan.js';

/**
 * The rollups follow from the panel definitions: one {@link RollupSpec} per distinct (latest-state
 * scope, predicate, window column, keys, value kind) over every `records` panel. The panel's time
 * bin is not part of a spec: a spec's tiers build every bin their widths divide, so the throughput
 * panel (1m) and the events trend (1h) share one count rollup. Adding a panel adds its rollup;
 * changing a definition changes the spec's id, so it gets a new table instead of mixing old rows.
 *
 * Tiers (finest first): `1m, 1h, 1d` — except a histogram spec whose panels all declare a bin of
 * 5m or coarser, which starts at `5m` (a histogram row per bucket is the costly kind; minute
 * precision would not be drawn). So the finest tier is the finest panel bin served, but never
 * coarser than 5m for histograms and always 1m for counters (unbinned panels need minute-precise
 * window edges; counter rows are cheap). Readers must not ask a spec for a bin finer than its first
 * tier (see `tierServesBin`).
 *
 * @example
 * const specs = deriveRollupSpecs(buildDashboards(CELL_TOPOLOGY));
 * const scopes = latestScopes(specs); // the latest-state tables the distinct-invoice specs need
 */

/** What a record is filtered on before it counts (the WHERE of `local-sql.ts`, window aside). */
export interface RollupPredicate {
  readonly stage?: StageName;
  readonly status?: string;
  /** `dueAmount` and due-date binning need a due date. */
  readonly requireDueDate?: boolean;
  /** `paymentTermsDays` needs payment terms. */
  readonly requirePaymentTerms?: boolean;
}

/** How a bin accumulates: counters, money (bigint per currency), sum + count (avg), histogram. */
export type RollupValueKind = 'count' | 'money' | 'sumCount' | 'histogram';

/** A key of a rollup row: a group field, or the due-date bin of a cash-flow panel. */
export type RollupKey = GroupByField | `dueBin:${TimeBin}`;

/** Latest-state partition of distinct-invoice panels: per invoice, or per invoice and stage. */
export type LatestPartition = 'invoice' | 'invoiceStage';

export interface RollupSpec {
  /** `r_` + 10 hex digits of the canonical definition's sha256: names the rollup table. */
  readonly id: string;
  /** Distinct invoices: only each partition's latest record (over all history) counts. */
  readonly latest?: LatestPartition;
  readonly predicate: RollupPredicate;
  /** The time a record's rollup bin is chosen by: record time, or (latency) when it was stored. */
  readonly windowColumn: 'time' | 'storedAt';
  /** Row keys, group fields in {@link GROUP_BY_FIELDS} order, then the due bin. */
  readonly keys: readonly RollupKey[];
  readonly value: RollupValueKind;
  readonly measure: RecordMeasure;
  /** Bin widths kept, finest first. */
  readonly tiers: readonly RollupTier[];
  /** The panels this rollup answers. */
  readonly panelIds: readonly string[];
}

/** A latest-state table: one row per partition of the records passing its predicate. */
export interface LatestScope {
  /** `s_` + 10 hex digits of the canonical definition's sha256. */
  readonly id: string;
  readonly partition: LatestPartition;
  readonly predicate: RollupPredicate;
  /** The specs whose contributions follow this scope's latest records. */
  readonly specIds: readonly string[];
}

/**
 * What rollups are derived from: a dashboard, or a panel set no dashboard lists (the monthly
 * report's hidden panels, `dashboards/panels/report-panels.ts`).
 */
export interface PanelSet {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly panels: readonly Panel[];
}

/** A panel definition rollups cannot serve; names the panel and why. */
export class RollupSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RollupSpecError';
  }
}

/**
 * JSON with object keys sorted and `undefined` left out: the same definition always hashes alike.
 *
 * @example
 * canonicalJson({ b: 1, a: [2, { d: undefined, c: 3 }] }); // '{"a":[2,{"c":3}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function hashId(prefix: string, definition: unknown): string {
  return `${prefix}${createHash('sha256').update(canonicalJson(definition)).digest('hex').slice(0, 10)}`;
}

function valueKind(panelId: string, query: RecordsQuery): RollupValueKind {
  const { aggregation, measure } = query;
  if (aggregation === 'count') return 'count';
  if (aggregation === 'sum' && (measure === 'amount' || measure === 'dueAmount')) return 'money';
  if (aggregation === 'avg' && measure !== 'events') return 'sumCount';
  if (Object.hasOwn(PERCENTILES, aggregation) && measure !== 'events') return 'histogram';
  throw new RollupSpecError(`panel ${panelId}: aggregation ${aggregation} of ${measure} has no rollup`);
}

/**
 * The WHERE of `local-sql.ts` for a query, window and cell aside. Throws {@link RollupSpecError}
 * for a `cell` filter: a store's rollups hold that store's records, the cell is the store.
 */
function predicateOf(panelId: string, query: RecordsQuery): RollupPredicate {
  const { filters } = query;
  if (filters?.cell !== undefined) {
    throw new RollupSpecError(
      `panel ${panelId}: filters.cell is not supported by rollups (one store per cell)`,
    );
  }
  return {
    ...(filters?.stage !== undefined ? { stage: filters.stage } : {}),
    ...(filters?.status !== undefined ? { status: filters.status } : {}),
    ...(query.measure === 'dueAmount' || query.timeField === 'dueDate' ? { requireDueDate: true } : {}),
    ...(query.measure === 'paymentTermsDays' ? { requirePaymentTerms: true } : {}),
  };
}

function keysOf(query: RecordsQuery): RollupKey[] {
  const groups = GROUP_BY_FIELDS.filter((f) => query.groupBy.includes(f));
  return query.timeField === 'dueDate' && query.timeBin ? [...groups, `dueBin:${query.timeBin}`] : groups;
}

/**
 * The latest-state partition of a distinct-invoice query: per (invoice, stage) when grouped by
 * stage or filtered to one stage (one stage's records: the same as per invoice), else per invoice.
 */
function latestOf(query: RecordsQuery): LatestPartition | undefined {
  if (!query.distinctInvoices) return undefined;
  return query.groupBy.includes('stage') || query.filters?.stage !== undefined ? 'invoiceStage' : 'invoice';
}

/** The spec's definition without tiers and panels (what makes two panels share it). */
type SpecShape = Omit<RollupSpec, 'id' | 'tiers' | 'panelIds'>;

/**
 * The rollup shape a `records` panel reads, tiers aside.
 *
 * @example
 * specShapeOf('ops-throughput', throughput.query); // { predicate: {}, windowColumn: 'time', keys: ['stage'], ... }
 */
export function specShapeOf(panelId: string, query: RecordsQuery): SpecShape {
  const latest = latestOf(query);
  return {
    ...(latest ? { latest } : {}),
    predicate: predicateOf(panelId, query),
    windowColumn: query.measure === 'latency' ? 'storedAt' : 'time',
    keys: keysOf(query),
    value: valueKind(panelId, query),
    measure: query.measure,
  };
}

/** The window-binned panel bin of a query (due-date bins are keys, not window bins). */
function windowBinOf(query: RecordsQuery): TimeBin | undefined {
  return query.timeField === 'dueDate' ? undefined : query.timeBin;
}

function tiersOf(shape: SpecShape, queries: readonly RecordsQuery[]): RollupTier[] {
  if (shape.value !== 'histogram') return ['1m', '1h', '1d'];
  const allCoarse = queries.every((q) => {
    const bin = windowBinOf(q);
    return bin !== undefined && TIME_BINS[bin] >= TIME_BINS['5m'];
  });
  return allCoarse ? ['5m', '1h', '1d'] : ['1m', '1h', '1d'];
}

/**
 * One spec per distinct rollup shape over every `records` panel of the dashboards, in the order
 * their first panel appears. Throws {@link RollupSpecError} for a panel rollups cannot serve.
 * Pure.
 *
 * @example
 * deriveRollupSpecs(buildDashboards(CELL_TOPOLOGY)).find((s) => s.panelIds.includes('ops-latency-p95'));
 * // { value: 'histogram', windowColumn: 'storedAt', tiers: ['5m', '1h', '1d'], panelIds: [p50, p95, p99], ... }
 */
export function deriveRollupSpecs(dashboards: readonly PanelSet[]): RollupSpec[] {
  const groups = new Map<string, { shape: SpecShape; queries: RecordsQuery[]; panelIds: string[] }>();
  for (const dashboard of dashboards) {
    for (const panel of dashboard.panels) {
      if (panel.query.source !== 'records') continue;
      const shape = specShapeOf(panel.id, panel.query);
      const key = canonicalJson(shape);
      const group = groups.get(key) ?? { shape, queries: [], panelIds: [] };
      group.queries.push(panel.query);
      group.panelIds.push(panel.id);
      groups.set(key, group);
    }
  }
  return [...groups.values()].map(({ shape, queries, panelIds }) => {
    const tiers = tiersOf(shape, queries);
    return { id: hashId('r_', { ...shape, tiers }), ...shape, tiers, panelIds };
  });
}

/**
 * The latest-state scope a distinct-invoice spec follows (undefined for event rollups). Per
 * (invoice, stage), a stage filter does not change which record is latest in the stage's
 * partitions, so it is left to the spec: the by-stage panels and the one-stage panels share one
 * table.
 *
 * @example
 * scopeShapeOf(spec); // { partition: 'invoiceStage', predicate: {} }
 */
export function scopeShapeOf(spec: SpecShape): Omit<LatestScope, 'id' | 'specIds'> | undefined {
  if (!spec.latest) return undefined;
  const { stage: _stage, ...rest } = spec.predicate;
  const predicate = spec.latest === 'invoiceStage' ? rest : spec.predicate;
  return { partition: spec.latest, predicate };
}

/**
 * The distinct latest-state scopes (partition + predicate) the specs need, each with the specs it
 * feeds. Pure.
 *
 * @example
 * latestScopes(deriveRollupSpecs(DASHBOARDS)).map((s) => s.partition); // ['invoiceStage', 'invoice', ...]
 */
export function latestScopes(specs: readonly RollupSpec[]): LatestScope[] {
  const scopes = new Map<string, { shape: Omit<LatestScope, 'id' | 'specIds'>; specIds: string[] }>();
  for (const spec of specs) {
    const shape = scopeShapeOf(spec);
    if (!shape) continue;
    const key = canonicalJson(shape);
    const scope = scopes.get(key) ?? { shape, specIds: [] };
    scope.specIds.push(spec.id);
    scopes.set(key, scope);
  }
  return [...scopes.values()].map(({ shape, specIds }) => ({ id: hashId('s_', shape), ...shape, specIds }));
}
