import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { SampleEvents } from '../../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../../cells/topology.js';
import { CellClient, type TimelineBody } from '../helpers/cell-client.js';
import {
  type CellProcess,
  startCellProcess,
  stopAllCells,
  TEST_API_KEY,
  tempDataDir,
} from '../helpers/cell-process.js';
import { waitFor } from '../helpers/wait-for.js';

const samples = new SampleEvents(CELL_TOPOLOGY);
const stage = CELL_TOPOLOGY.stages[0] as StageTopology;
const CYCLES = 20;
const LOCK_REFUSAL = 'is in use by another local cell';
/**
 * The lock belongs to the process, whichever thread runs the engine; the inline engine only makes
 * each of the many starts cheaper (no worker importing the engine a second time).
 */
const CHEAP_START = ['--processor-thread', 'inline'];

/** Starts a cell process, with room for a busy machine's slow starts. */
function start(dataDir: string, args: readonly string[] = []): Promise<CellProcess> {
  return startCellProcess({ dataDir, args, timeoutMs: 120_000 });
}

/**
 * The data-dir lock is one the kernel releases with the process: a supervisor that restarts the
 * cell the instant it SIGKILLed it (without waiting for the exit) is never refused, and of two
 * cells started at once on one data dir exactly one runs.
 */
describe('data-dir lock across processes', () => {
  const dirs: string[] = [];

  afterAll(async () => {
    await stopAllCells();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`restarts ${CYCLES} times right after SIGKILL with no refused start and nothing lost`, {
    // About two seconds a start on an idle machine; generous for a busy one.
    timeout: 600_000,
  }, async () => {
    // Prepare
    const dataDir = tempDataDir('cell-restart-');
    dirs.push(dataDir);
    const refused: string[] = [];
    const acknowledged: string[] = [];
    let cell: CellProcess = await start(dataDir, CHEAP_START);

    // Act: each cycle acknowledges one event, SIGKILLs the cell and starts the next one at once.
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const invoiceId = `INV-RESTART-${cycle}`;
      const posted = await new CellClient(cell.url, TEST_API_KEY).post(
        stage.routePath,
        samples.event(stage, { invoiceId }),
      );
      if (posted.status === 200) acknowledged.push(invoiceId);
      const killed = cell;
      killed.child.kill('SIGKILL');
      try {
        cell = await start(dataDir, CHEAP_START);
      } catch (error) {
        refused.push(error instanceof Error ? error.message : String(error));
        await killed.exited;
        cell = await start(dataDir, CHEAP_START);
      }
      await killed.exited;
    }
    const client = new CellClient(cell.url, TEST_API_KEY);
    const stored = await waitFor(
      async () => {
        const found = await Promise.all(
          acknowledged.map(async (id) => (await client.get<TimelineBody>(`/invoices/${id}`)).status === 200),
        );
        return found.every(Boolean) ? found.length : undefined;
      },
      { what: 'every acknowledged event stored', timeoutMs: 60_000 },
    );
    await cell.stop();

    // Assess
    expect(refused).toEqual([]);
    expect(acknowledged).toHaveLength(CYCLES);
    expect(stored).toBe(CYCLES);
  });

  it('runs exactly one of two cells started at the same instant on one data dir', {
    timeout: 300_000,
  }, async () => {
    // Prepare
    const dataDir = tempDataDir('cell-twin-');
    dirs.push(dataDir);

    // Act
    const outcomes = await Promise.allSettled([start(dataDir), start(dataDir)]);
    const running = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
    const health = running[0] ? await new CellClient(running[0].url).get('/health') : undefined;
    const stopped = await Promise.all(running.map((c) => c.stop()));

    // Assess
    expect(running).toHaveLength(1);
    expect(health?.status).toBe(200);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toContain('cell exited with 1 before ready');
    expect(refusals[0]).toContain(`data dir ${dataDir} ${LOCK_REFUSAL}`);
    expect(stopped).toEqual([0]);
  });
});
