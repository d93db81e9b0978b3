import { describe, expect, it } from 'vitest';
import { buildTopology, CELL_TOPOLOGY, STAGE_SETTINGS } from '../../../cells/topology.js';
import { TIMESTREAM_WINDOW } from '../../../consumers/aws/timestream-sql.js';
import { QueryParameterError } from '../../../consumers/sql/sql-text.js';
import {
  DASHBOARDS,
  findPanel,
  type RecordsQuery,
  type SlaQuery,
} from '../../../dashboards/panels/panels.js';
import { renderTimestreamSql, UnsupportedQueryError } from '../../../dashboards/renderers/timestream-sql.js';

const OPTIONS = {
  database: 'invoices',
  table: 'events',
  fromParam: 'ago(24h)',
  toParam: 'now()',
  topology: CELL_TOPOLOGY,
} as const;

function queryOf(panelId: string): RecordsQuery | SlaQuery {
  const query = findPanel(DASHBOARDS, panelId)?.query;
  if (query?.source !== 'records' && query?.source !== 'sla')
    throw new Error(`${panelId} is not a store panel`);
  return query;
}

describe('renderTimestreamSql', () => {
  it('renders per-stage throughput as a count per 1-minute bin', () => {
    // Act
    const sql = renderTimestreamSql(queryOf('ops-throughput'), OPTIONS);

    // Assess
    expect(sql).toBe(
      [
        'SELECT bin(time, 1m) AS bin_start, stage, count(*) AS value',
        'FROM "invoices"."events"',
        "WHERE measure_name = 'invoice_event'",
        '  AND time >= ago(24h)',
        '  AND time < now()',
        'GROUP BY bin(time, 1m), stage',
        'ORDER BY bin_start ASC, stage ASC',
      ].join('\n'),
    );
  });

  it('renders amounts by vendor as a BIGINT sum per currency over each invoice once', () => {
    // Act
    const sql = renderTimestreamSql(queryOf('fin-amount-by-vendor'), OPTIONS);

    // Assess
    expect(sql).toBe(
      [
        'WITH latest AS (',
        '  SELECT *, ROW_NUMBER() OVER (PARTITION BY "invoiceId" ORDER BY time DESC, "eventId" DESC) AS invoice_rank',
        '  FROM "invoices"."events"',
        "  WHERE measure_name = 'invoice_event'",
        '    AND time >= ago(24h)',
        '    AND time < now()',
        "    AND stage = 'ingestion'",
        ')',
        'SELECT "vendorId" AS vendor_id, currency, SUM("amount_minor") AS value',
        'FROM latest',
        'WHERE invoice_rank = 1',
        'GROUP BY "vendorId", currency',
        'ORDER BY vendor_id ASC, currency ASC',
      ].join('\n'),
    );
  });

  it('renders a percentile with approx_percentile, scoped to one cell', () => {
    // Prepare
    const query: RecordsQuery = {
      source: 'records',
      measure: 'paymentTermsDays',
      aggregation: 'p95',
      groupBy: ['currency'],
      timeBin: '1d',
    };

    // Act
    const sql = renderTimestreamSql(query, { ...OPTIONS, cell: 'us-east-1' });

    // Assess
    expect(sql).toBe(
      [
        'SELECT bin(time, 1d) AS bin_start, currency, approx_percentile("payment_terms_days", 0.95) AS value',
        'FROM "invoices"."events"',
        "WHERE measure_name = 'invoice_event'",
        '  AND time >= ago(24h)',
        '  AND time < now()',
        "  AND cell = 'us-east-1'",
        '  AND "payment_terms_days" IS NOT NULL',
        'GROUP BY bin(time, 1d), currency',
        'ORDER BY bin_start ASC, currency ASC',
      ].join('\n'),
    );
  });

  it('bins the cash-flow projection by the ISO week of the due date', () => {
    // Act
    const sql = renderTimestreamSql(queryOf('fin-cash-flow-by-week'), OPTIONS);

    // Assess
    expect(sql).toContain(
      `SELECT date_trunc('week', "due_date") AS bin_start, currency, SUM("amount_minor") AS value`,
    );
    expect(sql).toContain('AND "due_date" IS NOT NULL');
  });

  it('takes QuickSight dataset parameters as the window', () => {
    // Prepare
    const window = {
      fromParam: TIMESTREAM_WINDOW.quickSight('from'),
      toParam: TIMESTREAM_WINDOW.quickSight('to'),
    };

    // Act
    const sql = renderTimestreamSql(queryOf('exec-events-trend'), { ...OPTIONS, ...window });

    // Assess
    expect(sql).toContain('AND time >= <<$from>>\n  AND time < <<$to>>');
  });

  it('renders SLA attainment with the stage order, SLAs and terminal statuses of the topology', () => {
    // Prepare
    const topology = buildTopology({}, STAGE_SETTINGS.slice(0, 3));

    // Act
    const sql = renderTimestreamSql({ source: 'sla' }, { ...OPTIONS, topology });

    // Assess
    expect(sql).toContain(
      "CASE stage WHEN 'ingestion' THEN 0 WHEN 'reconciliation' THEN 1 WHEN 'authorization' THEN 2 END AS stage_order",
    );
    expect(sql).toContain(
      'CASE e.stage_order WHEN 0 THEN 900000 WHEN 1 THEN 3600000 WHEN 2 THEN 0 END AS sla_ms',
    );
    expect(sql).toContain("(stage_order = 0 AND status IN ('REJECTED'))");
    expect(sql).toContain('WHERE e.entered_ms < to_milliseconds(now()) AND e.stage_order < 2');
  });

  it('refuses latency, which lives in CloudWatch, not Timestream', () => {
    // Act
    const act = () => renderTimestreamSql(queryOf('ops-latency-p99'), OPTIONS);

    // Assess
    expect(act).toThrow(UnsupportedQueryError);
    expect(act).toThrow(/renderCloudWatchMetric/);
  });

  it.each([
    ['a window bound that is not a time expression', { fromParam: "ago(1h) OR 1=1 --'" }],
    ['a table name with a quote', { table: 'events"; DROP' }],
    ['a cell that is not a plain name', { cell: "x' OR 'a'='a" }],
  ])('refuses %s', (_what, override) => {
    // Act
    const act = () => renderTimestreamSql(queryOf('ops-throughput'), { ...OPTIONS, ...override });

    // Assess
    expect(act).toThrow(QueryParameterError);
  });
});
