import { setTimeout as delay } from 'node:timers/promises';
import type { StageTopology } from '../../cells/topology.js';
import { type InvoiceDraw, LifecycleBatcher } from './scale-batches.js';
import { postBatch, readStats, waitStored } from './scale-http.js';

/**
 * Sending through the real HTTP pipeline: the fill's first records and every ingest probe. Events
 * go in 10-event batches to `POST /invoices/<stage>`, invoices moving through the stages in order
 * ({@link LifecycleBatcher}), from {@link HTTP_SENDERS} concurrent senders (closed loop); the
 * figure is events / (first send → `/stats` shows them all stored), i.e. ingest to queryable.
 *
 * @example
 * const probe = await sendOverHttp(cell, { source, stages, events: 20_000, label: 'probe' });
 * console.log(probe.eventsPerSec);
 */

/** Concurrent senders (as `bench:backup` fills its cell). */
export const HTTP_SENDERS = 32;
/** The POST batch size: the PutEvents limit. */
export const BATCH_SIZE = 10;
/** How long stored may lag the last accepted event before the bench warns and goes on. */
const DRAIN_TIMEOUT_MS = 10 * 60_000;
const PROGRESS_MS = 5_000;

/** Where to send: the cell's port and the bench's keys. */
export interface IngestTarget {
  readonly port: number;
  readonly producerKey: string;
  readonly operatorKey: string;
}

export interface HttpSendResult {
  /** Events accepted (every one, after retries). */
  readonly events: number;
  readonly requests: number;
  /** Requests sent again after 429/502/503. */
  readonly retries: number;
  /** First send until `/stats` counted every event stored (NaN when it never did). */
  readonly sec: number;
  readonly eventsPerSec: number;
  /** `/stats` `totals.stored` at the end. */
  readonly stored: number;
}

/** Sends `batcher`'s batches from `senders` closed-loop senders until it is done. */
async function sendAll(
  target: IngestTarget,
  batcher: LifecycleBatcher,
  senders: number,
  tally: { events: number; requests: number; retries: number },
): Promise<void> {
  const sender = async () => {
    for (;;) {
      const batch = batcher.next();
      if (!batch) {
        if (batcher.done) return;
        // The rest waits for batches in flight (an invoice's next event follows its accepted one).
        await delay(2);
        continue;
      }
      const { retries } = await postBatch(target.port, target.producerKey, batch);
      batcher.accepted(batch);
      tally.events += batch.items.length;
      tally.requests++;
      tally.retries += retries;
    }
  };
  await Promise.all(Array.from({ length: senders }, sender));
}

/**
 * Sends at least `events` events (whole lifecycles: a few more) and waits until they are stored.
 * Progress goes to `log` every 5 s.
 */
export async function sendOverHttp(
  target: IngestTarget,
  work: {
    readonly source: InvoiceDraw;
    readonly stages: readonly StageTopology[];
    readonly events: number;
    readonly label: string;
    readonly log: (line: string) => void;
  },
): Promise<HttpSendResult> {
  const before = (await readStats(target.port, target.operatorKey)).totals.stored;
  const batcher = new LifecycleBatcher({
    source: work.source,
    stages: work.stages,
    batchSize: BATCH_SIZE,
    budget: work.events,
  });
  const tally = { events: 0, requests: 0, retries: 0 };
  const started = performance.now();
  const progress = setInterval(() => {
    const sec = (performance.now() - started) / 1000;
    work.log(
      `${work.label}: ${tally.events.toLocaleString('en-US')} / ${work.events.toLocaleString('en-US')} events accepted ` +
        `(${Math.round(tally.events / sec).toLocaleString('en-US')}/s)`,
    );
  }, PROGRESS_MS);
  try {
    await sendAll(target, batcher, HTTP_SENDERS, tally);
  } finally {
    clearInterval(progress);
  }
  const { stored, reachedAt } = await waitStored(
    target.port,
    target.operatorKey,
    before + tally.events,
    DRAIN_TIMEOUT_MS,
  );
  const sec = (reachedAt - started) / 1000;
  return { ...tally, sec, eventsPerSec: tally.events / sec, stored };
}
