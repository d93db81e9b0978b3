import type { GroupByField, RecordsQuery, TimeBin } from '../../../../dashboards/panels/panel-types.js';
import { PERCENTILES, type PercentileAggregation } from '../../../../dashboards/panels/panel-types.js';
import { binStartOf } from '../../../../dashboards/rollups/bin-start.js';
import type { KeyValue, RollupRecord } from '../../../../dashboards/rollups/contributions.js';

/**
 * A `records` panel by brute force over every stored record, written from the local SQL's rules
 * (`dashboards/renderers/local-sql.ts`) and not from the rollup code: the WHERE (stage, status,
 * due date for dueAmount or due-date bins, payment terms for paymentTermsDays), latency =
 * stored − received windowed and binned on the stored time, distinct invoices = the latest record
 * per invoice (and stage when grouped by stage) among the filtered records over ALL history (ties:
 * time, then eventId), then the window; count, exact bigint money sums, avg, nearest-rank
 * percentiles (exact values).
 */

export interface RawRow {
  readonly binStartMs?: number;
  readonly groups: Readonly<Partial<Record<GroupByField, KeyValue>>>;
  readonly count: number;
  readonly value: number | bigint;
}

function groupValue(field: GroupByField, r: RollupRecord): KeyValue {
  if (field === 'vendorId') return r.vendorId;
  if (field === 'paymentTermsDays') return r.paymentTermsDays;
  return r[field];
}

function passesWhere(query: RecordsQuery, r: RollupRecord): boolean {
  if (query.filters?.stage !== undefined && r.stage !== query.filters.stage) return false;
  if (query.filters?.status !== undefined && r.status !== query.filters.status) return false;
  if ((query.measure === 'dueAmount' || query.timeField === 'dueDate') && r.dueDateMs === null) return false;
  if (query.measure === 'paymentTermsDays' && r.paymentTermsDays === null) return false;
  return true;
}

function laterThan(a: RollupRecord, b: RollupRecord): boolean {
  return a.timeMs > b.timeMs || (a.timeMs === b.timeMs && a.eventId > b.eventId);
}

function latestOnly(query: RecordsQuery, records: readonly RollupRecord[]): RollupRecord[] {
  const byStage = query.groupBy.includes('stage');
  const latest = new Map<string, RollupRecord>();
  for (const r of records) {
    const key = byStage ? `${r.invoiceId}\u0000${r.stage}` : r.invoiceId;
    const current = latest.get(key);
    if (!current || laterThan(r, current)) latest.set(key, r);
  }
  return [...latest.values()];
}

function measured(query: RecordsQuery, r: RollupRecord): number {
  return query.measure === 'latency' ? r.storedAtMs - r.receivedAtMs : (r.paymentTermsDays ?? Number.NaN);
}

function aggregate(query: RecordsQuery, rows: readonly RollupRecord[]): number | bigint {
  switch (query.aggregation) {
    case 'count':
      return rows.length;
    case 'sum':
      return rows.reduce((sum, r) => sum + r.amountMinor, 0n);
    case 'avg':
      return rows.reduce((sum, r) => sum + measured(query, r), 0) / rows.length;
    default: {
      const values = rows.map((r) => measured(query, r)).sort((a, b) => a - b);
      const rank = Math.floor(
        (values.length * PERCENTILES[query.aggregation as PercentileAggregation] + 99) / 100,
      );
      return values[rank - 1] as number;
    }
  }
}

/** The panel's rows over `[fromMs, toMs)` with `bin` (the window bin, or the due-date bin). */
export function rawPanel(
  records: readonly RollupRecord[],
  query: RecordsQuery,
  window: { readonly fromMs: number; readonly toMs: number; readonly bin?: TimeBin },
): RawRow[] {
  const filtered = records.filter((r) => passesWhere(query, r));
  const candidates = query.distinctInvoices ? latestOnly(query, filtered) : filtered;
  const at = (r: RollupRecord): number => (query.measure === 'latency' ? r.storedAtMs : r.timeMs);
  const inWindow = candidates.filter((r) => at(r) >= window.fromMs && at(r) < window.toMs);
  const groups = new Map<
    string,
    { binStartMs?: number; groups: Partial<Record<GroupByField, KeyValue>>; rows: RollupRecord[] }
  >();
  for (const r of inWindow) {
    let binStartMs: number | undefined;
    if (query.timeField === 'dueDate' && query.timeBin)
      binStartMs = binStartOf(r.dueDateMs as number, query.timeBin);
    else if (query.timeBin && window.bin) binStartMs = binStartOf(at(r), window.bin);
    const values: Partial<Record<GroupByField, KeyValue>> = {};
    for (const field of query.groupBy) values[field] = groupValue(field, r);
    const key = JSON.stringify([binStartMs ?? null, ...query.groupBy.map((f) => values[f])]);
    const group = groups.get(key) ?? {
      ...(binStartMs !== undefined ? { binStartMs } : {}),
      groups: values,
      rows: [],
    };
    group.rows.push(r);
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => ({
    ...(g.binStartMs !== undefined ? { binStartMs: g.binStartMs } : {}),
    groups: g.groups,
    count: g.rows.length,
    value: aggregate(query, g.rows),
  }));
}
