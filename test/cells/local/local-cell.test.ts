import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../cells/local/local-cell.js';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import { CellClient, type TimelineBody } from './helpers/cell-client.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from './helpers/cell-process.js';
import { waitFor } from './helpers/wait-for.js';

const samples = new SampleEvents(CELL_TOPOLOGY);
const stage = CELL_TOPOLOGY.stages[0] as StageTopology;

describe('startLocalCell', () => {
  let cell: LocalCell | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    await cell?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    cell = undefined;
  });

  it.each(['worker', 'inline'] as const)(
    'runs in-process with the engine %s and serves plugin routes',
    async (mode) => {
      // Prepare
      dataDir = tempDataDir('cell-inproc-');
      cell = await startLocalCell({
        dataDir,
        port: 0,
        apiKey: TEST_API_KEY,
        operatorKey: TEST_OPERATOR_KEY,
        processorThread: mode,
        logLevel: 'silent',
        plugins: [
          (app, ctx) =>
            app.get('/plugin/cell', async () => ({ cell: ctx.cellName, stages: ctx.topology.stages.length })),
        ],
      });
      const client = new CellClient(cell.url);
      const event = samples.event(stage, { invoiceId: 'INV-INPROC-1' });

      // Act
      const posted = await client.post(stage.routePath, event);
      const plugin = await client.get('/plugin/cell');
      const timeline = await waitFor(
        async () => {
          const res = await client.get<TimelineBody>('/invoices/INV-INPROC-1');
          return res.status === 200 ? res.body : undefined;
        },
        { what: 'the event stored' },
      );

      // Assess
      expect(posted.status).toBe(200);
      expect(plugin.body).toEqual({ cell: 'local', stages: CELL_TOPOLOGY.stages.length });
      expect(timeline.timeline.map((t) => t.eventId)).toEqual([event.eventId]);
      expect((await cell.stats()).totals).toMatchObject({ accepted: 1, stored: 1, unaccounted: 0 });
    },
  );

  it('refuses a second cell on the same data dir in the same process', async () => {
    dataDir = tempDataDir('cell-inproc-');
    cell = await startLocalCell({
      dataDir,
      port: 0,
      apiKey: TEST_API_KEY,
      operatorKey: TEST_OPERATOR_KEY,
      logLevel: 'silent',
    });
    await expect(startLocalCell({ dataDir, port: 0, logLevel: 'silent' })).rejects.toThrow(
      `data dir ${dataDir} is in use by another local cell (pid ${process.pid}`,
    );
  });
});
