import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import type { Dashboard, Panel, RecordsQuery } from '../../../dashboards/panels/panel-types.js';
import { buildDashboards } from '../../../dashboards/panels/panels.js';
import {
  canonicalJson,
  deriveRollupSpecs,
  latestScopes,
  RollupSpecError,
} from '../../../dashboards/rollups/rollup-specs.js';

const dashboards = buildDashboards(CELL_TOPOLOGY);
const specs = deriveRollupSpecs(dashboards);

function board(...queries: RecordsQuery[]): Dashboard[] {
  const panels = queries.map(
    (query, i): Panel => ({ id: `p${i}`, title: `p${i}`, unit: 'count', chart: 'bar', query }),
  );
  return [{ id: 'operations', title: 'x', description: 'x', panels }];
}

const COUNT: RecordsQuery = {
  source: 'records',
  measure: 'events',
  aggregation: 'count',
  groupBy: ['stage'],
};

describe('deriveRollupSpecs', () => {
  it('serves every records panel exactly once and no other panel', () => {
    const records = dashboards.flatMap((d) => d.panels).filter((p) => p.query.source === 'records');
    expect(specs.flatMap((s) => s.panelIds).sort()).toEqual(records.map((p) => p.id).sort());
    expect(new Set(specs.map((s) => s.id)).size).toBe(specs.length);
    for (const s of specs) expect(s.id).toMatch(/^r_[0-9a-f]{10}$/);
  });

  it('shares one spec between panels that differ only by time bin or aggregation of one histogram', () => {
    const byPanel = (id: string) => specs.find((s) => s.panelIds.includes(id));
    expect(byPanel('ops-throughput')).toBe(byPanel('exec-events-trend'));
    expect(byPanel('ops-latency-p50')?.panelIds).toEqual([
      'ops-latency-p50',
      'ops-latency-p95',
      'ops-latency-p99',
    ]);
    expect(byPanel('exec-intake-value-trend')).toBe(byPanel('fin-amount-by-currency'));
  });

  it('derives the WHERE, window column, keys, value kind and latest partition of local-sql.ts', () => {
    const byPanel = (id: string) => specs.find((s) => s.panelIds.includes(id));
    expect(byPanel('ops-latency-p95')).toMatchObject({
      predicate: {},
      windowColumn: 'storedAt',
      keys: ['stage'],
      value: 'histogram',
      measure: 'latency',
      tiers: ['5m', '1h', '1d'],
    });
    expect(byPanel('ops-latency-p95')?.latest).toBeUndefined();
    expect(byPanel('fin-cash-flow-by-week')).toMatchObject({
      latest: 'invoice',
      predicate: { requireDueDate: true },
      windowColumn: 'time',
      keys: ['currency', 'dueBin:1w'],
      value: 'money',
    });
    expect(byPanel('fin-average-payment-terms')).toMatchObject({
      latest: 'invoice',
      predicate: { requirePaymentTerms: true },
      keys: [],
      value: 'sumCount',
    });
    expect(byPanel('exec-outcomes')).toMatchObject({
      latest: 'invoiceStage',
      predicate: { stage: 'posting' },
      keys: ['status'],
      value: 'count',
      tiers: ['1m', '1h', '1d'],
    });
    // Group fields in canonical order, whatever order the panel lists them in.
    expect(byPanel('fin-amount-by-vendor')?.keys).toEqual(['currency', 'vendorId']);
  });

  it('keeps histogram minute tiers when a panel needs them', () => {
    const p50: RecordsQuery = {
      source: 'records',
      measure: 'latency',
      aggregation: 'p50',
      groupBy: [],
      timeBin: '5m',
    };
    expect(deriveRollupSpecs(board(p50))[0]?.tiers).toEqual(['5m', '1h', '1d']);
    expect(deriveRollupSpecs(board(p50, { ...p50, timeBin: '1m' }))[0]?.tiers).toEqual(['1m', '1h', '1d']);
    const { timeBin: _unbinned, ...whole } = p50;
    expect(deriveRollupSpecs(board(p50, whole))[0]?.tiers).toEqual(['1m', '1h', '1d']);
  });

  it('gives a changed definition a new id and an unchanged one the same id', () => {
    const [a] = deriveRollupSpecs(board(COUNT));
    const [b] = deriveRollupSpecs(board({ ...COUNT, timeBin: '1h' }));
    const [c] = deriveRollupSpecs(board({ ...COUNT, filters: { status: 'REJECTED' } }));
    expect(a?.id).toBe(b?.id);
    expect(c?.id).not.toBe(a?.id);
  });

  it('refuses a cell filter and an aggregation without a rollup, naming the panel', () => {
    expect(() => deriveRollupSpecs(board({ ...COUNT, filters: { cell: 'eu' } }))).toThrow(
      /panel p0: filters.cell is not supported/,
    );
    expect(() => deriveRollupSpecs(board({ ...COUNT, aggregation: 'sum' }))).toThrow(RollupSpecError);
  });
});

describe('latestScopes', () => {
  it('needs four latest-state tables for the dashboards, the stage filter left to the specs', () => {
    const scopes = latestScopes(specs);
    expect(scopes.map((s) => [s.partition, s.predicate])).toEqual([
      ['invoiceStage', {}],
      ['invoice', { requireDueDate: true }],
      ['invoice', {}],
      ['invoice', { requirePaymentTerms: true }],
    ]);
    const distinct = specs.filter((s) => s.latest).map((s) => s.id);
    expect(scopes.flatMap((s) => s.specIds).sort()).toEqual(distinct.sort());
  });

  it('keeps a status filter in the scope (the latest among those records differs)', () => {
    const q: RecordsQuery = {
      ...COUNT,
      distinctInvoices: true,
      filters: { status: 'PAID', stage: 'posting' },
    };
    expect(latestScopes(deriveRollupSpecs(board(q)))[0]?.predicate).toEqual({ status: 'PAID' });
  });
});

describe('canonicalJson', () => {
  it('sorts keys and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: undefined, c: 3 }] })).toBe('{"a":[2,{"c":3}],"b":1}');
  });
});
