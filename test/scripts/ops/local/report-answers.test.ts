import { describe, expect, it } from 'vitest';
import { ALARM_RULES, deriveCellUnhealthy } from '../../../../cells/alarm-rules.js';
import { alarmsAnswer } from '../../../../cells/local/monitoring/alarms-answer.js';
import {
  dlqMessageAnswer,
  oldestMessageAnswer,
  stuckInvoiceAnswer,
} from '../../../../cells/local/monitoring/stuck-answer.js';
import { buildTopology, CELL_TOPOLOGY, STAGE_SETTINGS } from '../../../../cells/topology.js';
import { evaluateAlarms } from '../../../../consumers/monitoring/alarm-evaluator.js';
import { reconcile, type StageEventIds } from '../../../../consumers/monitoring/reconcile.js';
import { findStuckInvoices, findStuckMessages } from '../../../../consumers/monitoring/stuck.js';
import type { AlarmTransitionAnswer, ReconcileAnswer, StuckAnswer } from '../../../../schemas/api/index.js';
import { AnswerContractError } from '../../../../scripts/ops/local/contract-answer.js';
import {
  parseAlarmReport,
  parseReconcileReport,
  parseStuckReport,
} from '../../../../scripts/ops/local/report-answers.js';

/**
 * The local cell's monitoring answers as the CLI reads them. The bodies are what the cell's routes
 * answer (the HTTP contract, `schemas/api`), built with the real monitoring functions
 * (consumers/monitoring) and the cell's own answer builders, serialised as JSON, then parsed. An
 * answer that does not match the contract fails, naming the field.
 */

