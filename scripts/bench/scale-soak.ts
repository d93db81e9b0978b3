import { setTimeout as delay } from 'node:timers/promises';
import type { StageTopology } from '../../cells/topology.js';
import { isoFromMs } from '../../schemas/time.js';
import { request } from './bench-http.js';
import { percentile } from './percentile.js';
import { batchEvents, type InvoiceDraw, LifecycleBatcher, type StageBatch } from './scale-batches.js';
import { processRssMiB } from './scale-cell.js';
import { BATCH_SIZE, type IngestTarget } from './scale-fill.js';
import { readAs, readStats } from './scale-http.js';
import { READ_WINDOWS } from './scale-reads.js';
import { type SoakMinute, soakRow } from './scale-soak-report.js';

/**
 * The soak: events sent open loop at `rate` events/s in 10-event batches (a request every
 * 10/rate s whether or not the last one answered, as producers do; at most {@link OUTSTANDING_CAP}
 * outstanding, a send beyond it is skipped and counted), invoices moving through the stages in
 * order, and a dashboard read every 5 s (the views in turn, last 24 h). Each minute it prints a
 * row ({@link soakRow}): events sent, the cell's RSS, ingest and read p99 of the requests that
 * finished in that minute, the slowest request, requests over 1 s and the backlog (`/stats`
 * visible + in flight). A request is counted in the minute it finished, so a stalled request
 * shows up in the minute it stalled, not after the row was printed. A request that fails is
 * counted, not retried (its invoices stop there).
 *
 * @example
 * const minutes = await runSoak({ target, pid, source, stages, views, minutes: 30, rate: 1_500, log });
 */

/** Open-loop sends outstanding at most (as `npm run bench`'s open loop). */
export const OUTSTANDING_CAP = 512;
const READ_EVERY_MS = 5_000;
const MINUTE_MS = 60_000;
const SLOW_MS = 1_000;

export interface SoakOptions {
  readonly target: IngestTarget;
  /** The cell process, for its RSS. */
  readonly pid: number;
  readonly source: InvoiceDraw;
  readonly stages: readonly StageTopology[];
  /** Dashboard views to read in turn. */
  readonly views: readonly string[];
  readonly minutes: number;
  readonly rate: number;
  readonly log: (line: string) => void;
}

/** One minute's counters while it runs. */
interface MinuteTally {
  sentEvents: number;
  acceptedEvents: number;
  skippedEvents: number;
  failedRequests: number;
  readonly ingestMs: number[];
  readonly readMs: number[];
}

function newTally(): MinuteTally {
  return { sentEvents: 0, acceptedEvents: 0, skippedEvents: 0, failedRequests: 0, ingestMs: [], readMs: [] };
}

/** The soak's shared state: clock origin, per-minute tallies, requests in flight. */
class SoakRun {
  readonly started = performance.now();
  readonly endsAt: number;
  readonly tallies: MinuteTally[];
  readonly inFlight = new Set<Promise<void>>();

  constructor(readonly options: SoakOptions) {
    this.endsAt = this.started + options.minutes * MINUTE_MS;
    this.tallies = Array.from({ length: options.minutes }, newTally);
  }

  /** The tally of the minute `t` falls in (the last one for stragglers after the end). */
  tallyAt(t: number): MinuteTally {
    const m = Math.min(this.tallies.length - 1, Math.max(0, Math.floor((t - this.started) / MINUTE_MS)));
    return this.tallies[m] as MinuteTally;
  }

  track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }
}

async function postOnce(run: SoakRun, batcher: LifecycleBatcher, batch: StageBatch): Promise<void> {
  const { port, producerKey } = run.options.target;
  const started = performance.now();
  let ok = false;
  try {
    const res = await request(
      port,
      producerKey,
      'POST',
      batch.stage.routePath,
      JSON.stringify({ events: batchEvents(batch) }),
    );
    ok = res.status === 200;
  } catch {
    ok = false;
  }
  const ended = performance.now();
  const tally = run.tallyAt(ended);
  tally.ingestMs.push(ended - started);
  if (ok) {
    batcher.accepted(batch);
    tally.acceptedEvents += batch.items.length;
  } else tally.failedRequests++;
}

