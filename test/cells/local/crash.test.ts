import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { openCellDatabase, WriteBatcher } from '../../../cells/local/storage/db.js';
import { cellWriteHooks } from '../../../cells/local/storage/record-store.js';
import { META_HOOK_VERSIONS, RollupBackfill } from '../../../cells/local/storage/rollup-backfill.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import type { IngestAnswer } from '../../../schemas/api/index.js';
import type { InvoiceEvent } from '../../../schemas/types.js';
import { CellClient } from './helpers/cell-client.js';
import { type CellProcess, startCellProcess, stopAllCells, tempDataDir } from './helpers/cell-process.js';
import { waitFor } from './helpers/wait-for.js';
import { capturingLogger, type LogLine, tableContents } from './storage/support/hook-data.js';

const topology = CELL_TOPOLOGY;
const samples = new SampleEvents(topology);
const INVOICES = 5_000;
const TOTAL = INVOICES * topology.stages.length; // 20,000 events
const KILLS = 3;
const PRODUCER_CONCURRENCY = 16;
/** High enough that throttling is not what this test is about; 429s are retried anyway. */
const CELL_ARGS = ['--rate-limit', '100000', '--burst', '100000'];

interface Request {
  readonly stage: StageTopology;
  readonly events: readonly InvoiceEvent[];
}