const NOW = Date.parse('2026-11-22T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** The `/stuck` answer of an invoice 5 h at `authorization` and 2 dead-lettered `posting` messages. */
function stuckAnswer(): StuckAnswer {
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
  const issues = findStuckMessages({ posting: { dlqDepth: 2, oldestMessageAgeSec: 600 } }, CELL_TOPOLOGY);
  const dlqRow = (i: number) => ({
    message_id: `M-${i}`,
    group_id: `INV-DLQ-${i}`,
    dedup_id: `E-${i}`,
    sent_at_ms: NOW - 60_000,
    receive_count: 5,
    dead_lettered_at_ms: NOW - 30_000,
  });
  // The cell lists a non-empty DLQ message by message and a too-old queue as one item.
  const messages = issues.flatMap((issue) =>
    issue.kind === 'dlq-not-empty'
      ? Array.from({ length: issue.value }, (_, i) => dlqMessageAnswer(issue.stage, dlqRow(i + 1), NOW))
      : [oldestMessageAnswer(issue)],
  );
  return { generatedAt: iso(NOW), invoices: stuck.map(stuckInvoiceAnswer), messages, notes: [] };
}

describe('parseStuckReport', () => {
  it('reads the stuck invoices and the stuck messages of the answer', () => {
    // Act
    const report = parseStuckReport(json(stuckAnswer()), CELL_TOPOLOGY);

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
    // The 2 messages of the posting DLQ are listed one by one.
    expect(report.technical).toEqual([
      expect.objectContaining({
        stage: 'posting',
        kind: 'dlq',
        count: 1,
        invoiceId: 'INV-DLQ-1',
        eventId: 'E-1',
      }),
      expect.objectContaining({
        stage: 'posting',
        kind: 'dlq',
        count: 1,
        invoiceId: 'INV-DLQ-2',
        eventId: 'E-2',
      }),
      expect.objectContaining({ stage: 'posting', kind: 'queue-age', ageSec: 600 }),
    ]);
    const dlqCount = report.technical.filter((t) => t.kind === 'dlq').reduce((n, t) => n + t.count, 0);
    expect(dlqCount).toBe(2);
  });

  it('skips entries of stages the topology does not know', () => {
    // Prepare: a CLI whose topology ends at reconciliation reads a cell with all four stages.
    const topology = buildTopology({}, STAGE_SETTINGS.slice(0, 2));

    // Act
    const report = parseStuckReport(json(stuckAnswer()), topology);

    // Assess
    expect(report.business).toEqual([]);
    expect(report.technical).toEqual([]);
  });

  it('fails naming the field when the answer misses a required field', () => {
    // Prepare
    const answer = stuckAnswer();
    const { lastStatus: _dropped, ...invoice } = answer.invoices[0] as StuckAnswer['invoices'][number];
    const body = json({ ...answer, invoices: [invoice] });

    // Act
    const parse = () => parseStuckReport(body, CELL_TOPOLOGY);

    // Assess
    expect(parse).toThrow(AnswerContractError);
    expect(parse).toThrow(/GET \/stuck \(200\).*\/invoices\/0\/lastStatus is missing/);
  });

  it('reads no other spelling of a field than the contract names', () => {
    // Prepare
    const { invoices, messages, ...rest } = stuckAnswer();

    // Act
    const parse = () =>
      parseStuckReport(json({ ...rest, business: invoices, technical: messages }), CELL_TOPOLOGY);

    // Assess
    expect(parse).toThrow(/\/invoices is missing; \/messages is missing/);
  });
});

/** What GET /reconcile answers for these id sets: the report with its bins, notes and RFC 3339 window. */
function reconcileAnswerOf(
  window: { fromMs: number; toMs: number },
  inputs: StageEventIds[],
  notes: string[] = [],
): ReconcileAnswer {
  const report = reconcile(window, inputs);
  return {
    ...report,
    stages: report.stages.map((s) => ({ ...s, unnamed: 0 })),
    binMs: 60_000,
    binsChecked: inputs.length,
    unbalancedBins: report.stages.filter((s) => !s.balanced).length,
    listedBins: report.stages.filter((s) => !s.balanced).length,
    unlistedBins: 0,
    notes,
    from: iso(window.fromMs),
    to: iso(window.toMs),
  };
}

describe('parseReconcileReport', () => {
  it('reads the reconcile() report and names the missing events', () => {
    // Prepare: what GET /reconcile answers, the report with its window as RFC 3339.
    const window = { fromMs: NOW - 3_600_000, toMs: NOW };
    const body = reconcileAnswerOf(
      window,
      [
        { stage: 'ingestion', accepted: ['a', 'b', 'c'], stored: ['a', 'b'], inDlq: [], inFlight: [] },
        { stage: 'posting', accepted: ['d'], stored: ['d'], inDlq: [], inFlight: ['d'] },
      ],
      ['2 bin(s) that do not balance are older than the archive retention'],
    );

    // Act
    const report = parseReconcileReport(json(body));

    // Assess
    expect(report.balanced).toBe(false);
    expect(report.from).toBe(new Date(NOW - 3_600_000).toISOString());
    expect(report.notes).toEqual(['2 bin(s) that do not balance are older than the archive retention']);
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

  it('fails naming the field when a stage lists its missing events as a count', () => {
    // Prepare
    const report = reconcileAnswerOf({ fromMs: 0, toMs: 1 }, [
      { stage: 'ingestion', accepted: ['a'], stored: [], inDlq: [], inFlight: [] },
    ]);
    const stages = report.stages.map((s) => ({ ...s, missing: s.missing.length }));
    const body = json({ ...report, stages });

    // Act, Assess
    expect(() => parseReconcileReport(body)).toThrow(/\/stages\/0\/missing must be array/);
  });
});

describe('parseAlarmReport', () => {
  it('reads rule states and the evaluator transitions, dropping transitions older than the history', () => {
    // Prepare
    const rule = ALARM_RULES.find((r) => r.id === 'posting-dlq-not-empty');
    const { states, transitions } = evaluateAlarms(ALARM_RULES, { 'dlqDepth:posting': 1 }, new Map(), NOW);
    const answer = alarmsAnswer({
      rules: ALARM_RULES,
      composite: deriveCellUnhealthy(ALARM_RULES),
      states,
      pending: transitions,
      stored: [],
      sinceMs: 0,
      nowMs: NOW,
    });
    const first = answer.transitions[0] as AlarmTransitionAnswer;
    const old = { ...first, atMs: NOW - 10 * 86_400_000, at: iso(NOW - 10 * 86_400_000) };

    // Act
    const report = parseAlarmReport(
      json({ ...answer, transitions: [...answer.transitions, old] }),
      NOW - 86_400_000,
    );

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
