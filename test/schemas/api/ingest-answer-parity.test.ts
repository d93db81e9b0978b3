import fs from 'node:fs';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../../../cells/local/api/error-handler.js';
import { registerIngestRoutes } from '../../../cells/local/api/ingest-routes.js';
import { registerJsonBodyParser } from '../../../cells/local/api/request-body.js';
import { EventBus } from '../../../cells/local/bus/event-bus.js';
import { IngestClient } from '../../../cells/local/bus/ingest-client.js';
import { createLogger } from '../../../cells/local/logger.js';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import { ManualClock } from '../../../consumers/clock.js';
import {
  ErrorAnswerSchema,
  INGEST_ERROR_CODES,
  INGEST_PARTIAL_FAILURE_STATUS,
  INGEST_UNAVAILABLE_STATUS,
  type IngestAnswer,
  IngestAnswerSchema,
  LOCAL_CELL_ROUTES,
} from '../../../schemas/api/index.js';
import {
  BUS_UNAVAILABLE_STATUS,
  PARTIAL_FAILURE_STATUS,
  PUT_EVENTS_ERROR_TEMPLATE,
  PUT_EVENTS_RESPONSE_TEMPLATE,
} from '../../../stacks/ingest-api-templates.js';
import { CellClient, type CellResponse } from '../../cells/local/helpers/cell-client.js';
import {
  type CellProcess,
  startCellProcess,
  stopAllCells,
  tempDataDir,
} from '../../cells/local/helpers/cell-process.js';
import { itNeedsVelocity, startVtlEngine, type VtlEngine } from '../../stacks/vtl/vtl-engine.js';
import { closedSchemaProblems } from './helpers/answer-check.js';

/**
 * One answer shape for ingest (`schemas/api/ingest.ts`): the same requests answered by a real
 * local cell and by the AWS cell's integration response templates, executed on Apache Velocity
 * 1.7 for a PutEvents answer of the same situation, give the same status and the same body but
 * for the bus ids. "Some entries failed" is a conflicting `eventId` locally and a failed PutEvents
 * entry on AWS (with the same code and text, so only the ids differ); "nothing was taken" is a
 * commit that cannot happen locally and a PutEvents 4xx on AWS.
 */

const probe = await startVtlEngine();
const topology = CELL_TOPOLOGY;
const samples = new SampleEvents(topology);
const stage = topology.stages[0] as StageTopology;

/** The answer with every bus id replaced: ids are the one thing allowed to differ. */
function withoutIds(body: unknown): unknown {
  const answer = body as IngestAnswer;
  return {
    ...answer,
    entries: answer.entries.map((e) => (e.busEventId === undefined ? e : { ...e, busEventId: '<id>' })),
  };
}

/** The PutEvents answer of the situation `local` describes: an EventId per success, else its error. */
function putEventsAnswerLike(local: IngestAnswer): string {
  return JSON.stringify({
    FailedEntryCount: local.failedEntryCount,
    Entries: local.entries.map((e) =>
      e.status === 'failed'
        ? { ErrorCode: e.errorCode, ErrorMessage: e.errorMessage }
        : { EventId: `aws-bus-${e.index}` },
    ),
  });
}

/** What API Gateway answers for a PutEvents answer with `status` (2xx template, else the 4xx one). */
async function awsAnswer(
  engine: VtlEngine,
  backend: { status: number; body: string },
): Promise<CellResponse> {
  const ok = backend.status < 300;
  const { output, context } = await engine.render({
    template: ok ? PUT_EVENTS_RESPONSE_TEMPLATE : PUT_EVENTS_ERROR_TEMPLATE,
    body: backend.body,
    context: { requestId: 'req-1' },
  });
  const status = context.responseOverride.status ?? (ok ? 200 : BUS_UNAVAILABLE_STATUS);
  return { status, headers: new Headers(), body: JSON.parse(output) as unknown, text: output };
}

/** The local ingest route and error handler in process, with a commit that always fails. */
async function localUnavailableAnswer(body: unknown): Promise<CellResponse> {
  const app = Fastify({ logger: false });
  registerJsonBodyParser(app);
  registerErrorHandler(app, { topology, logger: createLogger({ level: 'silent' }) });
  const ingest = new IngestClient(topology, new EventBus(topology), async () => {
    throw new Error('database is locked');
  });
  // The clock of the request's time: the sample event's occurredAt (now) is inside the business-time window.
  registerIngestRoutes(app, { topology, ingest, clock: new ManualClock(Date.now()) });
  try {
    const res = await app.inject({ method: 'POST', url: stage.routePath, payload: body as object });
    return { status: res.statusCode, headers: new Headers(), body: res.json() as unknown, text: res.body };
  } finally {
    await app.close();
  }
}

