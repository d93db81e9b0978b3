import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assembleStats } from '../../../../cells/local/monitoring/cell-stats.js';
import { STUCK_INVOICES_LISTED, StuckReport } from '../../../../cells/local/monitoring/stuck-answer.js';
import { CELL_TOPOLOGY, type StageName } from '../../../../cells/topology.js';
import type { InvoiceRecord } from '../../../../consumers/record.js';
import { openTestCellDb, recordOf, type TestCellDb } from '../../../dashboards/support/cell-db.js';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const MIN = 60_000;
const DAY = 86_400_000;
const LOOKBACK_SEC = 7 * 86_400;
const idle = async () =>
  assembleStats({
    topology: CELL_TOPOLOGY,
    queues: new Map(),
    snapshot: undefined,
    state: 'ready',
    cellName: 'local',
  });

describe('StuckReport', () => {
  let cell: TestCellDb;
  let report: StuckReport;

  beforeEach(() => {
    cell = openTestCellDb();
    report = new StuckReport(cell.db, CELL_TOPOLOGY, LOOKBACK_SEC);
  });

  afterEach(() => {
    cell.close();
  });

  async function writeAll(records: readonly InvoiceRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 100) {
      const { rejected } = await cell.store.writeRecords(records.slice(i, i + 100));
      expect(rejected).toEqual([]);
    }
  }

  const entered = (invoiceId: string, stage: StageName, timeMs: number, status?: string) =>
    recordOf({ eventId: `${invoiceId}-${stage}`, invoiceId, stage, timeMs, ...(status ? { status } : {}) });

  it('lists the most overdue invoices up to the limit and says how many there are', async () => {
    // Prepare: one more stuck invoice than listed, each a minute older than the next.
    const count = STUCK_INVOICES_LISTED + 5;
    await writeAll(
      Array.from({ length: count }, (_, i) => entered(`INV-${i}`, 'ingestion', NOW - DAY + i * MIN)),
    );

    // Act
    const answer = await report.answer(undefined, NOW, idle);

    // Assess
    expect(answer.invoices).toHaveLength(STUCK_INVOICES_LISTED);
    expect(answer.invoices[0]).toMatchObject({ invoiceId: 'INV-0', enteredAtMs: NOW - DAY });
    expect(answer.invoices.at(-1)?.invoiceId).toBe(`INV-${STUCK_INVOICES_LISTED - 1}`);
    expect(answer.notes).toContain(
      `${count} invoices are past their stage SLA; the ${STUCK_INVOICES_LISTED} most overdue are listed`,
    );
    expect(report.counts(NOW).get('ingestion')).toBe(count);
  });

  it('lists one stage when asked, with no note when every one is listed', async () => {
    // Prepare
    await writeAll([
      entered('INV-A', 'ingestion', NOW - 3 * 60 * MIN),
      entered('INV-B', 'ingestion', NOW - 3 * 60 * MIN),
      entered('INV-B', 'reconciliation', NOW - 2 * 60 * MIN),
    ]);

    // Act
    const answer = await report.answer('reconciliation', NOW, idle);

    // Assess: reconciliation's SLA is one hour.
    expect(answer.invoices.map((s) => [s.invoiceId, s.stage, s.overdueSec])).toEqual([
      ['INV-B', 'reconciliation', 3600],
    ]);
    expect(answer.notes).toEqual([]);
  });

  it('leaves out invoices that entered their stage before the look-back, in the list and the counts', async () => {
    // Prepare
    await writeAll([
      entered('INV-OLD', 'ingestion', NOW - 8 * DAY),
      entered('INV-NEW', 'ingestion', NOW - 6 * DAY),
    ]);

    // Act
    const invoices = report.invoices(NOW);
    const counts = report.counts(NOW);

    // Assess
    expect(invoices.map((s) => s.invoiceId)).toEqual(['INV-NEW']);
    expect([...counts]).toEqual([
      ['ingestion', 1],
      ['reconciliation', 0],
      ['authorization', 0],
    ]);
  });

  it('does not list an invoice ended by a terminal status or one that reached the last stage', async () => {
    // Prepare
    await writeAll([
      entered('INV-R', 'ingestion', NOW - DAY, 'REJECTED'),
      entered('INV-P', 'ingestion', NOW - DAY),
      entered('INV-P', 'posting', NOW - DAY + MIN),
    ]);

    // Act
    const invoices = report.invoices(NOW);

    // Assess
    expect(invoices).toEqual([]);
  });
});
