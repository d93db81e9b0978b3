import os from 'node:os';
import { SampleEvents } from '../cells/local/sample-events.js';
import type { SynchronousMode } from '../cells/local/storage/db.js';
import { CELL_TOPOLOGY } from '../cells/topology.js';
import { readBenchOptions } from './bench/bench-options.js';
import { BodyFactory } from './bench/body-factory.js';
import { rawCeiling } from './bench/raw-ceiling.js';
import { fmt, resultsTable } from './bench/results-table.js';
import { runScenario, type ScenarioRow } from './bench/scenario.js';

/**
 * `npm run bench` — throughput and latency of the local cell, measured from a separate process
 * over loopback. Prints figures; never fails on them.
 *
 * For each SQLite synchronous mode (full, normal) and each request shape (1 event per POST,
 * 10 events per POST) it runs a steady scenario (open loop at 5,000 events/s) and a max scenario
 * (closed loop, concurrency cap), each bounded in time and count, then drains and reads
 * ingest-to-queryable latency (stored_at_ms − receivedAtMs, both stamped by the cell) from the
 * SQLite file opened read-only after the cell stopped. It also measures the raw durable-append
 * ceiling: the same rows (archive + queue message + dedup + record) inserted with no pipeline.
 *
 * The pieces live in scripts/bench/: the cell child process, the HTTP client and request bodies,
 * the open and closed load loops, the stored-latency readout, the raw ceiling and the table.
 *
 * Options (argv): --duration-sec 15 --steady-rate 5000 --concurrency 64 --max-events 400000
 *   --sync full,normal --sizes 1,10 --rates 5000,0 (0 = max) --quick (5 s runs, smaller ceiling run)
 */
const options = readBenchOptions(process.argv.slice(2));
const topology = CELL_TOPOLOGY;
const samples = new SampleEvents(topology);
const bodies = new BodyFactory(topology, samples);

async function main(): Promise<void> {
  console.log(
    `local cell bench: ${os.cpus().length} cores, node ${process.version}, ${options.durationSec} s per scenario, ` +
      `steady ${options.steadyRate} events/s (open loop, ≤ ${options.openLoopCap} outstanding), max = closed loop with ${options.concurrency} senders`,
  );
  const ceilings = new Map<string, number>();
  for (const sync of options.syncModes) {
    const ceiling = rawCeiling(sync.toUpperCase() as SynchronousMode, {
      topology,
      samples,
      quick: options.quick,
    });
    ceilings.set(sync, ceiling);
    console.log(`raw durable-append ceiling (synchronous=${sync}): ${fmt(ceiling)} events/s`);
  }
  const rows: ScenarioRow[] = [];
  for (const sync of options.syncModes) {
    for (const size of options.sizes) {
      for (const rate of options.rates) {
        const row = await runScenario({ topology, bodies, options }, sync, size, rate);
        rows.push(row);
        console.log(
          `done: ${row.scenario} sync=${sync}: accepted ${fmt(row.load.acceptedEvents / row.load.wallSec)}/s, ` +
            `p99 ingest-to-queryable ${fmt(row.stored.p99Ms)} ms`,
        );
      }
    }
  }
  for (const line of resultsTable(rows, ceilings)) console.log(line);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
