import { setTimeout as delay } from 'node:timers/promises';
import type { CellTopology, StageTopology } from '../../cells/topology.js';
import { request } from './bench-http.js';
import { type BenchOptions, DRAIN_TIMEOUT_MS } from './bench-options.js';
import type { BodyFactory } from './body-factory.js';
import { percentile } from './percentile.js';

/** A cell under load: where to send and what. */
export interface LoadTarget {
  readonly port: number;
  readonly topology: CellTopology;
  readonly bodies: BodyFactory;
  readonly options: BenchOptions;
}

export interface LoadResult {
  readonly sentEvents: number;
  readonly acceptedEvents: number;
  readonly failedRequests: number;
  readonly wallSec: number;
  readonly requestP50Ms: number;
  readonly requestP99Ms: number;
  readonly lateRequests: number;
}

/** Counters one load run shares between its senders. */
interface LoadTally {
  next: number;
  accepted: number;
  failed: number;
  late: number;
  outstanding: number;
  readonly latencies: number[];
  readonly started: number;
  readonly deadline: number;
  readonly maxRequests: number;
}

/**
 * Sends requests of `size` events, at most `maxEventsPerRun` in all. rate > 0: open loop (a
 * request every size/rate seconds, at most `openLoopCap` outstanding; a send that finds the cap
 * reached is skipped and counted late). rate = 0: closed loop with `concurrency` senders.
 *
 * @example
 * const load = await generateLoad(target, 10, 5_000);
 */
export async function generateLoad(target: LoadTarget, size: number, rate: number): Promise<LoadResult> {
  const started = performance.now();
  const tally: LoadTally = {
    next: 0,
    accepted: 0,
    failed: 0,
    late: 0,
    outstanding: 0,
    latencies: [],
    started,
    deadline: started + target.options.durationSec * 1000,
    maxRequests: Math.ceil(target.options.maxEventsPerRun / size),
  };
  const sendOne = (i: number) => sendRequest(target, tally, size, i);
  if (rate > 0) await openLoop(tally, (1000 * size) / rate, target.options.openLoopCap, sendOne);
  else await closedLoop(tally, target.options.concurrency, sendOne);
  const wallSec = (performance.now() - started) / 1000;
  tally.latencies.sort((a, b) => a - b);
  return {
    sentEvents: tally.next * size,
    acceptedEvents: tally.accepted,
    failedRequests: tally.failed,
    wallSec,
    requestP50Ms: percentile(tally.latencies, 0.5),
    requestP99Ms: percentile(tally.latencies, 0.99),
    lateRequests: tally.late,
  };
}

/** Request `i`: a body of `size` events of the stage `i` falls on, timed. */
async function sendRequest(target: LoadTarget, tally: LoadTally, size: number, i: number): Promise<void> {
  const stages = target.topology.stages;
  const stage = stages[i % stages.length] as StageTopology;
  const body = target.bodies.body(stage, size);
  const t0 = performance.now();
  tally.outstanding++;
  try {
    const res = await request(target.port, target.options.apiKey, 'POST', stage.routePath, body);
    if (res.status === 200) tally.accepted += size;
    else tally.failed++;
  } catch {
    tally.failed++;
  } finally {
    tally.outstanding--;
    tally.latencies.push(performance.now() - t0);
  }
}

async function openLoop(
  tally: LoadTally,
  intervalMs: number,
  cap: number,
  sendOne: (i: number) => Promise<void>,
): Promise<void> {
  const { started, deadline, maxRequests } = tally;
  const inFlight = new Set<Promise<void>>();
  while (tally.next < maxRequests && performance.now() < deadline) {
    const due = started + tally.next * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await delay(wait);
    // Catch up on every send that is due (timers are coarse), each as its own request.
    while (tally.next < maxRequests && started + tally.next * intervalMs <= performance.now()) {
      if (tally.outstanding >= cap) {
        tally.late++;
        tally.next++;
        continue;
      }
      const p = sendOne(tally.next++);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    if (wait <= 1) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(inFlight);
}

async function closedLoop(
  tally: LoadTally,
  concurrency: number,
  sendOne: (i: number) => Promise<void>,
): Promise<void> {
  const worker = async () => {
    while (performance.now() < tally.deadline && tally.next < tally.maxRequests) await sendOne(tally.next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export const WARMUP_EVENTS = 200;

/** Warms up the validators and connections before the clock starts: 20 requests of 10 events. */
export async function warmUp(target: LoadTarget): Promise<void> {
  const { topology, bodies, port, options } = target;
  for (let i = 0; i < WARMUP_EVENTS / 10; i++) {
    const stage = topology.stages[i % topology.stages.length] as StageTopology;
    const res = await request(port, options.apiKey, 'POST', stage.routePath, bodies.body(stage, 10));
    if (res.status !== 200) throw new Error(`warm-up request failed: ${res.status} ${res.body}`);
  }
}

/** Polls `/stats` until every accepted event is stored and the queues are empty, or warns. */
export async function waitDrained(target: LoadTarget, accepted: number): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const res = await request(target.port, target.options.apiKey, 'GET', '/stats');
    const stats = JSON.parse(res.body) as { totals: { stored: number; visible: number; inFlight: number } };
    if (stats.totals.stored >= accepted && stats.totals.visible === 0 && stats.totals.inFlight === 0) return;
    await delay(200);
  }
  process.stderr.write('warning: the cell did not drain within the timeout\n');
}
