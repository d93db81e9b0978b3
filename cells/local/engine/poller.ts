import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { SQSRecord } from 'aws-lambda';
import type { Clock } from '../../../consumers/clock.js';
import type { BatchResponse } from '../../../consumers/stage-processor.js';
import type { StageTopology } from '../../topology.js';
import type { Logger } from '../logger.js';
import type { FifoQueue, ReceivedMessage } from '../messaging/fifo-queue.js';
import type { WriteBatcher } from '../storage/db.js';

/**
 * The local event source mapping: polls each stage's FIFO queue and invokes the stage processor
 * with SQS-shaped batches (≤ `batchSize` records shaped like `SQSRecord`), as Lambda does.
 *
 * - Up to `maxConcurrency` batches per stage run at once, each from groups with nothing in flight
 *   (the queue guarantees it), so different invoices proceed in parallel and one invoice never
 *   has two batches running.
 * - `batchItemFailures` is honoured: successes are deleted, failures are left in flight until
 *   their visibility timeout, then redelivered (or moved to the DLQ past `maxReceiveCount`).
 *   A batch that throws or exceeds `processorTimeoutSec` is retried whole, like a Lambda error.
 * - One job per tick applies the deletes of every finished batch and the receives of every new
 *   batch, across all stages, inside the engine's group commit (with the record writes and ingest
 *   commits of the same turn). That is what keeps SQLite commits few and large under load.
 *
 * @example
 * const poller = new QueuePoller({ batcher, stages, process: (stage, records) => processBatch(records, deps),
 *   clock: SYSTEM_CLOCK, logger, region: 'local' });
 * poller.start(); // later: await poller.stop();
 */

export interface PollerStage {
  readonly stage: StageTopology;
  readonly queue: FifoQueue;
}

export type BatchProcessor = (stage: StageTopology, records: SQSRecord[]) => Promise<BatchResponse>;

export interface QueuePollerOptions {
  /** The engine's group commit: the poller's deletes and receives join its next transaction. */
  readonly batcher: WriteBatcher;
  readonly stages: readonly PollerStage[];
  readonly process: BatchProcessor;
  readonly clock: Clock;
  readonly logger: Logger;
  /** For `awsRegion` and the queue ARNs in records. */
  readonly region: string;
  /** Backstop poll interval: visibility timeouts expire, other connections enqueue. */
  readonly idlePollMs?: number;
  /** Cap on messages received per tick across stages, to keep write transactions short. */
  readonly maxMessagesPerTick?: number;
  /**
   * While true (the disk is full), receive nothing: every batch would fail to store and spend a
   * receive of each message on the way to the DLQ. Deletes of finished batches still apply, and
   * failed poll transactions are not logged (the disk monitor logs the episode once).
   */
  readonly paused?: () => boolean;
}

export interface StagePollerStats {
  readonly batchesInFlight: number;
  readonly batches: number;
  readonly received: number;
  readonly deleted: number;
  readonly failedItems: number;
  readonly batchErrors: number;
  readonly timeouts: number;
}

interface StageState extends PollerStage {
  inFlight: number;
  batches: number;
  received: number;
  deleted: number;
  failedItems: number;
  batchErrors: number;
  timeouts: number;
}

interface Completion {
  readonly state: StageState;
  readonly receiptHandles: readonly string[];
}

class BatchTimeoutError extends Error {
  constructor(stage: string, timeoutSec: number) {
    super(`${stage} batch did not finish within ${timeoutSec} s`);
    this.name = 'BatchTimeoutError';
  }
}

export class QueuePoller {
  readonly #options: QueuePollerOptions;
  readonly #stages: StageState[];
  readonly #txn: (completions: Completion[], receive: boolean) => ReceivedMessage[][][];
  #completions: Completion[] = [];
  #timer: NodeJS.Timeout | undefined;
  #tickScheduled = false;
  #ticking = false;
  #again = false;
  #stopping = false;
  #drained: (() => void) | undefined;

