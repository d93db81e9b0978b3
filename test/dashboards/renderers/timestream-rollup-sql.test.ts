import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { QueryParameterError } from '../../../consumers/sql/sql-text.js';
import { DASHBOARDS, type Dashboard, type RecordsQuery } from '../../../dashboards/panels/panels.js';
import {
  binDimensions,
  binMeasures,
  histogramBucketSql,
  isTimestreamSpec,
  renderBinsFromBinsSql,
  renderBinsFromRecordsSql,
} from '../../../dashboards/renderers/timestream-rollup-sql.js';
import { UnsupportedQueryError } from '../../../dashboards/renderers/timestream-sql.js';
import { bucketBounds, bucketOf } from '../../../dashboards/rollups/histogram.js';
import { deriveRollupSpecs, type RollupSpec } from '../../../dashboards/rollups/rollup-specs.js';

const WINDOW = { from: 'bin(@scheduled_runtime, 1m) - 60m', to: '@scheduled_runtime' } as const;

/** The spec of a panel of the default dashboards. */
function specOf(panelId: string): RollupSpec {
  const spec = deriveRollupSpecs(DASHBOARDS).find((s) => s.panelIds.includes(panelId));
  if (!spec) throw new Error(`no spec for ${panelId}`);
  return spec;
}

/** The spec of one extra `records` panel (event rollups the default dashboards do not have). */
function specOfQuery(query: RecordsQuery): RollupSpec {
  const dashboard: Dashboard = {
    id: 'finance',
    title: 'Probe',
    description: 'One panel',
    panels: [{ id: 'probe', title: 'Probe', unit: 'count', chart: 'line', query }],
  };
  const [spec] = deriveRollupSpecs([dashboard]);
  if (!spec) throw new Error('no spec');
  return spec;
}

describe('renderBinsFromRecordsSql', () => {
  it('counts the records of each minute bin and stage of the window (the throughput rollup)', () => {
    // Act
    const spec = specOf('ops-throughput');
    const sql = renderBinsFromRecordsSql(spec, '1m', WINDOW);

    // Assess
    expect(sql).toBe(
      [
        "SELECT bin(time, 1m) AS bin_start, '1m' AS tier, stage, count(*) AS event_count",
        'FROM "__cell_database__"."__cell_table__"',
        "WHERE measure_name = 'invoice_event'",
        '  AND time >= bin(@scheduled_runtime, 1m) - 60m',
        '  AND time < @scheduled_runtime',
        'GROUP BY bin(time, 1m), stage',
      ].join('\n'),
    );
    expect(binDimensions(spec)).toEqual(['tier', 'stage']);
    expect(binMeasures(spec)).toEqual([{ column: 'event_count', type: 'BIGINT' }]);
  });

  it('sums money as BIGINT minor units per currency, with the predicate of the panel', () => {
    // Prepare: every posting record's amount by currency (not distinct invoices: an event rollup)
    const spec = specOfQuery({
      source: 'records',
      measure: 'amount',
      aggregation: 'sum',
      groupBy: ['currency'],
      timeBin: '1d',
      filters: { stage: 'posting', status: 'POSTED' },
    });

    // Act
    const sql = renderBinsFromRecordsSql(spec, '1m', WINDOW);

    // Assess
    expect(sql).toContain('SUM("amount_minor") AS amount_sum_minor');
    expect(sql).toContain("AND stage = 'posting'");
    expect(sql).toContain(`AND "status" = 'POSTED'`);
    expect(binMeasures(spec)).toEqual([
      { column: 'event_count', type: 'BIGINT' },
      { column: 'amount_sum_minor', type: 'BIGINT' },
    ]);
    expect(JSON.stringify(binMeasures(spec))).not.toContain('DOUBLE');
  });

  it('keeps an average as an exact BIGINT sum and a count of the records that have the value', () => {
    // Prepare
    const spec = specOfQuery({
      source: 'records',
      measure: 'paymentTermsDays',
      aggregation: 'avg',
      groupBy: ['vendorId'],
    });

    // Act
    const sql = renderBinsFromRecordsSql(spec, '1m', WINDOW);

    // Assess
    expect(sql).toContain('"vendorId" AS vendor_id');
    expect(sql).toContain('AND "payment_terms_days" IS NOT NULL');
    expect(sql).toContain('count(*) AS event_count, SUM("payment_terms_days") AS value_sum');
    expect(binMeasures(spec).map((m) => m.type)).toEqual(['BIGINT', 'BIGINT']);
  });

  it('writes a histogram as one row per value bucket, the bucket a dimension', () => {
    // Prepare: percentiles of payment terms in 5-minute or coarser panels start at the 5m tier
    const spec = specOfQuery({
      source: 'records',
      measure: 'paymentTermsDays',
      aggregation: 'p95',
      groupBy: ['stage'],
      timeBin: '1h',
    });

    // Act
    const sql = renderBinsFromRecordsSql(spec, '5m', WINDOW);

    // Assess
    expect(spec.tiers).toEqual(['5m', '1h', '1d']);
    expect(sql).toContain(`CAST(${histogramBucketSql('"payment_terms_days"')} AS varchar) AS bucket`);
    expect(sql.split('\n').at(-1)).toBe(
      `GROUP BY bin(time, 5m), stage, CAST(${histogramBucketSql('"payment_terms_days"')} AS varchar)`,
    );
    expect(binDimensions(spec)).toEqual(['tier', 'stage', 'bucket']);
  });

  it('writes missing key values as a marker, since a dimension can be neither NULL nor empty', () => {
    // Prepare
    const spec = specOfQuery({
      source: 'records',
      measure: 'events',
      aggregation: 'count',
      groupBy: ['paymentTermsDays'],
      timeBin: '1w',
      timeField: 'dueDate',
    });

    // Act
    const sql = renderBinsFromRecordsSql(spec, '1m', WINDOW);

    // Assess
    expect(sql).toContain(`COALESCE(CAST("payment_terms_days" AS varchar), '-') AS payment_terms_days`);
    expect(sql).toContain(
      `COALESCE(CAST(to_milliseconds(date_trunc('week', "due_date")) AS varchar), '-') AS due_bin`,
    );
    expect(binDimensions(spec)).toEqual(['tier', 'payment_terms_days', 'due_bin']);
  });

  it('refuses distinct-invoice specs (latest state) and latency specs (CloudWatch)', () => {
    expect(() => renderBinsFromRecordsSql(specOf('exec-invoices-by-stage'), '1m', WINDOW)).toThrow(
      UnsupportedQueryError,
    );
    const latency = specOf('ops-latency-p95');
    expect(isTimestreamSpec(latency)).toBe(false);
    expect(() => renderBinsFromRecordsSql(latency, '5m', WINDOW)).toThrow(
      /has no Timestream form: the records table holds no stored-at time/,
    );
  });

  it('refuses a window bound that is not relative to the scheduled run time', () => {
    expect(() =>
      renderBinsFromRecordsSql(specOf('ops-throughput'), '1m', { from: 'ago(1h)', to: '@scheduled_runtime' }),
    ).toThrow(QueryParameterError);
  });
});

