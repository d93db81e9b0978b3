import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscriberDlqRuleId } from '../../../cells/alarm-rules.js';
import { type LocalCell, startLocalCell } from '../../../cells/local/local-cell.js';
import { monitoringPlugin } from '../../../cells/local/plugins/monitoring-plugin.js';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { buildTopology, STAGE_SETTINGS, type StageTopology } from '../../../cells/topology.js';
import type { AlarmsAnswer } from '../../../schemas/api/index.js';
import type { AlarmReport, DlqListing, RedriveProgress } from '../../../scripts/ops/backend.js';
import { CellClient } from '../../cells/local/helpers/cell-client.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from '../../cells/local/helpers/cell-process.js';
import { waitFor } from '../../cells/local/helpers/wait-for.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../cells/local/helpers/webhook-receiver.js';
import { jsonOf, runOpsInProcess } from './support/run-ops.js';

/**
 * A push subscriber whose receiver fails: the message lands in the subscriber's DLQ, the local
 * alarm `ingestion-billify-subscriber-dlq-not-empty` fires (`/alarms`, `invoice-ops alarms`),
 * `invoice-ops dlq list --subscriber` lists it, and after the receiver recovers `dlq redrive
 * --subscriber` delivers it exactly once and the alarm clears. A real in-process cell (1 s
 * visibility, 1 receive, 2 fast attempts) with the monitoring plugin evaluating every 0.2 s.
 */

const topology = buildTopology({}, STAGE_SETTINGS, {
  ingestion: [{ id: 'billify', filterPolicy: { event: { status: ['RECEIVED'] } } }],
});
const ingestion = topology.stages[0] as StageTopology;
const RULE = subscriberDlqRuleId(ingestion, 'billify');
const event = {
  ...new SampleEvents(topology).event(ingestion, { invoiceId: 'INV-SUB-DLQ-1' }),
  status: 'RECEIVED',
};

let cell: LocalCell;
let client: CellClient;
let receiver: WebhookReceiver;
const dataDir = tempDataDir('ops-subscriber-dlq-');
const ops = (args: readonly string[]) =>
  runOpsInProcess([...args, '--local', cell.url, '--api-key', TEST_OPERATOR_KEY], { topology });

async function ruleState(): Promise<string | undefined> {
  return (await client.get<AlarmsAnswer>('/alarms')).body.alarms.find((a) => a.id === RULE)?.state;
}

beforeAll(async () => {
  receiver = await startWebhookReceiver(() => 500);
  // The endpoint is the receiver's: the topology is rebuilt once its port is known.
  const pushed = buildTopology({}, STAGE_SETTINGS, {
    ingestion: [{ id: 'billify', filterPolicy: { event: { status: ['RECEIVED'] } }, endpoint: receiver.url }],
  });
  cell = await startLocalCell({
    dataDir,
    port: 0,
    apiKey: TEST_API_KEY,
    operatorKey: TEST_OPERATOR_KEY,
    logLevel: 'silent',
    topology: pushed,
    visibilityTimeoutSec: 1,
    maxReceiveCount: 1,
    subscriberDelivery: {
      attemptsPerReceive: 2,
      minDelayMs: 1,
      maxDelayMs: 5,
      timeoutMs: 300,
      pollIntervalMs: 20,
    },
    plugins: [monitoringPlugin({ evaluationIntervalMs: 200, rulePeriodSecOverride: 0.2 })],
  });
  client = new CellClient(cell.url);
  expect((await client.post(ingestion.routePath, event)).status).toBe(200);
  await waitFor(async () => (await ruleState()) === 'ALARM', { what: `${RULE} in ALARM` });
});

