import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type LocalPanelResult,
  RecordsPanelError,
  runLocalPanel,
} from '../../../../cells/local/monitoring/panel-runner.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import {
  DASHBOARDS,
  findPanel,
  type Panel,
  type RecordsQuery,
} from '../../../../dashboards/panels/panels.js';
import { openTestCellDb, recordOf, type TestCellDb } from '../../../dashboards/support/cell-db.js';

/** Monday 2026-11-16 00:00 UTC. */
const DAY0 = Date.parse('2026-11-16T00:00:00Z');
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function panel(id: string): Panel {
  const found = findPanel(DASHBOARDS, id);
  if (!found) throw new Error(`no panel ${id}`);
  return found;
}

function withStage(p: Panel, stage: 'ingestion' | 'posting'): Panel {
  const query = p.query as RecordsQuery;
  return { ...p, query: { ...query, filters: { ...query.filters, stage } } };
}

function records(result: LocalPanelResult) {
  if (result.source !== 'records') throw new Error(`expected records, got ${result.source}`);
  return result;
}

const window = (fromMs: number, toMs: number) => ({ fromMs, toMs, topology: CELL_TOPOLOGY });

describe('runLocalPanel: records panels from rollups', () => {
  let cell: TestCellDb;

  beforeEach(() => {
    cell = openTestCellDb();
  });

  afterEach(() => {
    cell.close();
  });

  it('serves a stage filter on a panel grouped by stage from its rollup, keeping that stage only', async () => {
    // Prepare
    await cell.write(
      recordOf({ eventId: 'e1', invoiceId: 'INV-1', stage: 'ingestion', timeMs: DAY0 + HOUR }),
    );
    await cell.write(
      recordOf({ eventId: 'e2', invoiceId: 'INV-1', stage: 'posting', timeMs: DAY0 + 2 * HOUR }),
    );

    // Act
    const rows = records(
      runLocalPanel(cell.db, withStage(panel('exec-invoices-by-stage'), 'posting'), window(DAY0, DAY0 + DAY)),
    ).rows;

    // Assess
    expect(rows).toEqual([{ stage: 'posting', value: 1 }]);
  });

  it('refuses a stage filter on a panel that counts each invoice once over all stages, naming it', () => {
    // Act
    const act = () =>
      runLocalPanel(
        cell.db,
        withStage(panel('fin-cash-flow-by-week'), 'ingestion'),
        window(DAY0, DAY0 + DAY),
      );

    // Assess
    expect(act).toThrow(RecordsPanelError);
    expect(act).toThrow('panel fin-cash-flow-by-week: cannot be filtered to stage ingestion');
  });

  it('refuses a query no dashboard panel declares, naming the panel', () => {
    // Prepare
    const adHoc: Panel = {
      id: 'ad-hoc',
      title: 'Ad hoc',
      unit: 'money',
      chart: 'table',
      query: { source: 'records', measure: 'amount', aggregation: 'sum', groupBy: ['currency'] },
    };

    // Act
    const act = () => runLocalPanel(cell.db, adHoc, window(DAY0, DAY0 + DAY));

    // Assess
    expect(act).toThrow('panel ad-hoc: no rollup serves this query');
  });

  it("counts an invoice in the window of its latest event only, not in an earlier event's window", async () => {
    // Prepare: INV-1 was received on day 0 and again (a correction) on day 1.
    await cell.write(recordOf({ eventId: 'a', invoiceId: 'INV-1', stage: 'ingestion', timeMs: DAY0 + HOUR }));
    await cell.write(
      recordOf({ eventId: 'b', invoiceId: 'INV-1', stage: 'ingestion', timeMs: DAY0 + DAY + HOUR }),
    );
    const read = (fromMs: number) =>
      records(runLocalPanel(cell.db, panel('exec-invoices-by-stage'), window(fromMs, fromMs + DAY))).rows;

    // Act
    const day0 = read(DAY0);
    const day1 = read(DAY0 + DAY);

    // Assess
    expect(day0).toEqual([]);
    expect(day1).toEqual([{ stage: 'ingestion', value: 1 }]);
  });

  it('says which window the rows cover: minute edges for counters, 5 minutes for latency histograms', () => {
    // Prepare
    const fromMs = DAY0 + 7 * MIN + 30_000;
    const toMs = DAY0 + 3 * HOUR + 31 * MIN + 1;

    // Act
    const counters = records(runLocalPanel(cell.db, panel('exec-events-trend'), window(fromMs, toMs)));
    const latency = records(runLocalPanel(cell.db, panel('ops-latency-p95'), window(fromMs, toMs)));

    // Assess
    expect([counters.effectiveFromMs, counters.effectiveToMs]).toEqual([
      DAY0 + 7 * MIN,
      DAY0 + 3 * HOUR + 32 * MIN,
    ]);
    expect([latency.effectiveFromMs, latency.effectiveToMs]).toEqual([
      DAY0 + 5 * MIN,
      DAY0 + 3 * HOUR + 35 * MIN,
    ]);
  });

  it('never draws a latency panel finer than its 5-minute histograms', async () => {
    // Prepare
    const receivedAtMs = DAY0 + 2 * MIN;
    await cell.write(
      recordOf({ eventId: 'l1', invoiceId: 'INV-1', stage: 'posting', timeMs: DAY0, receivedAtMs }),
      receivedAtMs + 1_234,
    );

    // Act: 15 minutes would be drawn in 1-minute bins by range alone.
    const result = records(runLocalPanel(cell.db, panel('ops-latency-p50'), window(DAY0, DAY0 + 15 * MIN)));

    // Assess: the value is the lower bound of the bucket [1200, 1300) holding 1234 ms.
    expect([result.timeBin, result.binMs, result.declaredTimeBin]).toEqual(['5m', 5 * MIN, undefined]);
    expect(result.rows).toEqual([{ binStartMs: DAY0, stage: 'posting', value: 1200 }]);
  });

  it('answers an empty stat panel with one row without a value, as its SQL does', () => {
    // Act
    const average = records(
      runLocalPanel(cell.db, panel('fin-average-payment-terms'), window(DAY0, DAY0 + DAY)),
    );

    // Assess
    expect(average.rows).toEqual([{ value: null }]);
  });

  it('computes the latency percentiles of one window once for the p50, p95 and p99 panels of a request, with the same answers', async () => {
    // Prepare: latencies of 0.1 s to 20 s stored within one hour.
    for (let i = 0; i < 40; i++) {
      const receivedAtMs = DAY0 + i * MIN;
      await cell.write(
        recordOf({
          eventId: `e${i}`,
          invoiceId: `INV-${i}`,
          stage: 'ingestion',
          timeMs: receivedAtMs,
          receivedAtMs,
        }),
        receivedAtMs + 100 + i * 500,
      );
    }
    const latency = ['ops-latency-p50', 'ops-latency-p95', 'ops-latency-p99'].map(panel);
    const params = window(DAY0, DAY0 + DAY);
    const percentileCache = new Map();

    // Act
    const uncached = latency.map((p) => records(runLocalPanel(cell.db, p, params)).rows);
    const cached = latency.map(
      (p) => records(runLocalPanel(cell.db, p, { ...params, percentileCache })).rows,
    );

    // Assess
    expect(cached).toEqual(uncached);
    expect(uncached[0]?.length).toBeGreaterThan(0);
    expect(percentileCache.size).toBe(1);
    const [p50, p95, p99] = uncached.map((rows) => rows.map((r) => r.value as number));
    expect(
      p50?.every((v, i) => v <= (p95?.[i] ?? Number.NaN) && (p95?.[i] ?? 0) <= (p99?.[i] ?? Number.NaN)),
    ).toBe(true);
    expect(p99?.some((v, i) => v > (p50?.[i] ?? v))).toBe(true);
  });
});