  constructor(options: QueuePollerOptions) {
    this.#options = options;
    this.#stages = options.stages.map((s) => ({
      ...s,
      inFlight: 0,
      batches: 0,
      received: 0,
      deleted: 0,
      failedItems: 0,
      batchErrors: 0,
      timeouts: 0,
    }));
    const maxPerTick = options.maxMessagesPerTick ?? 2_000;
    this.#txn = (completions: Completion[], receive: boolean) => {
      for (const c of completions) c.state.deleted += c.state.queue.deleteMessages(c.receiptHandles);
      if (!receive) return this.#stages.map(() => []);
      let budget = maxPerTick;
      return this.#stages.map((s) => {
        const batchSize = s.stage.batchSize;
        const slots = Math.min(s.stage.maxConcurrency - s.inFlight, Math.floor(budget / batchSize));
        if (slots <= 0) return [];
        const batches = s.queue.receiveBatches(slots, batchSize);
        for (const b of batches) budget -= b.length;
        return batches;
      });
    };
  }

  start(): void {
    this.#timer = setInterval(() => this.wake(), this.#options.idlePollMs ?? 100);
    this.wake();
  }

  /** Asks for a poll soon (new messages were sent, a batch finished). */
  wake(): void {
    if (this.#tickScheduled) return;
    this.#tickScheduled = true;
    setImmediate(() => {
      this.#tickScheduled = false;
      void this.#tick();
    });
  }

  /** Stops receiving, lets running batches finish (bounded by their timeout), applies their deletes. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#timer);
    for (;;) {
      while (this.#ticking) await delay(5);
      if (this.#busy()) {
        await new Promise<void>((resolve) => {
          this.#drained = resolve;
        });
      } else if (this.#completions.length > 0) await this.#tick();
      else return;
    }
  }

  stats(): Record<string, StagePollerStats> {
    return Object.fromEntries(
      this.#stages.map((s) => [
        s.stage.name,
        {
          batchesInFlight: s.inFlight,
          batches: s.batches,
          received: s.received,
          deleted: s.deleted,
          failedItems: s.failedItems,
          batchErrors: s.batchErrors,
          timeouts: s.timeouts,
        },
      ]),
    );
  }

  #busy(): boolean {
    return this.#stages.some((s) => s.inFlight > 0);
  }

  async #tick(): Promise<void> {
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    this.#ticking = true;
    try {
      do {
        this.#again = false;
        const completions = this.#completions;
        this.#completions = [];
        const receive =
          !this.#stopping &&
          this.#options.paused?.() !== true &&
          this.#stages.some((s) => s.inFlight < s.stage.maxConcurrency && s.queue.hasReceivable());
        if (completions.length === 0 && !receive) continue;
        let received: ReceivedMessage[][][];
        try {
          received = await this.#options.batcher.run(() => this.#txn(completions, receive));
        } catch (error) {
          // The transaction rolled back but the in-memory indexes moved: rebuild them from the table.
          // Deletes that did not happen mean redelivery, which idempotent writes absorb.
          if (!this.#options.paused?.()) {
            this.#options.logger.error('poll transaction failed; reloading queues', { error });
          }
          for (const s of this.#stages) s.queue.reset();
          await delay(100);
          continue;
        }
        received.forEach((batches, i) => {
          const state = this.#stages[i] as StageState;
          for (const batch of batches) this.#dispatch(state, batch);
        });
      } while (this.#again);
    } finally {
      this.#ticking = false;
    }
  }

  #dispatch(state: StageState, batch: ReceivedMessage[]): void {
    state.inFlight++;
    state.batches++;
    state.received += batch.length;
    const records = batch.map((m) => this.#toSqsRecord(state, m));
    const timeoutSec = state.stage.processorTimeoutSec;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new BatchTimeoutError(state.stage.name, timeoutSec)),
        timeoutSec * 1000,
      );
    });
    Promise.race([this.#options.process(state.stage, records), deadline])
      .then(
        (response) => {
          const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
          state.failedItems += failed.size;
          const receiptHandles = batch.filter((m) => !failed.has(m.messageId)).map((m) => m.receiptHandle);
          if (receiptHandles.length > 0) this.#completions.push({ state, receiptHandles });
        },
        (error: unknown) => {
          if (error instanceof BatchTimeoutError) state.timeouts++;
          else state.batchErrors++;
          state.failedItems += batch.length;
          this.#options.logger.warn('batch failed as a whole; its messages will be redelivered', {
            stage: state.stage.name,
            messages: batch.length,
            error,
          });
        },
      )
      .finally(() => {
        clearTimeout(timer);
        state.inFlight--;
        if (this.#stopping && !this.#busy()) this.#drained?.();
        this.wake();
      });
  }

  #toSqsRecord(state: StageState, m: ReceivedMessage): SQSRecord {
    const region = this.#options.region;
    return {
      messageId: m.messageId,
      receiptHandle: m.receiptHandle,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAtMs),
        SenderId: 'local-cell',
        ApproximateFirstReceiveTimestamp: String(m.firstReceiveMs),
        SequenceNumber: m.sequenceNumber,
        MessageGroupId: m.groupId,
        MessageDeduplicationId: m.dedupId,
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(m.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:local:sqs:${region}:000000000000:${state.queue.config.name}.fifo`,
      awsRegion: region,
    };
  }
}