afterAll(async () => {
  await cell?.close();
  await receiver?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('subscriber DLQ: alarm, dlq list and redrive --subscriber', () => {
  it('alarms while the DLQ holds the message, in /alarms and in invoice-ops alarms', async () => {
    // Act
    const answer = (await client.get<AlarmsAnswer>('/alarms')).body;
    const report = jsonOf<AlarmReport>(await ops(['alarms', '--json']));

    // Assess
    expect(answer.alarms.find((a) => a.id === RULE)).toMatchObject({
      title: 'Ingestion: subscriber billify DLQ not empty',
      stage: 'ingestion',
      severity: 'warning',
      state: 'ALARM',
      value: 1,
      threshold: 0,
    });
    // A receiver that is down is the subscriber's problem: the cell stays healthy.
    expect(answer.cellUnhealthy).toBe('OK');
    expect(answer.cellUnhealthyAlarming).not.toContain(RULE);
    expect(report.alarms.find((a) => a.name === RULE)).toMatchObject({ state: 'ALARM' });
  });

  it('lists the subscriber DLQ with --subscriber, and only the stage DLQ without it', async () => {
    // Act
    const listed = await ops(['dlq', 'list', '--stage', 'ingestion', '--subscriber', 'billify']);
    const json = jsonOf<{ stages: DlqListing[] }>(
      await ops(['dlq', 'list', '--stage', 'ingestion', '--subscriber', 'billify', '--json']),
    );
    const stageOnly = jsonOf<{ stages: DlqListing[] }>(
      await ops(['dlq', 'list', '--stage', 'ingestion', '--json']),
    );

    // Assess
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('ingestion/billify DLQ: 1 message(s)');
    expect(listed.stdout).toContain('INV-SUB-DLQ-1');
    expect(json.stages).toEqual([
      expect.objectContaining({ stage: 'ingestion', subscriber: 'billify', total: 1 }),
    ]);
    expect(json.stages[0]?.messages.map((m) => m.eventId)).toEqual([event.eventId]);
    expect(stageOnly.stages[0]).toMatchObject({ stage: 'ingestion', total: 0 });
    expect(stageOnly.stages[0]?.subscriber).toBeUndefined();
  });

  it("refuses an undeclared subscriber with the cell's 404 message, and --subscriber without --stage", async () => {
    // Act
    const unknown = await ops(['dlq', 'list', '--stage', 'ingestion', '--subscriber', 'nobody']);
    const unknownRedrive = await ops(['dlq', 'redrive', '--stage', 'ingestion', '--subscriber', 'nobody']);
    const noStage = await ops(['dlq', 'list', '--subscriber', 'billify']);
    const badId = await ops(['dlq', 'list', '--stage', 'ingestion', '--subscriber', 'Billify']);

    // Assess
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no subscriber nobody on stage ingestion; declared: billify');
    expect(unknownRedrive.code).toBe(1);
    expect(unknownRedrive.stderr).toContain('no subscriber nobody on stage ingestion; declared: billify');
    expect(noStage.code).toBe(2);
    expect(noStage.stderr).toContain('--subscriber billify needs --stage');
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('must be a subscriber id');
  });

  it('redrives to one delivery once the receiver recovers, and the alarm clears', async () => {
    // Prepare
    receiver.setRespond(() => 204);
    const dry = await ops(['dlq', 'redrive', '--stage', 'ingestion', '--subscriber', 'billify', '--dry-run']);

    // Act
    const result = await ops(['dlq', 'redrive', '--stage', 'ingestion', '--subscriber', 'billify', '--json']);
    const progress = jsonOf<{ stages: RedriveProgress[] }>(result);
    await waitFor(() => receiver.accepted().length === 1, { what: 'the redriven message pushed' });
    await waitFor(async () => (await ruleState()) === 'OK', { what: `${RULE} back to OK` });

    // Assess
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('ingestion/billify');
    expect(result.code).toBe(0);
    expect(progress.stages).toEqual([
      expect.objectContaining({ stage: 'ingestion', subscriber: 'billify', state: 'completed', moved: 1 }),
    ]);
    expect(receiver.accepted().map((n) => JSON.parse(n.Message).event.eventId)).toEqual([event.eventId]);
    expect(new Set(receiver.pushes.map((p) => p.notification.MessageId)).size).toBe(1);
  });
});
