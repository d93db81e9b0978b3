import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../cells/local/local-cell.js';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { buildTopology, STAGE_SETTINGS, type StageTopology } from '../../../cells/topology.js';
import type {
  SubscriberAckAnswer,
  SubscriberMessagesAnswer,
  SubscriberReceiveAnswer,
} from '../../../schemas/api/index.js';
import { CellClient } from '../../cells/local/helpers/cell-client.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from '../../cells/local/helpers/cell-process.js';
import { waitFor } from '../../cells/local/helpers/wait-for.js';
import { jsonOf, runOpsInProcess } from './support/run-ops.js';

/**
 * `invoice-ops subscriber receive|ack|list` against a real in-process local cell whose topology
 * declares a subscriber: a script's receive → ack loop, per-invoice order, a failed handle (exit
 * 1), and the refusals (exit 2): `--cell`, a bad `--max`, no target.
 */

const topology = buildTopology({}, STAGE_SETTINGS, {
  ingestion: [{ id: 'billify', filterPolicy: { stage: ['ingestion'] } }],
});
const ingestion = topology.stages[0] as StageTopology;
const samples = new SampleEvents(topology);
const A1 = samples.event(ingestion, { invoiceId: 'INV-CLI-SUB-A' });
const A2 = samples.event(ingestion, { invoiceId: 'INV-CLI-SUB-A' });
const B1 = samples.event(ingestion, { invoiceId: 'INV-CLI-SUB-B' });

let cell: LocalCell;
const dataDir = tempDataDir('ops-subscriber-');
const target = () => [
  '--local',
  cell.url,
  '--api-key',
  TEST_OPERATOR_KEY,
  '--stage',
  'ingestion',
  '--id',
  'billify',
];
const ops = (args: readonly string[]) => runOpsInProcess(args, { topology });

beforeAll(async () => {
  cell = await startLocalCell({
    dataDir,
    port: 0,
    apiKey: TEST_API_KEY,
    operatorKey: TEST_OPERATOR_KEY,
    logLevel: 'silent',
    topology,
  });
  const client = new CellClient(cell.url);
  for (const event of [A1, A2, B1]) expect((await client.post(ingestion.routePath, event)).status).toBe(200);
  await waitFor(
    async () =>
      (await client.get<SubscriberMessagesAnswer>('/subscribers/ingestion/billify/messages')).body.depth ===
        3 || undefined,
    { what: 'three messages in the subscriber queue' },
  );
});

afterAll(async () => {
  await cell?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('invoice-ops subscriber', () => {
  it('lists, receives one invoice at a time and acks, as a script would', async () => {
    // Act
    const listed = await ops(['subscriber', 'list', ...target()]);
    const first = await ops(['subscriber', 'receive', ...target(), '--max', '1', '--json']);
    const firstAnswer = jsonOf<SubscriberReceiveAnswer>(first);
    const second = await ops(['subscriber', 'receive', ...target(), '--visibility-timeout', '60']);
    const handle = firstAnswer.messages[0]?.receiptHandle as string;
    const acked = await ops(['subscriber', 'ack', ...target(), '--receipt-handle', handle, '--json']);
    const third = jsonOf<SubscriberReceiveAnswer>(
      await ops(['subscriber', 'receive', ...target(), '--json']),
    );

    // Assess
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ingestion\/billify \(\w+\): 3 in queue, 0 in \w+\n/);
    expect(listed.stdout).toContain(A1.eventId);
    expect(first.code).toBe(0);
    expect(firstAnswer.messages.map((m) => [m.invoiceId, m.eventId, m.receiveCount])).toEqual([
      ['INV-CLI-SUB-A', A1.eventId, 1],
    ]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(B1.eventId);
    expect(second.stdout).not.toContain(A2.eventId);
    expect(second.stdout).toMatch(/1 received, invisible for 60s/);
    expect(acked.code).toBe(0);
    expect(jsonOf<SubscriberAckAnswer>(acked)).toMatchObject({ acked: [handle], failed: [] });
    expect(third.messages.map((m) => m.eventId)).toEqual([A2.eventId]);
  });

  it('exits 1 when a handle is not in flight, printing each failure with its reason', async () => {
    const result = await ops(['subscriber', 'ack', ...target(), '--receipt-handle', '1.1', 'garbage']);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^acked 0 of 2\nfailed 1\.1: not in flight/);
    expect(result.stdout).toContain('failed garbage: not a receipt handle of this cell');
  });

  it('exits 1 naming the declared subscribers for an unknown one', async () => {
    const args = ['subscriber', 'list', '--local', cell.url, '--stage', 'ingestion', '--id', 'nope'];
    const result = await ops(args);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no subscriber nope on stage ingestion; declared: ingestion/billify');
  });

  it.each([
    [
      ['--cell', 'us-east-1', '--stage', 'ingestion', '--id', 'billify'],
      'on AWS the team reads its SQS queue',
    ],
    [['--stage', 'ingestion', '--id', 'billify'], 'subscriber needs --local <url>'],
    [
      ['--local', 'http://127.0.0.1:1', '--stage', 'ingestion', '--id', 'billify', '--max', '11'],
      "option '--max <n>' argument '11' is invalid. must be an integer from 1 to 10",
    ],
    [
      ['--local', 'http://127.0.0.1:1', '--stage', 'nope', '--id', 'billify'],
      "option '--stage <stage>' argument 'nope' is invalid",
    ],
    [
      ['--local', 'http://127.0.0.1:1', '--stage', 'ingestion'],
      "required option '--id <subscriber>' not specified",
    ],
  ])('exits 2 for receive %j', async (args, message) => {
    const result = await ops(['subscriber', 'receive', ...args]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('exits 2 for an ack of more than 10 handles', async () => {
    const handles = Array.from({ length: 11 }, (_, i) => `${i}.1`);
    const result = await ops(['subscriber', 'ack', ...target(), '--receipt-handle', ...handles]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--receipt-handle takes 1 to 10 handles, got 11');
  });
});
