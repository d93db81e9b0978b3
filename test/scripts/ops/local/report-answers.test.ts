import { describe, expect, it } from 'vitest';
import { ALARM_RULES } from '../../../../cells/alarm-rules.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import { evaluateAlarms } from '../../../../consumers/monitoring/alarm-evaluator.js';
import { reconcile } from '../../../../consumers/monitoring/reconcile.js';
import { findStuckInvoices, findStuckMessages } from '../../../../consumers/monitoring/stuck.js';
import {
  parseAlarmReport,
  parseReconcileReport,
  parseStuckReport,
} from '../../../../scripts/ops/local/report-answers.js';

/**
 * The local cell's monitoring answers as the CLI reads them. The bodies are built with the real
 * monitoring functions (consumers/monitoring), serialized as the HTTP API would, then parsed:
 * whatever field names the cell's routes settle on, these shapes are what the functions produce.
 */

const NOW = Date.parse('2026-11-22T12:00:00Z');
const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;

describe('parseStuckReport', () => {
  it('reads findStuckInvoices and findStuckMessages output', () => {
    // Prepare
    const stuck = findStuckInvoices(
      [
        {
          invoiceId: 'INV-1',
          stage: 'authorization',
          status: 'ESCALATED',
          timeMs: NOW - 5 * 3_600_000,
          vendorId: 'V-1',
        },
      ],
      CELL_TOPOLOGY,
      NOW,
    );
    const messages = findStuckMessages({ posting: { dlqDepth: 2, oldestMessageAgeSec: 600 } }, CELL_TOPOLOGY);

    // Act
    const report = parseStuckReport(
      json({ stuckInvoices: stuck, stuckMessages: messages }),
      CELL_TOPOLOGY,
      NOW,
    );

    // Assess
    expect(report.business).toEqual([
      {
        invoiceId: 'INV-1',
        stage: 'authorization',
        nextStage: 'posting',
        status: 'ESCALATED',
        enteredAt: new Date(NOW - 5 * 3_600_000).toISOString(),
        ageSec: 5 * 3600,
        slaSec: 4 * 3600,
        overdueSec: 3600,
        vendorId: 'V-1',
      },
    ]);
    expect(report.technical).toEqual([
      expect.objectContaining({ stage: 'posting', kind: 'dlq', count: 2 }),
      expect.objectContaining({ stage: 'posting', kind: 'queue-age', ageSec: 600 }),
    ]);
  });

  it('skips entries of stages the topology does not know', () => {
    // Act
    const report = parseStuckReport(
      json({
        business: [{ invoiceId: 'INV-X', stage: 'shipping', ageSec: 1 }],
        technical: [{ stage: 'posting', kind: 'weird' }],
      }),
      CELL_TOPOLOGY,
      NOW,
    );

    // Assess
    expect(report.business).toEqual([]);
    expect(report.technical).toEqual([]);
  });
});

describe('parseReconcileReport', () => {
  it('reads the reconcile() report and names the missing events', () => {
    // Prepare
    const body = reconcile({ fromMs: NOW - 3_600_000, toMs: NOW }, [
      { stage: 'ingestion', accepted: ['a', 'b', 'c'], stored: ['a', 'b'], inDlq: [], inFlight: [] },
      { stage: 'posting', accepted: ['d'], stored: ['d'], inDlq: [], inFlight: ['d'] },
    ]);

    // Act
    const report = parseReconcileReport(json(body), { fromMs: NOW - 3_600_000, toMs: NOW });

    // Assess
    expect(report.balanced).toBe(false);
    expect(report.from).toBe(new Date(NOW - 3_600_000).toISOString());
    expect(report.stages).toEqual([
      expect.objectContaining({
        stage: 'ingestion',
        accepted: 3,
        accounted: 2,
        gap: 1,
        missing: ['c'],
        balanced: false,
      }),
      expect.objectContaining({ stage: 'posting', accepted: 1, gap: 0, missing: [], balanced: true }),
    ]);
  });
});

describe('parseAlarmReport', () => {
  it('reads rule states and the evaluator transitions, dropping transitions older than the history', () => {
    // Prepare
    const rule = ALARM_RULES.find((r) => r.id === 'posting-dlq-not-empty');
    const { states, transitions } = evaluateAlarms(ALARM_RULES, { 'dlqDepth:posting': 1 }, new Map(), NOW);
    const alarms = [...states].map(([id, state]) => ({
      id,
      title: ALARM_RULES.find((r) => r.id === id)?.title,
      state,
    }));
    const old = { ...transitions[0], atMs: NOW - 10 * 86_400_000 };

    // Act
    const report = parseAlarmReport(json({ alarms, transitions: [...transitions, old] }), NOW - 86_400_000);

    // Assess
    expect(report.alarms.find((a) => a.name === 'posting-dlq-not-empty')).toMatchObject({
      state: 'ALARM',
      title: rule?.title,
      since: new Date(NOW).toISOString(),
    });
    expect(report.transitions.map((t) => [t.name, t.to])).toContainEqual(['posting-dlq-not-empty', 'ALARM']);
    expect(report.transitions.every((t) => Date.parse(t.at) >= NOW - 86_400_000)).toBe(true);
  });
});
