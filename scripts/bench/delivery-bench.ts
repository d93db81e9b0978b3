import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { SampleEvents } from '../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../cells/topology.js';
import { mulberry32 } from '../ops/seeded-random.js';
import { startCell, stopCell } from './cell-process.js';
import { type DeliveryBenchOptions, DeliveryOptionsError, parseDeliveryOptions } from './delivery-options.js';
import { type DeliveryReceiver, startDeliveryReceiver } from './delivery-receiver.js';
import { deliveryReport } from './delivery-report.js';
import { planDeliveryEvents, sendRounds } from './delivery-send.js';
import { DeliveryTally } from './delivery-tally.js';

/**
 * `npm run bench:delivery -- [--events 20000] [--events-per-invoice 5] [--fail-rate 0.05] ...`
 * (options: `delivery-options.ts`): HTTP push delivery figures of a local cell. A receiver on
 * 127.0.0.1 in this process (`delivery-receiver.ts`) is declared as a push subscriber of the first
 * stage (matching every event) through `--subscribers <file>`, the cell runs as a child process
 * with the default delivery policy, the events are sent invoice by invoice in order
 * (`delivery-send.ts`), and once all are delivered (or the drain deadline passes) the figures are
 * printed (`delivery-report.ts`): events/s delivered, accepted → received latency, retries,
 * duplicates and per-invoice order violations. Exit 0 when everything was delivered in order,
 * 1 otherwise, 2 for bad options.
 *
 * @example
 * npm run bench:delivery -- --events 20000 --fail-rate 0.05
 */

const PROGRESS_EVERY_MS = 5_000;
/** After the last delivery, how long late duplicates may still arrive before the figures are read. */
const SETTLE_MS = 1_000;

async function waitForDelivery(tally: DeliveryTally, sent: number, deadlineMs: number): Promise<boolean> {
  let lastProgress = Date.now();
  while (tally.delivered < sent) {
    if (Date.now() >= deadlineMs) return false;
    await delay(100);
    if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      process.stderr.write(`delivered ${tally.delivered} of ${sent}\n`);
    }
  }
  return true;
}

async function run(options: DeliveryBenchOptions): Promise<boolean> {
  const stage = CELL_TOPOLOGY.stages[0] as StageTopology;
  const plan = planDeliveryEvents(stage, new SampleEvents(CELL_TOPOLOGY), options);
  const tally = new DeliveryTally({
    failRate: options.failRate,
    random: mulberry32(options.seed),
    sent: plan.sent,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-bench-'));
  let receiver: DeliveryReceiver | undefined;
  try {
    receiver = await startDeliveryReceiver(tally);
    const file = path.join(dir, 'subscribers.json');
    // Every message of the stage matches: the filter is the stage name itself.
    const subscriber = {
      id: 'delivery-bench',
      filterPolicy: { stage: [stage.name] },
      endpoint: receiver.url,
    };
    fs.writeFileSync(file, JSON.stringify({ [stage.name]: [subscriber] }));
    const apiKey = `delivery-bench-${randomBytes(16).toString('hex')}`;
    const cell = await startCell(path.join(dir, 'cell'), options.synchronous, apiKey, {
      extraArgs: ['--subscribers', file],
      // Every refused push logs a warning in the cell: the receiver counts them instead.
      echoWarnings: false,
    });
    try {
      const sendStartMs = Date.now();
      await sendRounds(cell.port, apiKey, stage, plan.rounds, options);
      const sendEndMs = Date.now();
      const delivered = await waitForDelivery(
        tally,
        plan.sent.size,
        sendEndMs + options.drainTimeoutSec * 1000,
      );
      await delay(SETTLE_MS);
      const report = deliveryReport({
        options,
        sent: plan.sent.size,
        sendStartMs,
        sendEndMs,
        figures: tally.figures(),
        timedOut: !delivered,
      });
      for (const line of report.lines) console.log(line);
      return report.ok;
    } finally {
      await stopCell(cell);
    }
  } finally {
    await receiver?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

let options: DeliveryBenchOptions;
try {
  options = parseDeliveryOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof DeliveryOptionsError)) throw error;
  process.stderr.write(`delivery bench: ${error.message}\n`);
  process.exit(2);
}
run(options).then(
  (ok) => {
    process.exitCode = ok ? 0 : 1;
  },
  (error: unknown) => {
    process.stderr.write(`delivery bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