describe('renderBinsFromBinsSql', () => {
  it('sums the finer tier rows of the same spec into the coarser bins', () => {
    // Act
    const sql = renderBinsFromBinsSql(specOf('ops-throughput'), '1h', '1m', {
      from: 'bin(@scheduled_runtime, 1h) - 50h',
      to: '@scheduled_runtime',
    });

    // Assess
    expect(sql).toBe(
      [
        "SELECT bin(time, 1h) AS bin_start, '1h' AS tier, stage, SUM(event_count) AS event_count",
        'FROM "__cell_database__"."__rollup_bins__"',
        `WHERE measure_name = '${specOf('ops-throughput').id}'`,
        "  AND tier = '1m'",
        '  AND time >= bin(@scheduled_runtime, 1h) - 50h',
        '  AND time < @scheduled_runtime',
        'GROUP BY bin(time, 1h), stage',
      ].join('\n'),
    );
  });

  it('refuses to build a tier from anything but the next finer tier of the spec', () => {
    expect(() => renderBinsFromBinsSql(specOf('ops-throughput'), '1d', '1m', WINDOW)).toThrow(
      'tier 1d is not built from 1m (tiers 1m, 1h, 1d)',
    );
  });
});

describe('histogramBucketSql', () => {
  it('computes the lower bound of the same bucket as bucketOf, for small, large and negative values', () => {
    // Prepare: SQLite runs the expression (the same functions and integer arithmetic), with the
    // value bound as an INTEGER like Timestream's BIGINT (a JS number would bind as REAL: "100.0")
    const db = new Database(':memory:');
    const select = db.prepare(`SELECT ${histogramBucketSql(':v')} AS lower`).safeIntegers(true);
    const values = [0, 1, 7, 42, 99, 100, 101, 109, 110, 999, 1000, 1234, 98_765, 123_456_789, 2 ** 40 + 3];
    const all = [...values, ...values.map((v) => -v)];

    // Act
    const lowers = all.map((v) => Number((select.get({ v: BigInt(v) }) as { lower: bigint }).lower));

    // Assess
    expect(lowers).toEqual(all.map((v) => bucketBounds(bucketOf(v)).lower));
    db.close();
  });
});
