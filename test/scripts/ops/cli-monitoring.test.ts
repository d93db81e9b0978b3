import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../cells/local/local-cell.js';
import { monitoringPlugin } from '../../../cells/local/plugins/monitoring-plugin.js';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import type { AlarmReport, StuckReport } from '../../../scripts/ops/backend.js';
import { CellClient } from '../../cells/local/helpers/cell-client.js';
import { deadLetterCellOptions } from '../../cells/local/helpers/dead-letter-cell.js';
import { waitFor } from '../../cells/local/helpers/wait-for.js';
import { jsonOf, runOps } from './support/run-ops.js';

/**
 * `invoice-ops stuck|reconcile|alarms` (a child process, as an operator runs it) against a real
 * local cell serving the monitoring routes (in-process here, so the test can remove a record to
 * make a gap). The cell has one stuck invoice (entered the first stage two hours ago) and one
 * poison event in the first stage's DLQ.
 */

const topology = CELL_TOPOLOGY;
const samples = new SampleEvents(topology);
const first = topology.stages[0] as StageTopology;
const second = topology.stages[1] as StageTopology;
const STUCK_INVOICE = 'INV-OPSMON-STUCK-1';
const FLOWING_INVOICE = 'INV-OPSMON-OK-1';
const poison = samples.event(first, { invoiceId: 'INV-OPSMON-POISON-1' });
const DLQ_RULE = `${first.name}-dlq-not-empty`;

let cell: LocalCell;
let dataDir: string;
const target = () => ['--local', cell.url];

beforeAll(async () => {
  const options = deadLetterCellOptions('ops-monitoring-', [
    monitoringPlugin({ evaluationIntervalMs: 200, rulePeriodSecOverride: 0.2 }),
  ]);
  dataDir = options.dataDir;
  cell = await startLocalCell(options);
  const client = new CellClient(cell.url);
  expect((await client.post('/admin/faults', { failEventIds: [poison.eventId] })).status).toBe(200);
  const events = [
    samples.event(first, { invoiceId: STUCK_INVOICE, occurredAtMs: Date.now() - 2 * 3_600_000 }),
    samples.event(first, { invoiceId: FLOWING_INVOICE }),
    poison,
  ];
  expect((await client.post(first.routePath, { events })).status).toBe(200);
  expect(
    (await client.post(second.routePath, samples.event(second, { invoiceId: FLOWING_INVOICE }))).status,
  ).toBe(200);
  await waitFor(
    async () =>
      (await client.get<{ alarms: { id: string; state: string }[] }>('/alarms')).body.alarms.some(
        (a) => a.id === DLQ_RULE && a.state === 'ALARM',
      ) || undefined,
    { what: 'the poison event dead-lettered and alarmed', describe: () => client.stats() },
  );
  await waitFor(async () => (await client.stats()).totals.stored === 3 || undefined, {
    what: 'the healthy events stored',
    describe: () => client.stats(),
  });
});

afterAll(async () => {
  await cell?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('invoice-ops monitoring verbs against a local cell', () => {
  describe('stuck', () => {
    it('lists the stuck invoice with its stage and age, and the DLQ message', async () => {
      // Act
      const text = await runOps(['stuck', ...target()]);
      const json = await runOps(['stuck', ...target(), '--json']);

      // Assess
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(new RegExp(`${STUCK_INVOICE}\\s+${first.name}\\s`));
      expect(text.stdout).toContain(poison.eventId);
      const report = jsonOf<StuckReport>(json);
      expect(report.business).toEqual([
        expect.objectContaining({ invoiceId: STUCK_INVOICE, stage: first.name, nextStage: second.name }),
      ]);
      expect(report.business[0]?.ageSec).toBeGreaterThanOrEqual(7200);
      expect(report.technical).toContainEqual(
        expect.objectContaining({ stage: first.name, kind: 'dlq', eventId: poison.eventId, count: 1 }),
      );
    });
  });

  describe('alarms', () => {
    it('shows the DLQ alarm in ALARM and its transition', async () => {
      // Act
      const result = await runOps(['alarms', ...target(), '--json']);

      // Assess
      expect(result.code).toBe(0);
      const report = jsonOf<AlarmReport>(result);
      expect(report.alarms).toContainEqual(
        expect.objectContaining({ name: DLQ_RULE, state: 'ALARM', severity: 'critical', stage: first.name }),
      );
      expect(report.transitions).toContainEqual(
        expect.objectContaining({ name: DLQ_RULE, from: 'OK', to: 'ALARM' }),
      );
    });
  });

  describe('reconcile', () => {
    it('exits 0 when balanced (the poison event counts as in the DLQ), 1 after a record is lost', async () => {
      // Act 1
      const balanced = await runOps(['reconcile', ...target(), '--from', '3h', '--json']);

      // Assess 1
      expect(balanced.code).toBe(0);
      const report = jsonOf<{ balanced: boolean; stages: { stage: string; inDlq: number }[] }>(balanced);
      expect(report.balanced).toBe(true);
      expect(report.stages.find((s) => s.stage === first.name)?.inDlq).toBe(1);

      // Prepare 2: the second stage's record disappears from the store.
      const db = new Database(cell.dbFile);
      try {
        db.pragma('busy_timeout = 5000');
        const deleted = db
          .prepare('DELETE FROM records WHERE invoice_id = ? AND stage = ?')
          .run(FLOWING_INVOICE, second.name);
        expect(deleted.changes).toBe(1);
      } finally {
        db.close();
      }

      // Act 2
      const gap = await runOps(['reconcile', ...target(), '--from', '3h']);

      // Assess 2
      expect(gap.code).toBe(1);
      expect(gap.stdout).toContain(`${second.name} missing (accepted, found nowhere)`);
      expect(gap.stdout).toContain('GAP: the counts do not balance');
    });
  });
});