describe('LocalCell', () => {
  const dataDir = tempDataDir('cell-crash-');

  afterAll(async () => {
    await stopAllCells();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  describe('kill -9 during load', () => {
    it('loses and doubles nothing that got a 2xx, across three SIGKILLs and restarts', {
      timeout: 180_000,
    }, async () => {
      // Prepare: 5,000 invoices × every stage, sent stage by stage in requests of 10 events.
      const requests: Request[] = [];
      for (const stage of topology.stages) {
        const events = Array.from({ length: INVOICES }, (_, i) =>
          samples.event(stage, {
            invoiceId: `INV-CRASH-${i}`,
            occurredAtMs: Date.parse('2026-11-20T00:00:00Z') + stage.order * 3_600_000,
          }),
        );
        for (let i = 0; i < events.length; i += 10) requests.push({ stage, events: events.slice(i, i + 10) });
      }
      let cell: CellProcess = await startCellProcess({ dataDir, args: CELL_ARGS });
      const client = new CellClient(cell.url);
      const acknowledged = new Set<string>();
      let retries = 0;
      /** Retried events the cell had already committed before a kill lost their answer. */
      let duplicates = 0;
      let restarting: Promise<void> | undefined;

      // A retrying producer: the same request (same eventIds) until it gets a 2xx.
      const send = async (request: Request) => {
        for (;;) {
          await restarting;
          try {
            const res = await client.post<IngestAnswer>(request.stage.routePath, { events: request.events });
            if (res.status === 200) {
              for (const e of res.body.entries) {
                const eventId = request.events[e.index]?.eventId;
                if ((e.status === 'accepted' || e.status === 'duplicate') && eventId)
                  acknowledged.add(eventId);
                if (e.status === 'duplicate') duplicates++;
              }
              return;
            }
            retries++;
            await delay(res.status === 429 ? 200 : 20);
          } catch {
            retries++; // connection refused/reset while the cell is down
            await delay(20);
          }
        }
      };
      let next = 0;
      let stageBarrier = 0;
      const producer = async () => {
        for (;;) {
          const i = next++;
          const request = requests[i];
          if (!request) return;
          // Per-invoice order: a stage's events go only after the previous stage's were acknowledged.
          while (request.stage.order > stageBarrier) await delay(5);
          await send(request);
        }
      };
      const stageWatcher = (async () => {
        for (const stage of topology.stages) {
          const ids = requests
            .filter((r) => r.stage === stage)
            .flatMap((r) => r.events.map((e) => e.eventId));
          await waitFor(() => ids.every((id) => acknowledged.has(id)) || undefined, {
            what: `stage ${stage.name} acknowledged`,
            timeoutMs: 150_000,
            intervalMs: 20,
          });
          stageBarrier = stage.order + 1;
        }
      })();

      // A killer: SIGKILL at ~20%, ~45% and ~70% of the load, restart on the same data dir.
      const killer = (async () => {
        for (let k = 1; k <= KILLS; k++) {
          const threshold = Math.floor((TOTAL * (k * 25 - 5)) / 100);
          await waitFor(() => acknowledged.size >= threshold || undefined, {
            what: `${threshold} acknowledged events before kill ${k}`,
            timeoutMs: 120_000,
            intervalMs: 10,
          });
          let restarted!: () => void;
          restarting = new Promise((resolve) => {
            restarted = resolve;
          });
          await cell.kill();
          cell = await startCellProcess({ dataDir, args: CELL_ARGS });
          client.url = cell.url;
          restarted();
          restarting = undefined;
        }
      })();

      // Act
      await Promise.all([...Array.from({ length: PRODUCER_CONCURRENCY }, producer), stageWatcher, killer]);
      await waitFor(
        async () => {
          const s = await client.stats();
          return s.totals.visible === 0 &&
            s.totals.inFlight === 0 &&
            s.totals.stored + s.totals.inDlq >= TOTAL
            ? s
            : undefined;
        },
        { what: 'the cell to drain', timeoutMs: 60_000, describe: () => client.stats() },
      );
      expect(await cell.stop()).toBe(0);

      // Assess: read the database file after the final shutdown.
      const db = new Database(path.join(dataDir, 'cell.sqlite'), { readonly: true });
      const storedCounts = new Map(
        (
          db.prepare('SELECT event_id, count(*) AS n FROM records GROUP BY event_id').all() as {
            event_id: string;
            n: number;
          }[]
        ).map((r) => [r.event_id, r.n]),
      );
      const inDlq = new Set(
        (
          db
            .prepare(
              `SELECT m.dedup_id FROM messages m JOIN queues q ON q.id = m.queue_id WHERE q.name IN (${topology.stages
                .map(() => '?')
                .join(',')})`,
            )
            .all(...topology.stages.map((s) => s.ids.dlq)) as { dedup_id: string }[]
        ).map((r) => r.dedup_id),
      );
      const archived = (db.prepare('SELECT count(*) AS n FROM archive').get() as { n: number }).n;
      db.close();
      let storedOnce = 0;
      let doubled = 0;
      let dead = 0;
      let missing = 0;
      for (const id of acknowledged) {
        const n = storedCounts.get(id) ?? 0;
        if (n === 1) storedOnce++;
        else if (n > 1) doubled++;
        else if (inDlq.has(id)) dead++;
        else missing++;
      }
      console.log(
        `crash test: ${KILLS} SIGKILLs, ${acknowledged.size} events acknowledged (2xx), ${retries} producer retries ` +
          `(${duplicates} retried events were already committed: answered duplicate); ` +
          `stored once ${storedOnce}, stored twice or more ${doubled}, in a DLQ ${dead}, missing ${missing}; ` +
          `archive rows ${archived}, records ${storedCounts.size}`,
      );
      expect(acknowledged.size).toBe(TOTAL);
      expect({ doubled, missing }).toEqual({ doubled: 0, missing: 0 });
      expect(storedOnce + dead).toBe(TOTAL);
      expect(archived).toBe(TOTAL);

      // Assess: the rollups, invoice state, SLA and reconciliation tables the kills interrupted equal
      // a recount from the stored records (the backfill's rebuild, on a copy of the database).
      const copy = path.join(dataDir, 'recount.sqlite');
      fs.copyFileSync(path.join(dataDir, 'cell.sqlite'), copy);
      const recount = openCellDatabase({ file: copy, synchronous: 'NORMAL', role: 'engine' });
      try {
        const asLeft = tableContents(recount);
        recount.prepare('DELETE FROM meta WHERE key = ?').run(META_HOOK_VERSIONS);
        const lines: LogLine[] = [];
        const backfill = new RollupBackfill({
          db: recount,
          batcher: new WriteBatcher(recount),
          hooks: cellWriteHooks(recount, topology),
          logger: capturingLogger(lines),
        });
        expect(await backfill.run()).toBe('rebuilt');
        expect(tableContents(recount)).toEqual(asLeft);
      } finally {
        recount.close();
      }
    });
  });
});
