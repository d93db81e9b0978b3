import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReportPanelError, readReportPanel } from '../../../../cells/local/reports/read-report-panel.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { REPORT_PANEL_IDS } from '../../../../dashboards/panels/report-panels.js';
import { openTestCellDb, recordOf, type TestCellDb } from '../../../dashboards/support/cell-db.js';

const OCT_1 = Date.parse('2026-10-01T00:00:00Z');
const NOV_1 = Date.parse('2026-11-01T00:00:00Z');
const KOLKATA = { fromMs: Date.parse('2026-09-30T18:30:00Z'), toMs: Date.parse('2026-10-31T18:30:00Z') };

describe('readReportPanel', () => {
  let cell: TestCellDb;

  beforeEach(async () => {
    cell = openTestCellDb();
    const at = (timeMs: number, eventId: string, invoiceId: string, amountMinor: string) =>
      cell.write(recordOf({ eventId, invoiceId, stage: 'ingestion', timeMs, amountMinor, currency: 'EUR' }));
    await at(KOLKATA.fromMs - 1, 'e-before', 'INV-1', '100');
    await at(KOLKATA.fromMs, 'e-first', 'INV-2', '200');
    await at(KOLKATA.toMs - 1, 'e-last', 'INV-3', '400');
    await at(KOLKATA.toMs, 'e-after', 'INV-4', '800');
  });

  afterEach(() => {
    cell.close();
  });

  it('reads a trend panel as one row per group over a month edged at half hours', () => {
    // Act
    const read = readReportPanel(cell.db, CELL_TOPOLOGY, REPORT_PANEL_IDS.receivedByVendor, {
      ...KOLKATA,
      label: 'invoices received',
    });

    // Assess
    expect(read.note).toBeUndefined();
    expect(read.rows).toEqual([{ groups: { vendorId: 'V-1', currency: 'EUR' }, count: 2, value: 600n }]);
  });

  it('says which window it covered when minute bins of the month edge are pruned', () => {
    // Prepare: the retention job kept minute bins from 5 October only
    cell.db
      .prepare("INSERT INTO meta (key, value) VALUES ('rollup_retained_from', ?)")
      .run(JSON.stringify({ '1m': Date.parse('2026-10-05T00:00:00Z') }));

    // Act
    const read = readReportPanel(cell.db, CELL_TOPOLOGY, REPORT_PANEL_IDS.receivedByVendor, {
      ...KOLKATA,
      label: 'invoices received',
      oldestRetainedMs: { '1m': Date.parse('2026-10-05T00:00:00Z') },
    });

    // Assess: the start snaps to the hour (18:00), taking in the record at 18:29:59.999
    expect(read.rows[0]?.count).toBe(3);
    expect(read.note).toBe(
      'invoices received: the rollups kept cover 2026-09-30T18:00:00.000Z to 2026-10-31T18:30:00.000Z ' +
        'instead of 2026-09-30T18:30:00.000Z to 2026-10-31T18:30:00.000Z (finer bins are pruned by retention)',
    );
  });

  it('reads the hidden report panels from their own rollups', () => {
    // Act
    const terms = readReportPanel(cell.db, CELL_TOPOLOGY, REPORT_PANEL_IDS.paymentTermsByCurrency, {
      fromMs: OCT_1,
      toMs: NOV_1,
      label: 'payment-terms mix',
    });
    const open = readReportPanel(cell.db, CELL_TOPOLOGY, REPORT_PANEL_IDS.openBook, {
      fromMs: 0,
      toMs: NOV_1,
      label: 'value still open',
    });

    // Assess: October in UTC holds the last two records; all history up to November all four
    expect(terms.rows).toEqual([{ groups: { currency: 'EUR', paymentTermsDays: null }, count: 2, value: 2 }]);
    expect(open.rows).toEqual([{ groups: { currency: 'EUR', status: 'RECEIVED' }, count: 4, value: 1500n }]);
  });

  it('refuses a panel no rollup of the cell serves, naming it', () => {
    // Act + Assess
    const read = () =>
      readReportPanel(cell.db, CELL_TOPOLOGY, 'ops-dlq-depth', { fromMs: OCT_1, toMs: NOV_1, label: 'x' });
    expect(read).toThrow(ReportPanelError);
    expect(read).toThrow("report panel ops-dlq-depth is not a records panel of this cell's rollups");
  });
});