describe('the ingest answer of the local cell and of the AWS cell', () => {
  if ('unavailable' in probe) {
    // No JRE in the npm registry: say so loudly, keep the rest of `npm test` running.
    itNeedsVelocity(probe.unavailable, 'the comparison of the local and the AWS ingest answers');
    return;
  }
  const engine: VtlEngine = probe.engine;
  let cell: CellProcess;
  let client: CellClient;

  beforeAll(async () => {
    cell = await startCellProcess({ dataDir: tempDataDir('ingest-parity-') });
    client = new CellClient(cell.url);
  });
  afterAll(async () => {
    await engine.close();
    await cell?.stop();
    await stopAllCells();
    if (cell) fs.rmSync(cell.dataDir, { recursive: true, force: true });
  });

  it('agree on the statuses of the contract', () => {
    expect(PARTIAL_FAILURE_STATUS).toBe(INGEST_PARTIAL_FAILURE_STATUS);
    expect(BUS_UNAVAILABLE_STATUS).toBe(INGEST_UNAVAILABLE_STATUS);
    expect(LOCAL_CELL_ROUTES.ingest.response[INGEST_PARTIAL_FAILURE_STATUS]).toBe(IngestAnswerSchema);
    expect(LOCAL_CELL_ROUTES.ingest.response[200]).toBe(IngestAnswerSchema);
  });

  it('answer one accepted event with the same 200 and body', async () => {
    // Prepare
    const event = samples.event(stage, { invoiceId: 'INV-PARITY-1' });

    // Act
    const local = await client.post(stage.routePath, event);
    const aws = await awsAnswer(engine, {
      status: 200,
      body: putEventsAnswerLike(local.body as IngestAnswer),
    });

    // Assess
    expect(local.status).toBe(200);
    expect(aws.status).toBe(local.status);
    expect(closedSchemaProblems(IngestAnswerSchema, local.body)).toEqual([]);
    expect(closedSchemaProblems(IngestAnswerSchema, aws.body)).toEqual([]);
    expect(withoutIds(aws.body)).toEqual(withoutIds(local.body));
    expect(local.body).toEqual({
      failedEntryCount: 0,
      entries: [{ index: 0, status: 'accepted', busEventId: expect.any(String) }],
    });
  });

  it('answer a batch with a failed entry with the same 502 listing it among the accepted ones', async () => {
    // Prepare: the middle event reuses an accepted eventId with other content (local: a conflict)
    const taken = samples.event(stage, { invoiceId: 'INV-PARITY-2' });
    expect((await client.post(stage.routePath, taken)).status).toBe(200);
    const events = [
      samples.event(stage, { invoiceId: 'INV-PARITY-3' }),
      { ...taken, status: 'REJECTED' },
      samples.event(stage, { invoiceId: 'INV-PARITY-4' }),
    ];

    // Act
    const local = await client.post(stage.routePath, { events });
    const aws = await awsAnswer(engine, {
      status: 200,
      body: putEventsAnswerLike(local.body as IngestAnswer),
    });

    // Assess
    expect(local.status).toBe(INGEST_PARTIAL_FAILURE_STATUS);
    expect(aws.status).toBe(local.status);
    expect(closedSchemaProblems(IngestAnswerSchema, local.body)).toEqual([]);
    expect(closedSchemaProblems(IngestAnswerSchema, aws.body)).toEqual([]);
    expect(withoutIds(aws.body)).toEqual(withoutIds(local.body));
    expect(withoutIds(local.body)).toEqual({
      failedEntryCount: 1,
      entries: [
        { index: 0, status: 'accepted', busEventId: '<id>' },
        {
          index: 1,
          status: 'failed',
          errorCode: INGEST_ERROR_CODES.eventIdConflict,
          errorMessage: `eventId ${taken.eventId} was already accepted with different content`,
        },
        { index: 2, status: 'accepted', busEventId: '<id>' },
      ],
    });
  });

  it('answer a request nothing of which was taken with 503 and an error message', async () => {
    // Prepare
    const event = samples.event(stage, { invoiceId: 'INV-PARITY-5' });
    const throttled = JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' });

    // Act
    const local = await localUnavailableAnswer(event);
    const aws = await awsAnswer(engine, { status: 400, body: throttled });

    // Assess: AWS adds API Gateway's requestId to the error body
    expect(local.status).toBe(INGEST_UNAVAILABLE_STATUS);
    expect(aws.status).toBe(local.status);
    expect(closedSchemaProblems(ErrorAnswerSchema, local.body)).toEqual([]);
    expect(aws.body).toEqual({ message: expect.any(String), requestId: 'req-1' });
    expect(local.body).toEqual({ message: expect.any(String) });
  });
});
