import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../../../consumers/clock.js';
import type { RedriveStatusAnswer } from '../../../schemas/api/index.js';
import type { StageName } from '../../topology.js';
import type { Logger } from '../logger.js';
import { type DatabaseHandle, runWrite } from '../storage/db.js';
import type { FifoQueue } from './fifo-queue.js';

/**
 * DLQ redrive (SQS `StartMessageMoveTask`, locally): moves a stage's DLQ messages (all, or one
 * invoice's) back to the end of the stage queue at a bounded rate, as a background task; one task
 * per queue at a time. Redriven messages lose their place in order, which is why record writes are
 * idempotent. Tasks live in memory: a task cut short by a restart leaves the rest in the DLQ, to be
 * redriven again.
 *
 * @example
 * const task = redrive.start({ stage: 'posting', invoiceId: 'INV-1', ratePerSec: 50 });
 * redrive.status('posting'); // { state: 'completed', total: 3, moved: 3, ... }
 * redrive.start({ stage: 'ingestion', subscriber: 'billify' }); // a subscriber's DLQ
 */

export const DEFAULT_REDRIVE_RATE_PER_SEC = 500;
export const MAX_REDRIVE_RATE_PER_SEC = 10_000;

export interface RedriveRequest {
  readonly stage: StageName;
  /** A declared subscriber of the stage: its DLQ instead of the stage's. */
  readonly subscriber?: string;
  readonly invoiceId?: string;
  readonly ratePerSec?: number;
}

/** A redrive task as `POST`/`GET /dlq/{stage}/redrive` answer it: the contract's type. */
export type RedriveStatus = RedriveStatusAnswer;

export class RedriveRunningError extends Error {
  constructor(stage: string, taskId: string) {
    super(`a redrive of the ${stage} DLQ is already running (task ${taskId}); wait for it to finish`);
    this.name = 'RedriveRunningError';
  }
}

interface Task {
  status: RedriveStatus;
  run: Promise<void>;
}

export interface RedriveServiceOptions {
  readonly db: DatabaseHandle;
  readonly queues: ReadonlyMap<StageName, FifoQueue>;
  /** Subscriber queues by `<stage>/<subscriber id>` (`subscriberKey`), redriven on request. */
  readonly subscriberQueues?: ReadonlyMap<string, FifoQueue>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called after each step that moved messages (wakes the poller). */
  readonly onMoved?: () => void;
}

const STEP_MS = 100;

/** The DLQ a request addresses: `<stage>` or `<stage>/<subscriber id>` (as `subscriberKey`). */
function taskKey(target: { stage: string; subscriber?: string | undefined }): string {
  return target.subscriber === undefined ? target.stage : `${target.stage}/${target.subscriber}`;
}

export class RedriveService {
  readonly #options: RedriveServiceOptions;
  /** By DLQ: the stage name, or `<stage>/<subscriber id>`. */
  readonly #tasks = new Map<string, Task>();
  #stopping = false;

  constructor(options: RedriveServiceOptions) {
    this.#options = options;
  }

  #queue(target: { stage: StageName; subscriber?: string | undefined }): FifoQueue {
    const key = taskKey(target);
    const queue =
      target.subscriber === undefined
        ? this.#options.queues.get(target.stage)
        : this.#options.subscriberQueues?.get(key);
    if (!queue) throw new Error(`no queue for ${key}`);
    return queue;
  }

  /** How many DLQ messages a redrive with this request would move now. */
  count(request: RedriveRequest): number {
    return this.#queue(request).dlqDepth(request.invoiceId);
  }

  start(request: RedriveRequest): RedriveStatus {
    const key = taskKey(request);
    const running = this.#tasks.get(key);
    if (running?.status.state === 'running') throw new RedriveRunningError(key, running.status.taskId);
    const ratePerSec = request.ratePerSec ?? DEFAULT_REDRIVE_RATE_PER_SEC;
    const task: Task = {
      status: {
        taskId: randomUUID(),
        stage: request.stage,
        ...(request.subscriber !== undefined ? { subscriber: request.subscriber } : {}),
        ...(request.invoiceId ? { invoiceId: request.invoiceId } : {}),
        state: 'running',
        ratePerSec,
        total: this.count(request),
        moved: 0,
        startedAt: new Date(this.#options.clock.now()).toISOString(),
      },
      run: Promise.resolve(),
    };
    task.run = this.#run(task).catch((error: unknown) => {
      this.#options.logger.error('redrive failed', { dlq: key, error });
      this.#finish(task, 'failed', String(error));
    });
    this.#tasks.set(key, task);
    return task.status;
  }

  /** The running or last task of a stage's DLQ, or of one of its subscribers' DLQs. */
  status(stage: StageName, subscriber?: string): RedriveStatus | undefined {
    return this.#tasks.get(taskKey({ stage, subscriber }))?.status;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.allSettled([...this.#tasks.values()].map((t) => t.run));
  }

  #finish(task: Task, state: 'completed' | 'failed', error?: string): void {
    task.status = {
      ...task.status,
      state,
      finishedAt: new Date(this.#options.clock.now()).toISOString(),
      ...(error ? { error } : {}),
    };
  }

  async #run(task: Task): Promise<void> {
    const queue = this.#queue(task.status);
    const groupId = task.status.invoiceId;
    const { db } = this.#options;
    let allowance = 0;
    let last = Date.now();
    const move = db.transaction((limit: number) =>
      queue.redrive(groupId === undefined ? { limit } : { groupId, limit }),
    );
    while (!this.#stopping && task.status.moved < task.status.total) {
      const now = Date.now();
      // Token bucket: earn ratePerSec per second, spend one per message, never bank more than a second.
      allowance = Math.min(
        task.status.ratePerSec,
        allowance + ((now - last) / 1000) * task.status.ratePerSec,
      );
      last = now;
      const limit = Math.min(Math.floor(allowance), task.status.total - task.status.moved, 1_000);
      if (limit >= 1) {
        const moved = await runWrite({ immediate: () => move.immediate(limit) });
        allowance -= moved;
        task.status = { ...task.status, moved: task.status.moved + moved };
        if (moved > 0) this.#options.onMoved?.();
        if (moved < limit) break; // the DLQ holds fewer than counted (another task, or a delete)
        if (task.status.moved >= task.status.total) break;
      }
      await delay(STEP_MS);
    }
    if (this.#stopping && task.status.moved < task.status.total) {
      this.#finish(task, 'failed', 'the cell stopped before the task finished; the rest is still in the DLQ');
    } else this.#finish(task, 'completed');
    this.#options.logger.info('redrive finished', { dlq: taskKey(task.status), moved: task.status.moved });
  }
}
