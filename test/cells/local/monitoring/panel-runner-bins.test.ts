import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalPanelResult, runLocalPanel } from '../../../../cells/local/monitoring/panel-runner.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { DASHBOARDS, findPanel, type Panel } from '../../../../dashboards/panels/panels.js';
import { openTestCellDb, recordOf, type TestCellDb } from '../../../dashboards/support/cell-db.js';

/** Monday 2026-11-16 00:00 UTC. */
const DAY0 = Date.parse('2026-11-16T00:00:00Z');
const MIN = 60_000;
const HOUR = 3_600_000;

function panel(id: string): Panel {
  const found = findPanel(DASHBOARDS, id);
  if (!found) throw new Error(`no panel ${id}`);
  return found;
}

function records(result: LocalPanelResult) {
  if (result.source !== 'records') throw new Error(`expected records, got ${result.source}`);
  return result;
}

describe('runLocalPanel: time bins by range and vendor names', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  it('draws an hourly panel over one hour in 5-minute bins and says so', async () => {
    // Prepare
    await cell.write(
      recordOf({ eventId: 'e1', invoiceId: 'INV-1', stage: 'ingestion', timeMs: DAY0 + 7 * MIN }),
    );
    await cell.write(
      recordOf({ eventId: 'e2', invoiceId: 'INV-2', stage: 'ingestion', timeMs: DAY0 + 52 * MIN }),
    );
    const window = { fromMs: DAY0, toMs: DAY0 + HOUR, topology: CELL_TOPOLOGY };

    // Act
    const result = records(runLocalPanel(cell.db, panel('exec-events-trend'), window));

    // Assess
    expect(result.timeBin).toBe('5m');
    expect(result.binMs).toBe(5 * MIN);
    expect(result.declaredTimeBin).toBe('1h');
    expect(result.rows).toEqual([
      { binStartMs: DAY0 + 5 * MIN, stage: 'ingestion', value: 1 },
      { binStartMs: DAY0 + 50 * MIN, stage: 'ingestion', value: 1 },
    ]);
  });

  it('keeps the declared bin when it suits the window', () => {
    // Act
    const result = records(
      runLocalPanel(cell.db, panel('exec-events-trend'), {
        fromMs: DAY0,
        toMs: DAY0 + 24 * HOUR,
        topology: CELL_TOPOLOGY,
      }),
    );

    // Assess
    expect(result.timeBin).toBe('1h');
    expect(result.declaredTimeBin).toBeUndefined();
  });

  it('draws a per-minute panel over a week in hourly bins', () => {
    // Act
    const result = records(
      runLocalPanel(cell.db, panel('ops-throughput'), {
        fromMs: DAY0,
        toMs: DAY0 + 7 * 24 * HOUR,
        topology: CELL_TOPOLOGY,
      }),
    );

    // Assess
    expect([result.timeBin, result.declaredTimeBin]).toEqual(['1h', '1m']);
  });

  it('keeps the weekly due-date bin of the cash-flow projection for any window', () => {
    // Act
    const result = records(
      runLocalPanel(cell.db, panel('fin-cash-flow-by-week'), {
        fromMs: DAY0,
        toMs: DAY0 + HOUR,
        topology: CELL_TOPOLOGY,
      }),
    );

    // Assess
    expect(result.timeBin).toBe('1w');
    expect(result.declaredTimeBin).toBeUndefined();
  });

  it("names each row's vendor beside its id", async () => {
    // Prepare
    const at = DAY0 + HOUR;
    await cell.write(
      recordOf({ eventId: 'e1', invoiceId: 'INV-1', stage: 'ingestion', timeMs: at, vendorId: 'V-7' }),
    );

    // Act
    const result = records(
      runLocalPanel(cell.db, panel('fin-amount-by-vendor'), {
        fromMs: DAY0,
        toMs: DAY0 + 24 * HOUR,
        topology: CELL_TOPOLOGY,
      }),
    );

    // Assess
    expect(result.rows).toEqual([
      { vendorId: 'V-7', vendorName: 'Vendor V-7', currency: 'USD', value: '10.00', amountMinor: '1000' },
    ]);
  });
});
