import fs from 'node:fs';
import path from 'node:path';
import type { SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { QueuePoller } from '../../../../cells/local/engine/poller.js';
import { createLogger } from '../../../../cells/local/logger.js';
import type { FifoQueue } from '../../../../cells/local/messaging/fifo-queue.js';
import { openStageQueues } from '../../../../cells/local/messaging/stage-queues.js';
import { type DatabaseHandle, openCellDatabase, WriteBatcher } from '../../../../cells/local/storage/db.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../../cells/topology.js';
import { ManualClock } from '../../../../consumers/clock.js';
import { tempDataDir } from '../helpers/cell-process.js';
import { waitFor } from '../helpers/wait-for.js';

const stage = CELL_TOPOLOGY.stages[0] as StageTopology;

/** Lets every pending setImmediate callback (poller ticks, batcher flushes) run. */
async function settle(batcher: WriteBatcher): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    await batcher.idle();
  }
}

describe('QueuePoller', () => {
  let dir: string;
  let db: DatabaseHandle;
  let poller: QueuePoller | undefined;

  afterEach(async () => {
    await poller?.stop();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('paused', () => {
    it('receives nothing while paused (a full disk) and resumes when it is lifted', async () => {
      // Prepare
      dir = tempDataDir('poller-');
      db = openCellDatabase({ file: path.join(dir, 'cell.sqlite'), synchronous: 'NORMAL', role: 'api' });
      const clock = new ManualClock(Date.parse('2026-11-20T09:00:00Z'));
      const queue = openStageQueues(db, CELL_TOPOLOGY, clock).get(stage.name) as FifoQueue;
      const batcher = new WriteBatcher(db);
      await batcher.run(() => queue.send([{ groupId: 'INV-1', dedupId: 'e-1', body: '{}' }]));
      const processed: SQSRecord[] = [];
      let paused = true;
      poller = new QueuePoller({
        batcher,
        stages: [{ stage, queue }],
        clock,
        logger: createLogger({ level: 'silent' }),
        region: 'local',
        idlePollMs: 60_000,
        paused: () => paused,
        process: async (_stage, records) => {
          processed.push(...records);
          return { batchItemFailures: [] };
        },
      });

      // Act
      poller.start();
      poller.wake();
      await settle(batcher);
      queue.refresh();
      const whilePaused = { processed: processed.length, counts: queue.counts() };
      paused = false;
      poller.wake();
      await waitFor(() => processed.length === 1, { what: 'the message processed' });

      // Assess
      expect(whilePaused).toEqual({
        processed: 0,
        counts: expect.objectContaining({ visible: 1, inFlight: 0 }),
      });
      expect(processed.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1']);
    });
  });
});