/** Sends a batch every 10/rate s until the end, skipping sends beyond the outstanding cap. */
async function sendLoop(run: SoakRun): Promise<void> {
  const { source, stages, rate } = run.options;
  const batcher = new LifecycleBatcher({
    source,
    stages,
    batchSize: BATCH_SIZE,
    budget: Number.POSITIVE_INFINITY,
  });
  const intervalMs = (1000 * BATCH_SIZE) / rate;
  let outstanding = 0;
  for (let i = 0; ; i++) {
    const due = run.started + i * intervalMs;
    if (due >= run.endsAt) return;
    const wait = due - performance.now();
    if (wait > 1) await delay(wait);
    const tally = run.tallyAt(due);
    if (outstanding >= OUTSTANDING_CAP) {
      tally.skippedEvents += BATCH_SIZE;
      continue;
    }
    const batch = batcher.next() as StageBatch;
    tally.sentEvents += batch.items.length;
    outstanding++;
    run.track(postOnce(run, batcher, batch).finally(() => outstanding--));
  }
}

/** One dashboard read, counted in the minute it finished. */
async function readOnce(run: SoakRun, urlPath: string): Promise<void> {
  const { target } = run.options;
  const started = performance.now();
  let ok = false;
  try {
    ok = (await readAs(target.port, target.operatorKey, urlPath)).status === 200;
  } catch {
    ok = false;
  }
  const ended = performance.now();
  const tally = run.tallyAt(ended);
  tally.readMs.push(ended - started);
  if (!ok) tally.failedRequests++;
}

/** A dashboard read every 5 s, the views in turn, each over the last 24 h. */
async function readLoop(run: SoakRun): Promise<void> {
  const { views } = run.options;
  const windowMs = READ_WINDOWS[0].ms;
  for (let i = 1; ; i++) {
    const due = run.started + i * READ_EVERY_MS;
    if (due >= run.endsAt || views.length === 0) return;
    await delay(Math.max(0, due - performance.now()));
    const nowMs = Date.now();
    const query = `from=${encodeURIComponent(isoFromMs(nowMs - windowMs))}&to=${encodeURIComponent(isoFromMs(nowMs))}`;
    const read = readOnce(run, `/dashboards/${views[i % views.length]}/data?${query}`);
    run.track(read);
    await read;
  }
}

/** At each minute's end: the row of that minute, printed and kept. */
async function minuteLoop(run: SoakRun, minutes: SoakMinute[]): Promise<void> {
  const { target, pid, log } = run.options;
  for (let m = 0; m < run.tallies.length; m++) {
    await delay(Math.max(0, run.started + (m + 1) * MINUTE_MS - performance.now()));
    // The last minute waits for its stragglers, which are counted in it.
    if (m === run.tallies.length - 1) while (run.inFlight.size > 0) await Promise.all([...run.inFlight]);
    let backlog = Number.NaN;
    try {
      const totals = (await readStats(target.port, target.operatorKey)).totals;
      backlog = totals.visible + totals.inFlight;
    } catch {
      // Shown as n/a: a cell that cannot answer /stats is itself the finding.
    }
    const minute = minuteOf(m + 1, run.tallies[m] as MinuteTally, processRssMiB(pid), backlog);
    minutes.push(minute);
    log(soakRow(minute));
  }
}

function minuteOf(minute: number, t: MinuteTally, rssMiB: number, backlog: number): SoakMinute {
  const ingest = [...t.ingestMs].sort((a, b) => a - b);
  const reads = [...t.readMs].sort((a, b) => a - b);
  const all = [...ingest, ...reads];
  return {
    minute,
    sentEvents: t.sentEvents,
    acceptedEvents: t.acceptedEvents,
    skippedEvents: t.skippedEvents,
    failedRequests: t.failedRequests,
    rssMiB,
    ingestP99Ms: percentile(ingest, 0.99),
    readP99Ms: percentile(reads, 0.99),
    maxMs: all.length > 0 ? Math.max(...all) : Number.NaN,
    over1s: all.filter((ms) => ms > SLOW_MS).length,
    backlog,
  };
}

/** Runs the soak; answers the minutes (also printed one by one). */
export async function runSoak(options: SoakOptions): Promise<SoakMinute[]> {
  const run = new SoakRun(options);
  const minutes: SoakMinute[] = [];
  await Promise.all([sendLoop(run), readLoop(run), minuteLoop(run, minutes)]);
  return minutes;
}
