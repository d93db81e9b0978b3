import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { DASHBOARDS, findPanel, type RecordsQuery, TIME_BINS } from '../../../dashboards/panels/panels.js';
import {
  renderRollupPanelSql,
  rollupSourceOf,
  type TimeDialect,
  tierPlanWhere,
} from '../../../dashboards/renderers/timestream-rollup-read-sql.js';
import { rollupsOf } from '../../../dashboards/rollups/apply-record.js';
import { planWindow, type RollupTier } from '../../../dashboards/rollups/window-plan.js';

const ROLLUPS = rollupsOf(DASHBOARDS);
const DAY = 86_400_000;

function queryOf(panelId: string): RecordsQuery {
  const query = findPanel(DASHBOARDS, panelId)?.query;
  if (query?.source !== 'records') throw new Error(`${panelId} is not a records panel`);
  return query;
}

/** SQLite spelling of the plan's time arithmetic: times are epoch ms, bins integer division. */
const SQLITE_DIALECT: TimeDialect = {
  bin: (expr, tier) => `bin(${expr}, ${TIME_BINS[tier]})`,
  minusMinutes: (expr, minutes) => `(${expr} - ${minutes * 60_000})`,
};

/** A deterministic generator (mulberry32), so a failing window can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('tierPlanWhere', () => {
  const tiers: RollupTier[] = ['1m', '1h', '1d'];
  let db: Database.Database;

  beforeAll(() => {
    db = new Database(':memory:');
    db.function('bin', (ms: number, width: number) => Math.floor(ms / width) * width);
    db.exec('CREATE TABLE bins (tier TEXT NOT NULL, time INTEGER NOT NULL)');
  });

  afterAll(() => db.close());

  /** Every aligned row of every tier around the window, then the rows the condition picks. */
  function picked(fromMs: number, toMs: number, settle: Partial<Record<RollupTier, number>>): string[] {
    db.exec('DELETE FROM bins');
    const insert = db.prepare('INSERT INTO bins (tier, time) VALUES (?, ?)');
    db.transaction(() => {
      for (const tier of tiers) {
        const width = TIME_BINS[tier];
        for (let t = Math.floor((fromMs - DAY) / width) * width; t < toMs + DAY; t += width)
          insert.run(tier, t);
      }
    })();
    const where = tierPlanWhere(tiers, String(fromMs), String(toMs), SQLITE_DIALECT, settle);
    return (
      db.prepare(`SELECT tier, time FROM bins WHERE ${where}`).all() as { tier: string; time: number }[]
    )
      .map((r) => `${r.tier}@${r.time}`)
      .sort();
  }

  it('picks exactly the segments planWindow cuts the window into, for random windows', () => {
    // Prepare
    const next = random(9);
    const base = Date.UTC(2026, 2, 2);
    for (let i = 0; i < 25; i++) {
      const fromMs = base + Math.floor(next() * 2 * DAY);
      const toMs = fromMs + Math.floor(next() * 3 * DAY);

      // Act
      const rows = picked(fromMs, toMs, {});

      // Assess
      const segments = planWindow(fromMs, toMs, tiers)
        .segments.map((s) => `${s.tier}@${s.startMs}`)
        .sort();
      expect({ fromMs, toMs, rows }).toEqual({ fromMs, toMs, rows: segments });
    }
  });

  it('uses a coarse row only once its run has settled it, and still covers the window once', () => {
    // Prepare: a window ending 20 minutes into a day; hour rows settle after 30 min, day rows after 60
    const fromMs = Date.UTC(2026, 2, 1, 7, 13);
    const toMs = Date.UTC(2026, 2, 4, 0, 20);

    // Act
    const rows = picked(fromMs, toMs, { '1h': 30, '1d': 60 }).map((r) => {
      const [tier, time] = r.split('@') as [RollupTier, string];
      return { tier, startMs: Number(time), endMs: Number(time) + TIME_BINS[tier] };
    });

    // Assess: no coarse row ends after to - settle; the rows tile [from, to) without gap or overlap
    for (const r of rows.filter((x) => x.tier === '1h'))
      expect(r.endMs).toBeLessThanOrEqual(toMs - 30 * 60_000);
    for (const r of rows.filter((x) => x.tier === '1d'))
      expect(r.endMs).toBeLessThanOrEqual(toMs - 60 * 60_000);
    expect(rows.filter((x) => x.tier === '1d').map((x) => new Date(x.startMs).toISOString())).toEqual([
      '2026-03-02T00:00:00.000Z',
    ]);
    const sorted = [...rows].sort((a, b) => a.startMs - b.startMs);
    expect(sorted[0]?.startMs).toBe(fromMs);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]?.startMs).toBe(sorted[i - 1]?.endMs);
    expect(sorted.at(-1)?.endMs).toBe(toMs);
  });
});

