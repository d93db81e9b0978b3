import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import {
  countStuckByStage,
  findStuckInvoices,
  findStuckMessages,
  type LatestInvoiceState,
  stuckDeadlineMs,
} from '../../../consumers/monitoring/stuck.js';
import { readStageSchemaFile } from '../../../schemas/files.js';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const MIN = 60_000;

describe('findStuckInvoices', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const at = (minutesAgo: number) => Date.now() - minutesAgo * MIN;

  it('lists an invoice past its stage SLA with its age and how overdue it is', () => {
    // Prepare: ingestion SLA is 15 minutes.
    const latest: LatestInvoiceState[] = [
      { invoiceId: 'INV-1', stage: 'ingestion', status: 'CAPTURED', timeMs: at(20), vendorId: 'V-9' },
    ];

    // Act
    const stuck = findStuckInvoices(latest, CELL_TOPOLOGY, Date.now());

    // Assess
    expect(stuck).toEqual([
      {
        invoiceId: 'INV-1',
        stage: 'ingestion',
        nextStage: 'reconciliation',
        lastStatus: 'CAPTURED',
        enteredAtMs: NOW - 20 * MIN,
        ageSec: 1200,
        slaSec: 900,
        overdueSec: 300,
        vendorId: 'V-9',
      },
    ]);
  });

  it('does not list an invoice still within its SLA, and lists it once the SLA has passed', () => {
    // Prepare
    const latest: LatestInvoiceState[] = [
      { invoiceId: 'INV-1', stage: 'ingestion', status: 'RECEIVED', timeMs: at(15) },
    ];

    // Act
    const atSla = findStuckInvoices(latest, CELL_TOPOLOGY, Date.now());
    vi.advanceTimersByTime(1000);
    const afterSla = findStuckInvoices(latest, CELL_TOPOLOGY, Date.now());

    // Assess
    expect(atSla).toEqual([]);
    expect(afterSla.map((s) => [s.invoiceId, s.overdueSec])).toEqual([['INV-1', 1]]);
  });

  it('never lists an invoice at the last stage or one that ended with a terminal status', () => {
    // Prepare
    const latest: LatestInvoiceState[] = [
      { invoiceId: 'POSTED', stage: 'posting', status: 'FAILED', timeMs: at(10_000) },
      { invoiceId: 'REJECTED-AT-INGESTION', stage: 'ingestion', status: 'REJECTED', timeMs: at(600) },
      { invoiceId: 'REJECTED-AT-AUTH', stage: 'authorization', status: 'REJECTED', timeMs: at(600) },
      { invoiceId: 'ESCALATED', stage: 'authorization', status: 'ESCALATED', timeMs: at(600) },
      { invoiceId: 'UNKNOWN-STAGE', stage: 'archival', status: 'X', timeMs: at(600) },
    ];

    // Act
    const stuck = findStuckInvoices(latest, CELL_TOPOLOGY, Date.now());

    // Assess: waiting for a person (ESCALATED) past the 4 h SLA is stuck.
    expect(stuck.map((s) => s.invoiceId)).toEqual(['ESCALATED']);
  });

  it('orders the most overdue first and counts per stage', () => {
    // Prepare
    const latest: LatestInvoiceState[] = [
      { invoiceId: 'A', stage: 'ingestion', status: 'RECEIVED', timeMs: at(30) },
      { invoiceId: 'B', stage: 'reconciliation', status: 'MISMATCHED', timeMs: at(200) },
      { invoiceId: 'C', stage: 'ingestion', status: 'RECEIVED', timeMs: at(60) },
    ];

    // Act
    const stuck = findStuckInvoices(latest, CELL_TOPOLOGY, Date.now());
    const counts = countStuckByStage(stuck, CELL_TOPOLOGY);

    // Assess
    expect(stuck.map((s) => s.invoiceId)).toEqual(['B', 'C', 'A']);
    expect(Object.fromEntries(counts)).toEqual({ ingestion: 2, reconciliation: 1, authorization: 0 });
  });
});

describe('terminal statuses', () => {
  it.each(CELL_TOPOLOGY.stages.map((s) => [s.name, s.terminalStatuses] as const))(
    'of %s are statuses its schema allows',
    (stage, terminal) => {
      // Prepare
      const schema = readStageSchemaFile(stage);

      // Act
      const allowed: unknown = schema.properties?.status?.enum;

      // Assess
      expect(allowed).toEqual(expect.arrayContaining([...terminal]));
    },
  );
});

describe('stuckDeadlineMs', () => {
  const t = NOW - 60 * MIN;

  it('is the entered time plus the stage SLA while the invoice can be stuck', () => {
    // Act
    const deadline = stuckDeadlineMs(CELL_TOPOLOGY, 0, 'CAPTURED', t);

    // Assess: ingestion's SLA is 15 minutes.
    expect(deadline).toBe(t + 15 * MIN);
  });

  it('is null at the last stage, for a terminal status and for a stage the topology does not know', () => {
    // Act
    const deadlines = [
      stuckDeadlineMs(CELL_TOPOLOGY, 3, 'POSTED', t),
      stuckDeadlineMs(CELL_TOPOLOGY, 0, 'REJECTED', t),
      stuckDeadlineMs(CELL_TOPOLOGY, 7, 'CAPTURED', t),
    ];

    // Assess
    expect(deadlines).toEqual([null, null, null]);
  });

  it('agrees with findStuckInvoices: stuck exactly when the deadline is before now', () => {
    // Prepare
    const latest: LatestInvoiceState[] = [
      { invoiceId: 'INV-1', stage: 'ingestion', status: 'CAPTURED', timeMs: t },
    ];
    const deadline = stuckDeadlineMs(CELL_TOPOLOGY, 0, 'CAPTURED', t) as number;

    // Act
    const atDeadline = findStuckInvoices(latest, CELL_TOPOLOGY, deadline);
    const after = findStuckInvoices(latest, CELL_TOPOLOGY, deadline + 1);

    // Assess
    expect([atDeadline.length, after.length]).toEqual([0, 1]);
  });
});

describe('findStuckMessages', () => {
  it('reports a DLQ that is not empty and an oldest message past the stage threshold', () => {
    // Act
    const issues = findStuckMessages(
      {
        ingestion: { dlqDepth: 0, oldestMessageAgeSec: 5 },
        reconciliation: { dlqDepth: 2, oldestMessageAgeSec: null },
        posting: { dlqDepth: 0, oldestMessageAgeSec: 121 },
      },
      CELL_TOPOLOGY,
    );

    // Assess
    expect(issues).toEqual([
      expect.objectContaining({ stage: 'reconciliation', kind: 'dlq-not-empty', value: 2, threshold: 0 }),
      expect.objectContaining({
        stage: 'posting',
        kind: 'oldest-message-too-old',
        value: 121,
        threshold: 120,
      }),
    ]);
  });
});
