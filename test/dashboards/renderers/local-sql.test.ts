import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { DASHBOARDS, findPanel, type Panel } from '../../../dashboards/panels/panels.js';
import { renderLocalSql } from '../../../dashboards/renderers/local-sql.js';
import { openTestCellDb, recordOf } from '../support/cell-db.js';

function panel(id: string): Panel {
  const found = findPanel(DASHBOARDS, id);
  if (!found) throw new Error(`no panel ${id}`);
  return found;
}

describe('renderLocalSql', () => {
  it('renders per-stage throughput with named parameters and integer time bins', () => {
    // Prepare
    const { query } = panel('ops-throughput');
    if (query.source !== 'records') throw new Error('not a records panel');

    // Act
    const { sql, params } = renderLocalSql(query, CELL_TOPOLOGY);

    // Assess
    expect(sql).toBe(
      [
        'WITH filtered AS (',
        '  SELECT *',
        '  FROM records',
        "  WHERE measure_name = 'invoice_event'",
        '    AND time_ms >= :fromMs',
        '    AND time_ms < :toMs',
        '    AND (:cell IS NULL OR cell = :cell)',
        ')',
        'SELECT (time_ms - ((time_ms % 60000) + 60000) % 60000) AS bin_start, stage, count(*) AS value',
        'FROM filtered',
        'GROUP BY bin_start, stage',
        'ORDER BY bin_start, min(stage_order), stage',
      ].join('\n'),
    );
    expect(params).toEqual({});
  });

  it('bins times before 1970 by floor, as the rollups do', async () => {
    // Prepare: one record a millisecond before the epoch, one at it.
    const cell = openTestCellDb();
    try {
      for (const [eventId, timeMs] of [
        ['e-before', -1],
        ['e-at', 0],
      ] as const) {
        await cell.write(
          recordOf({ eventId, invoiceId: `INV-${eventId}`, stage: 'ingestion', timeMs, receivedAtMs: 5 }),
        );
      }
      const { query } = panel('ops-throughput');
      if (query.source !== 'records') throw new Error('not a records panel');

      // Act
      const { sql } = renderLocalSql(query, CELL_TOPOLOGY);
      const rows = cell.db.prepare(sql).all({ fromMs: -120_000, toMs: 120_000, cell: null });

      // Assess
      expect(rows).toEqual([
        { bin_start: -60_000, stage: 'ingestion', value: 1 },
        { bin_start: 0, stage: 'ingestion', value: 1 },
      ]);
    } finally {
      cell.close();
    }
  });

  it('passes a stage filter as the :stage parameter', () => {
    // Prepare
    const { query } = panel('fin-amount-by-currency');
    if (query.source !== 'records') throw new Error('not a records panel');

    // Act
    const { sql, params } = renderLocalSql(query, CELL_TOPOLOGY);

    // Assess
    expect(sql).toContain('AND stage = :stage');
    expect(params).toEqual({ stage: 'ingestion' });
  });

  it("ranks an invoice's records over all history and applies the window to its latest one", () => {
    // Prepare
    const { query } = panel('exec-invoices-by-stage');
    if (query.source !== 'records') throw new Error('not a records panel');

    // Act
    const { sql } = renderLocalSql(query, CELL_TOPOLOGY);

    // Assess
    expect(sql).toBe(
      [
        'WITH filtered AS (',
        '  SELECT *,',
        '    ROW_NUMBER() OVER (PARTITION BY invoice_id, stage ORDER BY time_ms DESC, event_id DESC, id) AS invoice_rank',
        '  FROM records',
        "  WHERE measure_name = 'invoice_event'",
        '    AND (:cell IS NULL OR cell = :cell)',
        ')',
        'SELECT stage, count(*) AS value',
        'FROM filtered',
        'WHERE invoice_rank = 1 AND time_ms >= :fromMs AND time_ms < :toMs',
        'GROUP BY stage',
        'ORDER BY min(stage_order), stage',
      ].join('\n'),
    );
  });
});
