import { afterAll, describe, expect, it } from 'vitest';
import { STAGE_NAMES } from '../../../cells/topology.js';
import {
  DASHBOARD_IDS,
  PANEL_CHARTS,
  PANEL_UNITS,
  type PanelQuery,
  TIME_BINS,
} from '../../../dashboards/panels/panels.js';
import {
  API_DASHBOARD_IDS,
  API_PANEL_CHARTS,
  API_PANEL_SOURCES,
  API_PANEL_UNITS,
  API_TIME_BINS,
  type DashboardDataAnswer,
  type PanelData,
  StageNameSchema,
} from '../../../schemas/api/index.js';
import { closeSerializer, expectAnswer } from './helpers/answer-check.js';

/**
 * The dashboard answers: the value lists they share with the panel definitions and the topology,
 * and panel data of every kind (including a failed panel, which a live cell rarely gives) through
 * fastify's serializer, whose `anyOf` picks the first branch that validates.
 */

const AT = '2026-11-20T09:15:00.000Z';

afterAll(closeSerializer);

describe('value lists', () => {
  it('match the topology and the panel definitions', () => {
    const sources: Record<PanelQuery['source'], true> = {
      records: true,
      queue: true,
      sla: true,
      stuck: true,
      alarms: true,
      reconcile: true,
    };

    expect(StageNameSchema.anyOf.map((s) => s.const)).toEqual(STAGE_NAMES);
    expect(API_PANEL_UNITS).toEqual(PANEL_UNITS);
    expect(API_PANEL_CHARTS).toEqual(PANEL_CHARTS);
    expect(API_DASHBOARD_IDS).toEqual(DASHBOARD_IDS);
    expect(API_TIME_BINS).toEqual(Object.keys(TIME_BINS));
    expect([...API_PANEL_SOURCES].sort()).toEqual(Object.keys(sources).sort());
  });
});

describe('DashboardDataAnswerSchema', () => {
  it('keeps every field of each kind of panel data through the serializer', async () => {
    const panels: Record<string, PanelData> = {
      failed: { error: 'no such column: foo' },
      stuckEmpty: { rows: [], messages: [], generatedAt: AT },
      money: { rows: [{ binStartMs: 0, currency: 'EUR', value: '1234.50', amountMinor: '123450' }] },
      terms: { rows: [{ paymentTermsDays: null, value: null }] },
      vendor: {
        rows: [
          { vendorId: 'V-1', vendorName: 'Acme GmbH', currency: 'KWD', value: '1.234', amountMinor: '1234' },
        ],
      },
      // Empty rows fit every rows branch: the bin and the reason must survive whichever is picked.
      emptyBinned: {
        rows: [],
        timeBin: '5m',
        binMs: 300_000,
        declaredTimeBin: '1h',
        emptyReason: 'No events.',
      },
      emptyRecords: {
        rows: [],
        emptyReason: 'This panel reads Ingestion only; the stage filter is Posting.',
      },
      slaEmpty: {
        rows: [{ stage: 'ingestion', met: 0, missed: 0, pending: 2, ended: 0, value: null }],
        emptyReason: 'No invoice judged yet in the last 1 h: 2 still within their stage SLA.',
      },
      queueEmpty: { rows: [{ stage: 'posting', value: null }], emptyReason: 'see /metrics' },
      sla: { rows: [{ stage: 'ingestion', met: 1, missed: 0, pending: 2, ended: 0, value: 100 }] },
      queue: { rows: [{ stage: 'posting', value: null }] },
      alarmsEmpty: { rows: [], cellUnhealthy: 'OK', cellUnhealthyAlarming: [], transitions: [] },
      reconcileEmpty: {
        fromMs: 0,
        toMs: 1,
        stages: [],
        balanced: true,
        missing: 0,
        unexpected: 0,
        binMs: 60_000,
        binsChecked: 0,
        unbalancedBins: 0,
        listedBins: 0,
        unlistedBins: 0,
        notes: [],
        from: '1970-01-01T00:00:00.000Z',
        to: '1970-01-01T00:00:00.001Z',
        rows: [],
      },
    };
    const body: DashboardDataAnswer = { view: 'operations', from: AT, to: AT, panels };

    await expectAnswer('dashboardData', { status: 200, body });
  });
});
