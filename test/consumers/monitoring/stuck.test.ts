import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { localLatestByInvoiceSql } from '../../../cells/local/storage/monitoring-queries.js';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import {
  latestFromTimestreamRows,
  timestreamLatestByInvoiceSql,
} from '../../../consumers/aws/timestream-stuck-query.js';
import {
  countStuckByStage,
  findStuckInvoices,
  findStuckMessages,
  type LatestByInvoiceRow,
  type LatestInvoiceState,
  latestFromRows,
} from '../../../consumers/monitoring/stuck.js';
import { readStageSchemaFile } from '../../../schemas/files.js';
import { openTestCellDb, recordOf, type TestCellDb } from '../../dashboards/support/cell-db.js';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const MIN = 60_000;

describe('findStuckInvoices', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const at = (minutesAgo: number) => Date.now() - minutesAgo * MIN;

  it('lists an invoice past its stage SLA with its age and how overdue it is', () => {
    // Prepare: ingestion SLA is 15 minutes.
    const latest: LatestInvoiceState[] = [
      { invoiceId: 'INV-1', stage: 'ingestion', status: 'CAPTURED', timeMs: at(20), vendorId: 'V-9' },
    ];

    // Act
    const stuck = findStuckInvoices(latest, CELL_TOPOLOGY, Date.now());

    // Assess
    expect(stuck).toEqual([
      {
        invoiceId: 'INV-1',
        stage: 'ingestion',
        nextStage: 'reconciliation',
        lastStatus: 'CAPTURED',
        enteredAtMs: NOW - 20 * MIN,
        ageSec: 1200,
        slaSec: 900,
        overdueSec: 300,
        vendorId: 'V-9',
      },
    ]);
  });

  it('does not list an invoice still within its SLA, and lists it once the SLA has passed', () => {
    // Prepare
    const latest: LatestInvoiceState[] = [
      { invoiceId: 'INV-1', stage: 'ingestion', status: 'RECEIVED', timeMs: at(15) },
    ];

    // Act
    const atSla = findStuckInvoices(latest, CELL_TOPOLOGY, Date.now());
    vi.advanceTimersByTime(1000);
    const afterSla = findStuckInvoices(latest, CELL_TOPOLOGY, Date.now());

    // Assess
    expect(atSla).toEqual([]);
    expect(afterSla.map((s) => [s.invoiceId, s.overdueSec])).toEqual([['INV-1', 1]]);
  });

  it('never lists an invoice at the last stage or one that ended with a terminal status', () => {
    // Prepare
    const latest: LatestInvoiceState[] = [
      { invoiceId: 'POSTED', stage: 'posting', status: 'FAILED', timeMs: at(10_000) },
      { invoiceId: 'REJECTED-AT-INGESTION', stage: 'ingestion', status: 'REJECTED', timeMs: at(600) },
      { invoiceId: 'REJECTED-AT-AUTH', stage: 'authorization', status: 'REJECTED', timeMs: at(600) },
      { invoiceId: 'ESCALATED', stage: 'authorization', status: 'ESCALATED', timeMs: at(600) },
      { invoiceId: 'UNKNOWN-STAGE', stage: 'archival', status: 'X', timeMs: at(600) },
    ];

    // Act
    const stuck = findStuckInvoices(latest, CELL_TOPOLOGY, Date.now());

    // Assess: waiting for a person (ESCALATED) past the 4 h SLA is stuck.
    expect(stuck.map((s) => s.invoiceId)).toEqual(['ESCALATED']);
  });

  it('orders the most overdue first and counts per stage', () => {
    // Prepare
    const latest: LatestInvoiceState[] = [
      { invoiceId: 'A', stage: 'ingestion', status: 'RECEIVED', timeMs: at(30) },
      { invoiceId: 'B', stage: 'reconciliation', status: 'MISMATCHED', timeMs: at(200) },
      { invoiceId: 'C', stage: 'ingestion', status: 'RECEIVED', timeMs: at(60) },
    ];

    // Act
    const stuck = findStuckInvoices(latest, CELL_TOPOLOGY, Date.now());
    const counts = countStuckByStage(stuck, CELL_TOPOLOGY);

    // Assess
    expect(stuck.map((s) => s.invoiceId)).toEqual(['B', 'C', 'A']);
    expect(Object.fromEntries(counts)).toEqual({ ingestion: 2, reconciliation: 1, authorization: 0 });
  });
});

