import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import {
  latestFromTimestreamRows,
  timestreamLatestByInvoiceSql,
} from '../../../consumers/aws/timestream-stuck-query.js';

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
        '  SELECT "invoiceId" AS invoice_id, stage, status, time, "vendorId" AS vendor_id, "eventId" AS event_id,',
        "    CASE stage WHEN 'ingestion' THEN 0 WHEN 'reconciliation' THEN 1 WHEN 'authorization' THEN 2 WHEN 'posting' THEN 3 END AS stage_order",
        '  FROM "invoices"."events"',
        "  WHERE measure_name = 'invoice_event' AND time >= ago(30d) AND cell = 'us-east-1'",
        '),',
        'ranked AS (',
        '  SELECT invoice_id, stage, stage_order, status, vendor_id,',
        '    ROW_NUMBER() OVER (PARTITION BY invoice_id ORDER BY stage_order DESC, time DESC, event_id DESC) AS latest_rank,',
        '    min(time) OVER (PARTITION BY invoice_id, stage_order) AS entered_at',
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
