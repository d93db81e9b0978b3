import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type LocalPanelResult,
  LocalPanelSourceError,
  runLocalPanel,
} from '../../../../cells/local/monitoring/panel-runner.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { DASHBOARDS, findPanel, type Panel } from '../../../../dashboards/panels/panels.js';
import { openTestCellDb, recordOf, type TestCellDb } from '../../../dashboards/support/cell-db.js';

/** Monday 2026-11-16 00:00 UTC. */
const DAY0 = Date.parse('2026-11-16T00:00:00Z');
const HOUR = 3_600_000;
/** The window and the topology every run reads with. */
const WINDOW = { fromMs: DAY0, toMs: DAY0 + 24 * HOUR, topology: CELL_TOPOLOGY };

function panel(id: string): Panel {
  const found = findPanel(DASHBOARDS, id);
  if (!found) throw new Error(`no panel ${id}`);
  return found;
}

function rowsOf(result: LocalPanelResult) {
  if (result.source !== 'records') throw new Error(`expected records rows, got ${result.source}`);
  return result.rows;
}

describe('runLocalPanel', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  it('counts events per stage inside the window only', async () => {
    // Prepare
    const at = (h: number) => DAY0 + h * HOUR;
    await cell.write(recordOf({ eventId: 'e1', invoiceId: 'INV-1', stage: 'ingestion', timeMs: at(1) }));
    await cell.write(recordOf({ eventId: 'e2', invoiceId: 'INV-2', stage: 'ingestion', timeMs: at(2) }));
    await cell.write(recordOf({ eventId: 'e3', invoiceId: 'INV-1', stage: 'reconciliation', timeMs: at(3) }));
    await cell.write(recordOf({ eventId: 'e4', invoiceId: 'INV-3', stage: 'ingestion', timeMs: at(30) }));

    // Act
    const rows = rowsOf(runLocalPanel(cell.db, panel('exec-invoices-by-stage'), WINDOW));

    // Assess
    expect(rows).toEqual([
      { stage: 'ingestion', value: 2 },
      { stage: 'reconciliation', value: 1 },
    ]);
  });

  it('sums money per currency as decimal strings in the currency exponent', async () => {
    // Prepare
    const write = (eventId: string, currency: string, amountMinor: string) =>
      cell.write(
        recordOf({
          eventId,
          invoiceId: `INV-${eventId}`,
          stage: 'posting',
          timeMs: DAY0 + HOUR,
          currency,
          amountMinor,
        }),
      );
    await write('u1', 'USD', '123456');
    await write('u2', 'USD', '44');
    await write('j1', 'JPY', '5000');
    await write('j2', 'JPY', '7');
    await write('b1', 'BHD', '1234');
    await write('n1', 'USD', '-500');

    // Act
    const rows = rowsOf(runLocalPanel(cell.db, panel('exec-value-by-stage'), WINDOW));

    // Assess
    expect(rows).toEqual([
      { stage: 'posting', currency: 'BHD', value: '1.234', amountMinor: '1234' },
      { stage: 'posting', currency: 'JPY', value: '5007', amountMinor: '5007' },
      { stage: 'posting', currency: 'USD', value: '1230.00', amountMinor: '123000' },
    ]);
  });

  it('sums beyond the 64-bit range exactly', async () => {
    // Prepare: each amount fits a BIGINT, their sum does not (SQLite's own SUM would overflow).
    const big = '9000000000000000000';
    await cell.write(
      recordOf({
        eventId: 'x1',
        invoiceId: 'INV-1',
        stage: 'posting',
        timeMs: DAY0,
        currency: 'EUR',
        amountMinor: big,
      }),
    );
    await cell.write(
      recordOf({
        eventId: 'x2',
        invoiceId: 'INV-2',
        stage: 'posting',
        timeMs: DAY0,
        currency: 'EUR',
        amountMinor: big,
      }),
    );

    // Act
    const rows = rowsOf(runLocalPanel(cell.db, panel('exec-value-by-stage'), WINDOW));

    // Assess
    expect(rows).toEqual([
      {
        stage: 'posting',
        currency: 'EUR',
        value: '180000000000000000.00',
        amountMinor: '18000000000000000000',
      },
    ]);
  });

  it("counts each invoice's latest amount once when the panel asks for distinct invoices", async () => {
    // Prepare: INV-1 is received at 100.00 then captured at 120.00, both at ingestion.
    await cell.write(
      recordOf({
        eventId: 'a',
        invoiceId: 'INV-1',
        stage: 'ingestion',
        timeMs: DAY0 + HOUR,
        amountMinor: '10000',
        status: 'RECEIVED',
      }),
    );
    await cell.write(
      recordOf({
        eventId: 'b',
        invoiceId: 'INV-1',
        stage: 'ingestion',
        timeMs: DAY0 + 2 * HOUR,
        amountMinor: '12000',
        status: 'CAPTURED',
      }),
    );
    await cell.write(
      recordOf({
        eventId: 'c',
        invoiceId: 'INV-2',
        stage: 'ingestion',
        timeMs: DAY0 + HOUR,
        amountMinor: '500',
      }),
    );

    // Act
    const rows = rowsOf(runLocalPanel(cell.db, panel('fin-amount-by-currency'), WINDOW));

    // Assess
    expect(rows).toEqual([{ currency: 'USD', value: '125.00', amountMinor: '12500' }]);
  });

  it('computes latency percentiles by nearest rank on a known distribution', async () => {
    // Prepare: 20 records stored 100, 200, ..., 2000 ms after acceptance, written out of order.
    const latencies = Array.from({ length: 20 }, (_, i) => (i + 1) * 100);
    const order = [7, 19, 0, 13, 4, 16, 10, 2, 18, 5, 11, 1, 15, 8, 3, 17, 12, 6, 14, 9];
    for (const i of order) {
      const receivedAtMs = DAY0 + HOUR + i * 1000;
      await cell.write(
        recordOf({
          eventId: `l${i}`,
          invoiceId: `INV-${i}`,
          stage: 'posting',
          timeMs: receivedAtMs - 5 * HOUR,
          receivedAtMs,
        }),
        receivedAtMs + (latencies[i] as number),
      );
    }

    // Act
    const p = (id: string) => rowsOf(runLocalPanel(cell.db, panel(id), WINDOW));

    // Assess: ⌈0.5·20⌉ = 10th, ⌈0.95·20⌉ = 19th, ⌈0.99·20⌉ = 20th value; binned by stored time.
    const bin = DAY0 + HOUR;
    expect(p('ops-latency-p50')).toEqual([{ binStartMs: bin, stage: 'posting', value: 1000 }]);
    expect(p('ops-latency-p95')).toEqual([{ binStartMs: bin, stage: 'posting', value: 1900 }]);
    expect(p('ops-latency-p99')).toEqual([{ binStartMs: bin, stage: 'posting', value: 2000 }]);
  });

  it('projects cash flow by the Monday of the due week', async () => {
    // Prepare
    const due = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
    const write = (eventId: string, dueDateMs: number, amountMinor: string, currency = 'USD') =>
      cell.write(
        recordOf({
          eventId,
          invoiceId: `INV-${eventId}`,
          stage: 'ingestion',
          timeMs: DAY0 + HOUR,
          dueDateMs,
          amountMinor,
          currency,
        }),
      );
    await write('w1', due('2026-12-06'), '1000'); // Sunday → week of Monday 2026-11-30
    await write('w2', due('2026-11-30'), '2000'); // Monday → same week
    await write('w3', due('2026-12-07'), '300'); // next Monday
    await write('w4', due('2026-12-01'), '5', 'JPY');
    await cell.write(
      recordOf({ eventId: 'w5', invoiceId: 'INV-w5', stage: 'ingestion', timeMs: DAY0 + HOUR }),
    );

    // Act
    const rows = rowsOf(runLocalPanel(cell.db, panel('fin-cash-flow-by-week'), WINDOW));

    // Assess
    expect(rows).toEqual([
      { binStartMs: due('2026-11-30'), currency: 'JPY', value: '5', amountMinor: '5' },
      { binStartMs: due('2026-11-30'), currency: 'USD', value: '30.00', amountMinor: '3000' },
      { binStartMs: due('2026-12-07'), currency: 'USD', value: '3.00', amountMinor: '300' },
    ]);
  });

  it('answers no rows when asked for another cell than the one the database holds', async () => {
    // Prepare: a store holds one cell's records, so its rollups do.
    await cell.write(recordOf({ eventId: 'c1', invoiceId: 'INV-1', stage: 'ingestion', timeMs: DAY0 }));
    const read = (asked: string) =>
      rowsOf(
        runLocalPanel(cell.db, panel('exec-invoices-by-stage'), {
          ...WINDOW,
          cellName: 'local',
          cell: asked,
        }),
      );

    // Act
    const other = read('us-west-2');
    const own = read('local');

    // Assess
    expect(other).toEqual([]);
    expect(own).toEqual([{ stage: 'ingestion', value: 1 }]);
  });

  it('judges SLA attainment: met, missed, pending and ended invoices', async () => {
    // Prepare: ingestion SLA 15 min, reconciliation 1 h.
    const min = 60_000;
    const t0 = DAY0 + HOUR;
    const write = (
      eventId: string,
      invoiceId: string,
      stage: 'ingestion' | 'reconciliation',
      timeMs: number,
      status?: string,
    ) => cell.write(recordOf({ eventId, invoiceId, stage, timeMs, ...(status ? { status } : {}) }));
    await write('m1', 'MET', 'ingestion', t0);
    await write('m2', 'MET', 'reconciliation', t0 + 10 * min);
    await write('l1', 'LATE', 'ingestion', t0);
    await write('l2', 'LATE', 'reconciliation', t0 + 20 * min);
    await write('o1', 'OVERDUE', 'ingestion', t0);
    await write('r1', 'REJECTED', 'ingestion', t0, 'REJECTED');
    await write('p1', 'PENDING', 'ingestion', t0 + 50 * min);
    const nowMs = t0 + 60 * min;

    // Act
    const result = runLocalPanel(cell.db, panel('exec-sla-attainment'), { ...WINDOW, nowMs });

    // Assess
    expect(result).toEqual({
      source: 'sla',
      rows: [
        { stage: 'ingestion', met: 1, missed: 2, pending: 1, ended: 1, value: (100 * 1) / 3 },
        // MET and LATE are in reconciliation since 10 and 20 min: within the 1 h SLA.
        { stage: 'reconciliation', met: 0, missed: 0, pending: 2, ended: 0, value: null },
        { stage: 'authorization', met: 0, missed: 0, pending: 0, ended: 0, value: null },
      ],
      // Day edges are minute bins already: the window read is the one asked.
      effectiveFromMs: WINDOW.fromMs,
      effectiveToMs: WINDOW.toMs,
    });
  });

  it('lists stuck invoices with their age', async () => {
    // Prepare
    await cell.write(recordOf({ eventId: 's1', invoiceId: 'INV-STUCK', stage: 'ingestion', timeMs: DAY0 }));

    // Act
    const result = runLocalPanel(cell.db, panel('ops-stuck-invoices'), { ...WINDOW, nowMs: DAY0 + HOUR });

    // Assess
    expect(result).toMatchObject({
      source: 'stuck',
      invoices: [{ invoiceId: 'INV-STUCK', stage: 'ingestion', ageSec: 3600, overdueSec: 2700 }],
    });
  });

  it('refuses queue panels, which read the running cell', () => {
    // Act
    const act = () => runLocalPanel(cell.db, panel('ops-queue-depth'), WINDOW);

    // Assess
    expect(act).toThrow(LocalPanelSourceError);
  });
});
