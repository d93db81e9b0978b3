import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { floorBin } from '../../../../consumers/postgresql/queries/named-params.js';
import { TIME_BINS, type TimeBin } from '../../../../dashboards/panels/panel-types.js';
import type { RecordsQuery } from '../../../../dashboards/panels/panels.js';
import { rollupDashboards } from '../../../../dashboards/panels/report-panels.js';
import {
  postgresqlRecordsRow,
  postgresqlSlaRow,
} from '../../../../dashboards/renderers/postgresql-panel-rows.js';
import {
  PostgresqlQueryError,
  renderPostgresqlSql,
} from '../../../../dashboards/renderers/postgresql-sql.js';
import { binStartOf } from '../../../../dashboards/rollups/bin-start.js';
import { toPositional } from './support/positional-params.js';

/** Group sizes for the percentile check: every small n, and large ones where P·n/100 is whole. */
const SIZES = [...Array.from({ length: 300 }, (_v, i) => i + 1), 400, 500, 700, 1_000, 1_900, 2_000];

const ALL_PANELS = rollupDashboards(CELL_TOPOLOGY).flatMap((set) => set.panels);

function recordsQuery(id: string): RecordsQuery {
  const query = ALL_PANELS.find((p) => p.id === id)?.query;
  if (query?.source !== 'records') throw new Error(`no records panel ${id}`);
  return query;
}

describe('renderPostgresqlSql', () => {
  it('renders per-stage throughput with typed named parameters and floor time bins', () => {
    // Act
    const { sql, params } = renderPostgresqlSql(recordsQuery('ops-throughput'), CELL_TOPOLOGY);

    // Assess
    expect(sql).toBe(
      [
        'WITH filtered AS (',
        '  SELECT *',
        '  FROM records',
        "  WHERE measure_name = 'invoice_event'",
        '    AND time_ms >= CAST(:from_ms AS bigint)',
        '    AND time_ms < CAST(:to_ms AS bigint)',
        '    AND (CAST(:cell AS text) IS NULL OR cell = CAST(:cell AS text))',
        ')',
        'SELECT (time_ms - (((time_ms % 60000) + 60000) % 60000)) AS bin_start, stage, count(*) AS value',
        'FROM filtered',
        'GROUP BY bin_start, stage',
        'ORDER BY bin_start NULLS FIRST, min(stage_order) NULLS FIRST, stage COLLATE "C" NULLS FIRST',
      ].join('\n'),
    );
    expect(params).toEqual({});
  });

  it('passes a definition filter as a named parameter, never as text in the SQL', () => {
    // Act
    const { sql, params } = renderPostgresqlSql(recordsQuery('fin-amount-by-vendor'), CELL_TOPOLOGY);

    // Assess
    expect(sql).toContain('AND stage = CAST(:stage AS text)');
    expect(sql).not.toContain("'ingestion'");
    expect(params).toEqual({ stage: 'ingestion' });
  });

  it('writes no :: cast that a named-parameter scanner could misread, in any panel', () => {
    // Prepare
    const queries = ALL_PANELS.flatMap((p) =>
      p.query.source === 'records' || p.query.source === 'sla' ? [p.query] : [],
    );

    for (const query of queries) {
      // Act
      const { sql } = renderPostgresqlSql(query, CELL_TOPOLOGY);

      // Assess
      expect(sql).not.toContain('::');
      expect(
        sql.match(/:[a-z_]+/g)?.every((p) => /^:(from_ms|to_ms|now_ms|cell|stage|status)$/.test(p)),
      ).toBe(true);
    }
  });

  it('refuses an average of money', () => {
    // Prepare
    const query: RecordsQuery = { ...recordsQuery('fin-amount-by-currency'), aggregation: 'avg' };

    // Act + Assess
    expect(() => renderPostgresqlSql(query, CELL_TOPOLOGY)).toThrow(PostgresqlQueryError);
  });
});

