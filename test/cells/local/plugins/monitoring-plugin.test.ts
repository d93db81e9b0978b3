import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../../cells/local/local-cell.js';
import { readAlarmTransitions } from '../../../../cells/local/monitoring/alarm-store.js';
import { monitoringPlugin } from '../../../../cells/local/plugins/monitoring-plugin.js';
import { SampleEvents } from '../../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../../cells/topology.js';
import type {
  AlarmsAnswer,
  DashboardsAnswer,
  ReconcileAnswer,
  StuckAnswer,
} from '../../../../schemas/api/index.js';
import { CellClient } from '../helpers/cell-client.js';
import { runCellCli } from '../helpers/cell-process.js';
import { deadLetterCellOptions } from '../helpers/dead-letter-cell.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The monitoring routes of a real in-process local cell (worker engine, fault injection, 1 s
 * visibility timeout, 2 receives before the DLQ), with a webhook receiver on 127.0.0.1. Rules are
 * evaluated with a 0.2 s period so a one-period alarm fires within a second.
 */

const topology = CELL_TOPOLOGY;
const samples = new SampleEvents(topology);
const stages = topology.stages;
const first = stages[0] as StageTopology;
const AMOUNT = '100.25';
const LIFECYCLES = ['INV-MON-OK-1', 'INV-MON-OK-2', 'INV-MON-OK-3'];
const STUCK_INVOICE = 'INV-MON-STUCK-1';
const STUCK_AGE_MS = 2 * 3_600_000;
const POISON_INVOICE = 'INV-MON-POISON-1';

/** Panel data read generically by field (the contract's `PanelData` union has no discriminant). */
interface DashboardData {
  view: string;
  panels: Record<string, { rows?: Record<string, unknown>[]; error?: string }>;
}

let cell: LocalCell;
let client: CellClient;
let dataDir: string;
let webhook: http.Server;
const webhookBodies: { cell?: string; transitions: { ruleId: string; to: string }[] }[] = [];
const poison = samples.event(first, { invoiceId: POISON_INVOICE, amountValue: AMOUNT });

beforeAll(async () => {
  webhook = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', () => {
      webhookBodies.push(JSON.parse(text));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  const port = (webhook.address() as AddressInfo).port;
  const options = deadLetterCellOptions('cell-monitoring-', [
    monitoringPlugin({
      evaluationIntervalMs: 200,
      rulePeriodSecOverride: 0.2,
      webhookUrl: `http://127.0.0.1:${port}/hook`,
    }),
  ]);
  dataDir = options.dataDir;
  cell = await startLocalCell(options);
  client = new CellClient(cell.url);

  // Three complete lifecycles, and one invoice that entered the first stage two hours ago.
  for (const stage of stages) {
    const events = LIFECYCLES.map((invoiceId) => samples.event(stage, { invoiceId, amountValue: AMOUNT }));
    expect((await client.post(stage.routePath, { events })).status).toBe(200);
  }
  const stuck = samples.event(first, {
    invoiceId: STUCK_INVOICE,
    amountValue: AMOUNT,
    occurredAtMs: Date.now() - STUCK_AGE_MS,
  });
  expect((await client.post(first.routePath, stuck)).status).toBe(200);
  await waitFor(
    async () => {
      const stats = await client.stats();
      return (stats.totals.stored === stats.totals.accepted && stats.totals.accepted > 0) || undefined;
    },
    { what: 'every event stored', describe: () => client.stats() },
  );
});

