import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CellTopology } from '../../cells/topology.js';
import type { BenchOptions } from './bench-options.js';
import type { BodyFactory } from './body-factory.js';
import { startCell, stopCell } from './cell-process.js';
import { generateLoad, type LoadResult, WARMUP_EVENTS, waitDrained, warmUp } from './load-loops.js';
import { readStoredFigures, type StoredFigures } from './stored-figures.js';

/** One scenario's figures: a row of the results table. */
export interface ScenarioRow {
  readonly scenario: string;
  readonly sync: string;
  readonly load: LoadResult;
  readonly stored: StoredFigures;
}

/**
 * One scenario on a fresh cell: warm up, run the timed load, drain, stop the cell, then read the
 * stored figures from its file. The cell and its data directory are removed whatever happens.
 *
 * @example
 * const row = await runScenario({ topology, bodies, options }, 'normal', 10, 0);
 */
export async function runScenario(
  bench: { readonly topology: CellTopology; readonly bodies: BodyFactory; readonly options: BenchOptions },
  sync: string,
  size: number,
  rate: number,
): Promise<ScenarioRow> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cell-bench-'));
  const cell = await startCell(dataDir, sync, bench.options.apiKey);
  try {
    const target = { ...bench, port: cell.port };
    // Warm up the validators and connections before the clock starts.
    await warmUp(target);
    const loadStartMs = Date.now();
    const load = await generateLoad(target, size, rate);
    await waitDrained(target, load.acceptedEvents + WARMUP_EVENTS);
    await stopCell(cell);
    const stored = readStoredFigures(dataDir, loadStartMs);
    return {
      scenario: `${size === 1 ? 'single' : `batch ${size}`} @ ${rate > 0 ? `${rate}/s` : `max (c=${bench.options.concurrency})`}`,
      sync,
      load,
      stored,
    };
  } finally {
    await stopCell(cell);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