describe('PostgreSQL semantics the renderer relies on', () => {
  let db: PGlite;

  beforeAll(async () => {
    db = new PGlite();
    // Starting PostgreSQL in WASM takes seconds on a busy machine; not part of any test.
    await db.waitReady;
  }, 120_000);

  afterAll(async () => {
    await db.close();
  });

  it('picks with percentile_disc the nearest rank (n * P + 99) / 100 of local-sql, for n up to 300 and some larger', async () => {
    // Prepare: values 1..n, so the picked value is its rank.
    const sql = `SELECT n,
        percentile_disc(0.50) WITHIN GROUP (ORDER BY i) AS p50,
        percentile_disc(0.95) WITHIN GROUP (ORDER BY i) AS p95,
        percentile_disc(0.99) WITHIN GROUP (ORDER BY i) AS p99
      FROM unnest($1::int[]) AS n, LATERAL generate_series(1, n) AS i
      GROUP BY n ORDER BY n`;

    // Act
    const { rows } = await db.query<{ n: number; p50: number; p95: number; p99: number }>(sql, [SIZES]);

    // Assess
    const rank = (n: number, p: number) => Math.floor((n * p + 99) / 100);
    expect(rows).toHaveLength(SIZES.length);
    for (const r of rows)
      expect([r.p50, r.p95, r.p99]).toEqual([rank(r.n, 50), rank(r.n, 95), rank(r.n, 99)]);
  });

  it('bins by floor division before 1970 too, as binStartOf does', async () => {
    // Prepare
    const times = [
      -1,
      -59_999,
      -60_000,
      -60_001,
      -604_800_000 - 1,
      -4 * 86_400_000,
      0,
      1,
      345_600_000,
      1_767_571_200_123,
    ];
    const bins = Object.keys(TIME_BINS) as TimeBin[];
    const expression = (bin: TimeBin) => floorBin('t', TIME_BINS[bin], bin === '1w' ? 4 * 86_400_000 : 0);

    // Act
    const { rows } = await db.query<Record<string, number>>(
      `SELECT ${bins.map((b, i) => `${expression(b)} AS b${i}`).join(', ')}
       FROM unnest($1::bigint[]) WITH ORDINALITY AS x(t, k) ORDER BY k`,
      [times],
    );

    // Assess
    expect(rows.map((r) => bins.map((_b, i) => Number(r[`b${i}`])))).toEqual(
      times.map((t) => bins.map((b) => binStartOf(t, b))),
    );
  });
});

describe('postgresqlRecordsRow', () => {
  it('keeps a money sum past 2^63 exact and formats it in the row currency', () => {
    // Prepare
    const query = recordsQuery('fin-amount-by-vendor');

    // Act
    const row = postgresqlRecordsRow(query, {
      vendor_id: 'V-1',
      vendor_name: 'Acme',
      currency: 'KWD',
      value: '18000000000000000001',
    });

    // Assess
    expect(row).toEqual({
      vendorId: 'V-1',
      vendorName: 'Acme',
      currency: 'KWD',
      value: '18000000000000000.001',
      amountMinor: '18000000000000000001',
    });
  });

  it('refuses a money value with a fraction', () => {
    // Act + Assess
    expect(() =>
      postgresqlRecordsRow(recordsQuery('fin-amount-by-currency'), { currency: 'EUR', value: '1.5' }),
    ).toThrow(PostgresqlQueryError);
  });

  it('reads integer columns given as bigint or string', () => {
    // Act
    const row = postgresqlRecordsRow(recordsQuery('ops-latency-p95'), {
      bin_start: '300000',
      stage: 'posting',
      value: 12n,
    });
    const sla = postgresqlSlaRow({
      stage: 'ingestion',
      met: 3n,
      missed: '1',
      pending: 0,
      ended: 0,
      value: 75,
    });

    // Assess
    expect(row).toEqual({ binStartMs: 300_000, stage: 'posting', value: 12 });
    expect(sla).toEqual({ stage: 'ingestion', met: 3, missed: 1, pending: 0, ended: 0, value: 75 });
  });
});

describe('toPositional (test support)', () => {
  it('binds each name once and leaves :: casts alone', () => {
    // Act
    const { sql, values } = toPositional('SELECT CAST(:a AS bigint) + :a, x::text FROM t WHERE c = :c', {
      a: 1,
      c: null,
    });

    // Assess
    expect(sql).toBe('SELECT CAST($1 AS bigint) + $1, x::text FROM t WHERE c = $2');
    expect(values).toEqual([1, null]);
  });

  it('refuses a name without a value instead of binding NULL', () => {
    // Act + Assess
    expect(() => toPositional('SELECT :b', {})).toThrow('no value for parameter :b');
  });
});
