import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import {
  latestFromTimestreamRows,
  STUCK_STATE_MEASURES,
  timestreamLatestByInvoiceSql,
  timestreamStuckStateSql,
} from '../../../consumers/aws/timestream-stuck-query.js';
import { QueryParameterError } from '../../../consumers/sql/sql-text.js';

describe('timestreamLatestByInvoiceSql', () => {
  it('ranks by a stage order derived from the topology and keeps unfinished invoices', () => {
    // Act
    const sql = timestreamLatestByInvoiceSql(
      { database: 'invoices', table: 'events', fromParam: 'ago(30d)', cell: 'us-east-1' },
      CELL_TOPOLOGY,
    );

    // Assess
    expect(sql).toBe(
      [
        'WITH events AS (',
        '  SELECT "invoiceId" AS invoice_id, stage, status, time, time AS first_time, "vendorId" AS vendor_id, "eventId" AS event_id,',
        "    CASE stage WHEN 'ingestion' THEN 0 WHEN 'reconciliation' THEN 1 WHEN 'authorization' THEN 2 WHEN 'posting' THEN 3 END AS stage_order",
        '  FROM "invoices"."events"',
        "  WHERE measure_name = 'invoice_event' AND time >= ago(30d) AND cell = 'us-east-1'",
        '),',
        'ranked AS (',
        '  SELECT invoice_id, stage, stage_order, status, vendor_id,',
        '    ROW_NUMBER() OVER (PARTITION BY invoice_id ORDER BY stage_order DESC, time DESC, event_id DESC) AS latest_rank,',
        '    min(first_time) OVER (PARTITION BY invoice_id, stage_order) AS entered_at',
        '  FROM events',
        ')',
        'SELECT invoice_id, stage, status, to_milliseconds(entered_at) AS time_ms, vendor_id',
        'FROM ranked',
        'WHERE latest_rank = 1 AND stage_order < 3',
        'ORDER BY entered_at, invoice_id',
      ].join('\n'),
    );
  });

  it('keeps only overdue, non-terminal invoices in SQL when asked (the scheduled monitor)', () => {
    // Act
    const sql = timestreamLatestByInvoiceSql(
      { database: 'invoices', table: 'events', fromParam: 'ago(7d)', overdueOnly: true },
      CELL_TOPOLOGY,
    );

    // Assess: the final filter names every stage SLA and the terminal statuses from the topology
    expect(sql.split('\n').at(-2)).toBe(
      'WHERE latest_rank = 1 AND stage_order < 3' +
        " AND NOT ((stage_order = 0 AND status IN ('REJECTED')) OR (stage_order = 2 AND status IN ('REJECTED')))" +
        ' AND to_milliseconds(entered_at) < to_milliseconds(now()) - CASE stage_order WHEN 0 THEN 900000 WHEN 1 THEN 3600000 WHEN 2 THEN 14400000 WHEN 3 THEN 0 END',
    );
  });

  it('reads the stuck-state rows instead: the latest status by its record time, the entry by the row time', () => {
    // Act
    const sql = timestreamLatestByInvoiceSql(
      {
        database: 'invoices',
        table: 'latest',
        fromParam: 'ago(168h)',
        source: 'stuckState',
        overdueOnly: true,
      },
      CELL_TOPOLOGY,
    );

    // Assess: the same ranking and overdue filter over a few rows per invoice and stage
    expect(sql.split('\n').slice(0, 5)).toEqual([
      'WITH events AS (',
      '  SELECT "invoiceId" AS invoice_id, stage, status, latest_time AS time, time AS first_time, "vendorId" AS vendor_id, "eventId" AS event_id,',
      '    stage_order',
      '  FROM "invoices"."latest"',
      "  WHERE measure_name = 'stuck_state' AND time >= ago(168h)",
    ]);
    expect(sql).toContain('min(first_time) OVER (PARTITION BY invoice_id, stage_order) AS entered_at');
    expect(sql).toContain('ORDER BY stage_order DESC, time DESC, event_id DESC');
  });

  it('refuses a cell filter on the latest-state table, which has no cell column', () => {
    expect(() =>
      timestreamLatestByInvoiceSql(
        { database: 'invoices', table: 'latest', fromParam: 'ago(1h)', source: 'stuckState', cell: 'c1' },
        CELL_TOPOLOGY,
      ),
    ).toThrow(QueryParameterError);
  });

  it('parses Timestream rows into latest states', () => {
    // Act
    const latest = latestFromTimestreamRows([
      {
        invoice_id: 'INV-1',
        stage: 'ingestion',
        status: 'RECEIVED',
        time_ms: '1794819600000',
        vendor_id: 'V-1',
      },
    ]);

    // Assess
    expect(latest).toEqual([
      { invoiceId: 'INV-1', stage: 'ingestion', status: 'RECEIVED', timeMs: 1794819600000, vendorId: 'V-1' },
    ]);
  });
});

describe('timestreamStuckStateSql', () => {
  it('writes per invoice and stage the first record time, the latest status and the SLA deadline', () => {
    // Act
    const sql = timestreamStuckStateSql(
      {
        database: 'invoices',
        table: 'events',
        from: 'bin(@scheduled_runtime, 1m) - 60m',
        to: '@scheduled_runtime',
      },
      CELL_TOPOLOGY,
    );

    // Assess
    expect(sql).toContain(
      "WHERE measure_name = 'invoice_event' AND time >= bin(@scheduled_runtime, 1m) - 60m AND time < @scheduled_runtime",
    );
    expect(sql).toContain(
      'ROW_NUMBER() OVER (PARTITION BY "invoiceId", stage ORDER BY time DESC, "eventId" DESC) AS latest_rank',
    );
    expect(sql).toContain('min(time) OVER (PARTITION BY "invoiceId", stage) AS entered_at');
    expect(sql).toContain(
      'from_milliseconds(to_milliseconds(entered_at) + CASE stage_order WHEN 0 THEN 900000 WHEN 1 THEN 3600000 WHEN 2 THEN 14400000 WHEN 3 THEN 0 END) AS sla_deadline',
    );
    expect(sql.split('\n').at(-1)).toBe('WHERE latest_rank = 1');
    // Every measure the target mapping names is selected
    for (const m of STUCK_STATE_MEASURES) expect(sql).toMatch(new RegExp(`\\b${m.column}\\b`));
  });

  it('refuses a window that is not relative to the scheduled run time', () => {
    expect(() =>
      timestreamStuckStateSql(
        { database: 'invoices', table: 'events', from: 'ago(1h)', to: '@scheduled_runtime' },
        CELL_TOPOLOGY,
      ),
    ).toThrow('from "ago(1h)" must be @scheduled_runtime or bin(@scheduled_runtime');
  });
});
