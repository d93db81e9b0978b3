import { describe, expect, it } from 'vitest';
import {
  queueEmptyReason,
  recordsEmptyReason,
  slaEmptyReason,
  stageFilterReason,
  windowLength,
  windowPhrase,
} from '../../../../cells/local/monitoring/empty-reason.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../../cells/topology.js';
import type { RecordsQuery } from '../../../../dashboards/panels/panels.js';

const NOW = Date.parse('2026-11-20T09:15:00Z');
const HOUR = 3_600_000;
const stages = CELL_TOPOLOGY.stages;
const first = stages[0] as StageTopology;
const last = stages[stages.length - 1] as StageTopology;
const lastDay = { fromMs: NOW - 24 * HOUR, toMs: NOW, nowMs: NOW, cell: undefined };

describe('windowLength', () => {
  it('says a window length as people do', () => {
    // Act / Assess
    expect([15 * 60_000, HOUR, 24 * HOUR, 7 * 24 * HOUR, 90 * 60_000].map(windowLength)).toEqual([
      '15 min',
      '1 h',
      '24 h',
      '7 d',
      '90 min',
    ]);
  });
});

describe('windowPhrase', () => {
  it('says "in the last" for a window ending now, else names its bounds in UTC', () => {
    // Act / Assess
    expect(windowPhrase(lastDay)).toBe('in the last 24 h');
    expect(windowPhrase({ ...lastDay, toMs: NOW - HOUR, fromMs: NOW - 2 * HOUR })).toBe(
      'between 2026-11-20 07:15 and 2026-11-20 08:15 UTC',
    );
  });
});

describe('recordsEmptyReason', () => {
  const amounts: RecordsQuery = {
    source: 'records',
    measure: 'amount',
    aggregation: 'sum',
    groupBy: ['currency'],
    filters: { stage: last.name },
    distinctInvoices: true,
  };

  it('says which invoices did not reach the stage, and when', () => {
    // Act / Assess
    expect(recordsEmptyReason(amounts, lastDay, CELL_TOPOLOGY)).toBe(
      `No invoices reached ${last.title} in the last 24 h.`,
    );
  });

  it('names the status and cell filters', () => {
    // Prepare
    const events: RecordsQuery = {
      source: 'records',
      measure: 'events',
      aggregation: 'count',
      groupBy: [],
      filters: { status: 'PAID' },
    };

    // Act / Assess
    expect(recordsEmptyReason(events, { ...lastDay, cell: 'us-east-1' }, CELL_TOPOLOGY)).toBe(
      'No events with status PAID in cell us-east-1 in the last 24 h.',
    );
  });
});

describe('stageFilterReason', () => {
  it("names the panel's stage and the filter's", () => {
    // Act / Assess
    expect(stageFilterReason(first.name, last.name, CELL_TOPOLOGY)).toBe(
      `This panel reads ${first.title} only; the stage filter is ${last.title}.`,
    );
  });
});

describe('slaEmptyReason', () => {
  it('has no reason when a stage was judged', () => {
    // Act / Assess
    expect(
      slaEmptyReason(
        [{ stage: first.name, met: 1, missed: 0, pending: 0, ended: 0, value: 100 }],
        undefined,
        lastDay,
        CELL_TOPOLOGY,
      ),
    ).toBeUndefined();
  });

  it('says invoices are still within their SLA, or that a stage has none', () => {
    // Act
    const pending = slaEmptyReason(
      [{ stage: first.name, met: 0, missed: 0, pending: 3, ended: 0, value: null }],
      undefined,
      lastDay,
      CELL_TOPOLOGY,
    );
    const noSla = slaEmptyReason([], last.name, lastDay, CELL_TOPOLOGY);

    // Assess
    expect(pending).toBe('No invoice judged yet in the last 24 h: 3 still within their stage SLA.');
    expect(noSla).toBe(`${last.title} has no SLA: attainment is judged at the stages before it.`);
  });
});

describe('queueEmptyReason', () => {
  it('points to /metrics for the API-wide 5xx count', () => {
    // Act / Assess
    expect(queueEmptyReason('apiErrors')).toContain('/metrics');
  });
});