describe('terminal statuses', () => {
  it.each(CELL_TOPOLOGY.stages.map((s) => [s.name, s.terminalStatuses] as const))(
    'of %s are statuses its schema allows',
    (stage, terminal) => {
      // Prepare
      const schema = readStageSchemaFile(stage);

      // Act
      const allowed: unknown = schema.properties?.status?.enum;

      // Assess
      expect(allowed).toEqual(expect.arrayContaining([...terminal]));
    },
  );
});

describe('localLatestByInvoiceSql', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  it('returns each unfinished invoice at its furthest stage, entered-at time and latest status there', async () => {
    // Prepare
    const t0 = NOW - 5 * 60 * MIN;
    const write = (
      eventId: string,
      invoiceId: string,
      stage: 'ingestion' | 'reconciliation' | 'posting',
      m: number,
      status: string,
      cellName = 'local',
    ) =>
      cell.write(
        recordOf({
          eventId,
          invoiceId,
          stage,
          timeMs: t0 + m * MIN,
          status,
          vendorId: `V-${invoiceId}`,
          cell: cellName,
        }),
      );
    await write('a1', 'INV-A', 'ingestion', 0, 'RECEIVED');
    await write('a2', 'INV-A', 'ingestion', 5, 'CAPTURED');
    await write('a3', 'INV-A', 'reconciliation', 10, 'PARTIALLY_MATCHED');
    await write('a4', 'INV-A', 'reconciliation', 40, 'MISMATCHED');
    await write('b1', 'INV-B', 'ingestion', 0, 'RECEIVED');
    await write('c1', 'INV-C', 'ingestion', 0, 'RECEIVED');
    await write('c2', 'INV-C', 'posting', 50, 'POSTED');
    await write('d1', 'INV-D', 'ingestion', 0, 'RECEIVED', 'other-cell');
    const statement = cell.db.prepare<{ fromMs: number; cell: string | null }, LatestByInvoiceRow>(
      localLatestByInvoiceSql(CELL_TOPOLOGY),
    );

    // Act
    const latest = latestFromRows(statement.all({ fromMs: t0, cell: 'local' }));

    // Assess: INV-C reached the last stage; INV-D is another cell's.
    expect(latest).toEqual([
      { invoiceId: 'INV-B', stage: 'ingestion', status: 'RECEIVED', timeMs: t0, vendorId: 'V-INV-B' },
      {
        invoiceId: 'INV-A',
        stage: 'reconciliation',
        status: 'MISMATCHED',
        timeMs: t0 + 10 * MIN,
        vendorId: 'V-INV-A',
      },
    ]);
    expect(findStuckInvoices(latest, CELL_TOPOLOGY, NOW).map((s) => [s.invoiceId, s.ageSec])).toEqual([
      ['INV-B', 5 * 3600],
      ['INV-A', 5 * 3600 - 600],
    ]);
  });

  it('looks back only to :fromMs', async () => {
    // Prepare
    await cell.write(
      recordOf({ eventId: 'old', invoiceId: 'INV-OLD', stage: 'ingestion', timeMs: NOW - 48 * 60 * MIN }),
    );
    const statement = cell.db.prepare<{ fromMs: number; cell: string | null }, LatestByInvoiceRow>(
      localLatestByInvoiceSql(CELL_TOPOLOGY),
    );

    // Act
    const rows = statement.all({ fromMs: NOW - 24 * 60 * MIN, cell: null });

    // Assess
    expect(rows).toEqual([]);
  });
});

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

describe('findStuckMessages', () => {
  it('reports a DLQ that is not empty and an oldest message past the stage threshold', () => {
    // Act
    const issues = findStuckMessages(
      {
        ingestion: { dlqDepth: 0, oldestMessageAgeSec: 5 },
        reconciliation: { dlqDepth: 2, oldestMessageAgeSec: null },
        posting: { dlqDepth: 0, oldestMessageAgeSec: 121 },
      },
      CELL_TOPOLOGY,
    );

    // Assess
    expect(issues).toEqual([
      expect.objectContaining({ stage: 'reconciliation', kind: 'dlq-not-empty', value: 2, threshold: 0 }),
      expect.objectContaining({
        stage: 'posting',
        kind: 'oldest-message-too-old',
        value: 121,
        threshold: 120,
      }),
    ]);
  });
});
