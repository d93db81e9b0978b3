import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../../../../cells/local/api/error-handler.js';
import { registerIngestRoutes } from '../../../../cells/local/api/ingest-routes.js';
import { registerJsonBodyParser } from '../../../../cells/local/api/request-body.js';
import { EventBus } from '../../../../cells/local/bus/event-bus.js';
import { IngestClient } from '../../../../cells/local/bus/ingest-client.js';
import type { EntryResult, IngestBatch } from '../../../../cells/local/bus/ingest-committer.js';
import { createLogger } from '../../../../cells/local/logger.js';
import { SampleEvents } from '../../../../cells/local/sample-events.js';
import {
  buildTopology,
  CELL_TOPOLOGY,
  type CellTopology,
  type StageTopology,
} from '../../../../cells/topology.js';
import { ManualClock } from '../../../../consumers/clock.js';

/** The cell clock's time of every request below. */
const NOW_MS = Date.parse('2026-11-29T20:40:00Z');
const DEFAULT_WINDOW =
  'must be between 2021-11-30T20:40:00.000Z and 2026-11-29T20:45:00.000Z ' +
  '(at most 300 s ahead of the time the cell received it, at most 1825 days old)';

interface ErrorBody {
  readonly message: string;
  readonly errors: readonly { readonly path: string; readonly message: string }[];
}

/** The ingest route in process on a manual clock; `committed` holds every batch it tried to store. */
function ingestApp(topology: CellTopology = CELL_TOPOLOGY) {
  const committed: IngestBatch[] = [];
  const app = Fastify({ logger: false });
  registerJsonBodyParser(app);
  registerErrorHandler(app, { topology, logger: createLogger({ level: 'silent' }) });
  const ingest = new IngestClient(topology, new EventBus(topology), async (batch): Promise<EntryResult[]> => {
    committed.push(batch);
    return batch.events.map((_, i) => ({ eventId: `e-${i}`, status: 'accepted', busEventId: `b-${i}` }));
  });
  registerIngestRoutes(app, { topology, ingest, clock: new ManualClock(NOW_MS) });
  return { app, committed };
}

const samples = new SampleEvents(CELL_TOPOLOGY);
const stage = CELL_TOPOLOGY.stages[0] as StageTopology;

function eventAt(occurredAt: string): Record<string, unknown> {
  return { ...samples.event(stage, { invoiceId: 'INV-TIME-1' }), occurredAt };
}

describe('registerIngestRoutes', () => {
  let app: FastifyInstance | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  describe('business-time window', () => {
    it.each([
      ['year 9999', '9999-11-20T09:15:00Z'],
      ['year 1969', '1969-12-31T23:59:59Z'],
      ['an hour ahead of the cell clock', '2026-11-29T21:40:00Z'],
    ])('answers 400 naming /occurredAt and the window for %s, storing nothing', async (_name, occurredAt) => {
      // Prepare
      const cell = ingestApp();
      app = cell.app;

      // Act
      const res = await app.inject({ method: 'POST', url: stage.routePath, payload: eventAt(occurredAt) });

      // Assess
      expect(res.statusCode).toBe(400);
      const body = res.json() as ErrorBody;
      expect(body.errors).toEqual([{ path: '/occurredAt', message: DEFAULT_WINDOW }]);
      expect(body.message).toContain(`/occurredAt ${DEFAULT_WINDOW}`);
      expect(cell.committed).toEqual([]);
    });

    it('accepts an event exactly at the future skew of the cell clock', async () => {
      // Prepare
      const cell = ingestApp();
      app = cell.app;

      // Act
      const res = await app.inject({
        method: 'POST',
        url: stage.routePath,
        payload: eventAt('2026-11-29T20:45:00Z'),
      });

      // Assess
      expect(res.statusCode, res.body).toBe(200);
      expect(cell.committed).toHaveLength(1);
    });

    it('refuses the whole batch, naming the entry outside the window', async () => {
      // Prepare
      const cell = ingestApp();
      app = cell.app;
      const events = [eventAt('2026-11-29T20:39:00Z'), eventAt('2026-11-29T21:40:00Z')];

      // Act
      const res = await app.inject({ method: 'POST', url: stage.routePath, payload: { events } });

      // Assess
      expect(res.statusCode).toBe(400);
      expect((res.json() as ErrorBody).errors).toEqual([
        { path: '/events/1/occurredAt', message: DEFAULT_WINDOW },
      ]);
      expect(cell.committed).toEqual([]);
    });

    it("takes the window from the cell's topology", async () => {
      // Prepare: a cell that allows 60 s of skew; two minutes ahead is inside the default window.
      const cell = ingestApp(buildTopology({ maxFutureSkewSec: 60 }));
      app = cell.app;

      // Act
      const res = await app.inject({
        method: 'POST',
        url: stage.routePath,
        payload: eventAt('2026-11-29T20:42:00Z'),
      });

      // Assess
      expect(res.statusCode).toBe(400);
      expect((res.json() as ErrorBody).errors).toEqual([
        {
          path: '/occurredAt',
          message: expect.stringContaining('and 2026-11-29T20:41:00.000Z (at most 60 s ahead'),
        },
      ]);
      expect(cell.committed).toEqual([]);
    });
  });
});