afterAll(async () => {
  await cell?.close();
  await new Promise((resolve) => webhook?.close(resolve));
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('monitoringPlugin', () => {
  describe('GET /alarms', () => {
    it('lists every rule with a state from the evaluation at startup', async () => {
      // Act
      const res = await client.get<AlarmsAnswer>('/alarms');

      // Assess
      expect(res.status).toBe(200);
      expect(res.body.cellUnhealthy).toBe('OK');
      expect(res.body.alarms.map((a) => a.id)).toContain(`${first.name}-dlq-not-empty`);
      for (const alarm of res.body.alarms)
        expect(['OK', 'ALARM', 'INSUFFICIENT_DATA']).toContain(alarm.state);
      expect(res.body.alarms.find((a) => a.id === `${first.name}-dlq-not-empty`)?.state).toBe('OK');
    });
  });

  describe('GET /reconcile', () => {
    it('is balanced for a clean window', async () => {
      // Act
      const res = await client.get<ReconcileAnswer>('/reconcile');

      // Assess
      expect(res.status).toBe(200);
      expect(res.body.balanced).toBe(true);
      expect(res.body.stages.find((s) => s.stage === first.name)).toMatchObject({
        accepted: LIFECYCLES.length + 1,
        stored: LIFECYCLES.length + 1,
        inDlq: 0,
        missing: [],
      });
    });
  });

  describe('GET /stuck', () => {
    it('lists an invoice past its stage SLA with its stage and age, and only it', async () => {
      // Act
      const res = await client.get<StuckAnswer>('/stuck');
      const other = await client.get<StuckAnswer>(`/stuck?stage=${stages[1]?.name}`);

      // Assess
      expect(res.status).toBe(200);
      expect(res.body.invoices).toHaveLength(1);
      const [stuck] = res.body.invoices;
      expect(stuck).toMatchObject({ invoiceId: STUCK_INVOICE, stage: first.name, slaSec: first.slaSec });
      expect(stuck?.ageSec).toBeGreaterThanOrEqual(STUCK_AGE_MS / 1000);
      expect(stuck?.ageSec).toBeLessThan(STUCK_AGE_MS / 1000 + 120);
      expect(stuck?.overdueSec).toBe((stuck?.ageSec ?? 0) - first.slaSec);
      expect(other.body.invoices).toEqual([]);
    });
  });

  describe('GET /dashboards/:view/data', () => {
    it('answers every executive panel without error, with the counts and amounts sent', async () => {
      // Prepare
      const list = await client.get<DashboardsAnswer>('/dashboards');
      const executive = list.body.find((d) => d.id === 'executive');

      // Act
      const res = await client.get<DashboardData>('/dashboards/executive/data');

      // Assess
      expect(res.status).toBe(200);
      expect(executive?.panels.length).toBeGreaterThan(0);
      for (const panel of executive?.panels ?? []) {
        expect(res.body.panels[panel.id], panel.id).toHaveProperty('rows');
        expect(res.body.panels[panel.id]?.error, panel.id).toBeUndefined();
      }
      const byStage = res.body.panels['exec-invoices-by-stage']?.rows ?? [];
      expect(byStage).toEqual(
        stages.map((s, i) => ({ stage: s.name, value: LIFECYCLES.length + (i === 0 ? 1 : 0) })),
      );
      const value = res.body.panels['exec-value-by-stage']?.rows ?? [];
      expect(value.find((r) => r.stage === first.name)).toMatchObject({ currency: 'USD', value: '401.00' });
      expect(value.find((r) => r.stage === stages[1]?.name)).toMatchObject({
        currency: 'USD',
        value: '300.75',
      });
    });

    it('embeds queue, stuck, alarms and reconcile data in the operations view', async () => {
      // Act
      const res = await client.get<DashboardData>('/dashboards/operations/data');

      // Assess
      expect(res.status).toBe(200);
      for (const [id, panel] of Object.entries(res.body.panels)) expect(panel.error, id).toBeUndefined();
      const sources = (await client.get<DashboardsAnswer>('/dashboards')).body
        .find((d) => d.id === 'operations')
        ?.panels.map((p) => p.source);
      expect(sources).toEqual(expect.arrayContaining(['queue', 'stuck', 'alarms', 'reconcile']));
    });
  });

  describe('bad query parameters', () => {
    it.each([
      ['/stuck?stage=nope', 'stage'],
      ['/reconcile?from=yesterday', 'from'],
      ['/reconcile?from=2026-11-20T10:00:00Z&to=2026-11-20T09:00:00Z', 'from'],
      ['/reconcile?to=2026-13-45', 'to'],
      ['/alarms?historySec=-1', 'historySec'],
      ['/dashboards/executive/data?from=1', 'from'],
      ['/dashboards/executive/data?cell=a%20b', 'cell'],
    ])('answers 400 naming the parameter for %s', async (path, param) => {
      // Act
      const res = await client.get<{ message: string }>(path);

      // Assess
      expect(res.status).toBe(400);
      expect(res.body.message).toContain(param);
    });

    it('answers 404 for an unknown dashboard', async () => {
      expect((await client.get('/dashboards/nope/data')).status).toBe(404);
    });
  });

  describe('a poison event', () => {
    it('raises the DLQ alarm, records and posts the transition, and shows in /stuck and /reconcile', async () => {
      // Prepare
      const ruleId = `${first.name}-dlq-not-empty`;
      expect((await client.post('/admin/faults', { failEventIds: [poison.eventId] })).status).toBe(200);

      // Act
      expect((await client.post(first.routePath, poison)).status).toBe(200);

      // Assess: the alarm, its stored transition, the webhook POST.
      const alarms = await waitFor(
        async () => {
          const res = await client.get<AlarmsAnswer>('/alarms');
          return res.body.alarms.find((a) => a.id === ruleId)?.state === 'ALARM' ? res.body : undefined;
        },
        { what: `${ruleId} in ALARM`, describe: () => client.stats() },
      );
      expect(alarms.cellUnhealthy).toBe('ALARM');
      expect(alarms.alarms.find((a) => a.id === ruleId)).toMatchObject({
        severity: 'critical',
        value: 1,
        threshold: 0,
      });
      const transition = alarms.transitions.find((t) => t.ruleId === ruleId && t.to === 'ALARM');
      expect(transition).toMatchObject({ from: 'OK', value: 1 });
      expect(transition?.atMs).toBeGreaterThan(0);
      const db = new Database(cell.dbFile, { readonly: true });
      try {
        expect(readAlarmTransitions(db).some((r) => r.rule_id === ruleId && r.to_state === 'ALARM')).toBe(
          true,
        );
      } finally {
        db.close();
      }
      await waitFor(
        () =>
          webhookBodies.some(
            (b) => b.cell === 'local' && b.transitions.some((t) => t.ruleId === ruleId && t.to === 'ALARM'),
          ) || undefined,
        { what: 'the transition posted to the webhook' },
      );

      const stuck = await client.get<StuckAnswer>(`/stuck?stage=${first.name}`);
      expect(stuck.body.messages).toContainEqual(
        expect.objectContaining({
          stage: first.name,
          kind: 'dlq',
          eventId: poison.eventId,
          invoiceId: POISON_INVOICE,
        }),
      );
      const reconciled = await client.get<ReconcileAnswer>('/reconcile');
      expect(reconciled.body.balanced).toBe(true);
      expect(reconciled.body.stages.find((s) => s.stage === first.name)).toMatchObject({
        accepted: LIFECYCLES.length + 2,
        inDlq: 1,
        missing: [],
      });
    });
  });

  describe('a lost record', () => {
    it('makes /reconcile unbalanced and names the event', async () => {
      // Prepare: a record disappears from the store behind the cell's back.
      const lost = (
        await client.get<{ timeline: { stage: string; eventId: string }[] }>(`/invoices/${LIFECYCLES[0]}`)
      ).body.timeline.find((t) => t.stage === stages[1]?.name);
      const db = new Database(cell.dbFile);
      try {
        db.pragma('busy_timeout = 5000');
        expect(db.prepare('DELETE FROM records WHERE event_id = ?').run(lost?.eventId).changes).toBe(1);
      } finally {
        db.close();
      }

      // Act
      const res = await client.get<ReconcileAnswer>('/reconcile');

      // Assess
      expect(res.body.balanced).toBe(false);
      expect(res.body.stages.find((s) => s.stage === stages[1]?.name)).toMatchObject({
        missing: [lost?.eventId],
        balanced: false,
      });
    });
  });

  describe('--alarm-webhook', () => {
    it.each(['ftp://hooks.example.com/a', 'not a url'])('makes npm start exit 2 for %s', async (url) => {
      // Act
      const result = await runCellCli(['--alarm-webhook', url, '--port', '0']);

      // Assess
      expect(result.code).toBe(2);
      expect(result.out).toContain('alarm webhook must be');
    });
  });
});