describe('rollupSourceOf', () => {
  it('reads event panels from their bins, distinct-invoice panels from their scope, latency nowhere', () => {
    // Act
    const throughput = rollupSourceOf('ops-throughput', queryOf('ops-throughput'), ROLLUPS);
    const byStage = rollupSourceOf('exec-invoices-by-stage', queryOf('exec-invoices-by-stage'), ROLLUPS);
    const latency = rollupSourceOf('ops-latency-p95', queryOf('ops-latency-p95'), ROLLUPS);

    // Assess
    expect(throughput?.kind).toBe('bins');
    expect(throughput?.spec.panelIds).toEqual(['exec-events-trend', 'ops-throughput']);
    expect(byStage?.kind === 'latest' && byStage.scope.partition).toBe('invoiceStage');
    expect(latency).toBeUndefined();
  });

  it('refuses a panel the rollups were not derived from', () => {
    expect(() => rollupSourceOf('nope', queryOf('ops-throughput'), ROLLUPS)).toThrow(
      'panel nope has no rollup spec',
    );
  });
});

describe('renderRollupPanelSql', () => {
  const options = { fromParam: 'ago(30d)', toParam: 'now()', topology: CELL_TOPOLOGY };

  it('sums the bins of an event panel into the panel bin, from the tiers that divide it', () => {
    // Prepare
    const query = queryOf('exec-events-trend');
    const source = rollupSourceOf('exec-events-trend', query, ROLLUPS);
    if (!source) throw new Error('no source');

    // Act
    const sql = renderRollupPanelSql(query, source, options);

    // Assess: hour bins are served by minute and hour rows, never day rows
    expect(sql).toContain('FROM "__cell_database__"."__rollup_bins__"');
    expect(sql).toContain(`WHERE measure_name = '${source.spec.id}'`);
    expect(sql).toContain("tier = '1h'");
    expect(sql).not.toContain("tier = '1d'");
    expect(sql).toContain('time < bin(now() - 30m, 1h)');
    expect(sql.split('\n').slice(-4)).toEqual([
      'SELECT bin_start, stage, SUM(event_count) AS value',
      'FROM picked',
      'GROUP BY bin_start, stage',
      'ORDER BY bin_start ASC, stage ASC',
    ]);
  });

  it("reads a distinct-invoice panel from its scope's latest-state rows, newest row per partition", () => {
    // Prepare
    const query = queryOf('fin-amount-by-currency');
    const source = rollupSourceOf('fin-amount-by-currency', query, ROLLUPS);
    if (source?.kind !== 'latest') throw new Error('not a latest-state panel');

    // Act
    const sql = renderRollupPanelSql(query, source, options);

    // Assess
    expect(sql).toContain('FROM "__cell_database__"."__latest_state__"');
    expect(sql).toContain(`WHERE measure_name = '${source.scope.id}'`);
    expect(sql).toContain('ROW_NUMBER() OVER (PARTITION BY "invoiceId" ORDER BY time DESC, "eventId" DESC)');
    expect(sql).toContain('SUM("amount_minor") AS value');
    expect(sql).not.toContain('cell =');
  });

  it('merges histogram buckets and picks the nearest-rank bucket of each group', () => {
    // Prepare: a percentile panel of payment terms (histogram rollup from 5m)
    const query: RecordsQuery = {
      source: 'records',
      measure: 'paymentTermsDays',
      aggregation: 'p95',
      groupBy: ['stage'],
      timeBin: '1h',
    };
    const [spec] = rollupsOf([
      {
        id: 'finance',
        title: 'Probe',
        description: 'One panel',
        panels: [{ id: 'terms-p95', title: 'Terms p95', unit: 'days', chart: 'line', query }],
      },
    ]).specs;
    if (!spec) throw new Error('no spec');

    // Act
    const sql = renderRollupPanelSql(query, { kind: 'bins', spec }, options);

    // Assess
    expect(sql).toContain("tier = '5m'");
    expect(sql).toContain('CAST(bucket AS bigint) AS lower, SUM(event_count) AS n');
    expect(sql).toContain(
      'SUM(n) OVER (PARTITION BY bin_start, stage ORDER BY lower ROWS UNBOUNDED PRECEDING) AS seen',
    );
    expect(sql).toContain('WHERE seen >= (total * 95 + 99) / 100');
    expect(sql).toContain('SELECT bin_start, stage, min(lower) AS value');
  });
});
