import {
  CancelMessageMoveTaskCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { StageTopology } from '../../../cells/topology.js';
import {
  InterruptedError,
  REDRIVE_STATES,
  type RedriveProgress,
  type RedriveRequest,
  UsageError,
  type Watch,
} from '../backend.js';
import { type AwsCell, pausePoll } from './aws-cell.js';
import { awsCall } from './aws-error.js';
import { queueNameFromUrl } from './cell-resources.js';
import { type DlqQueues, dlqQueues } from './dlq-queues.js';
import { queueDepth } from './queue-depth.js';

/** SQS `MaxNumberOfMessagesPerSecond` of a move task: 1..500. */
export const MAX_MOVE_TASK_RATE = 500;
const TERMINAL_MOVE_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
const APPROXIMATE = 'SQS counts are approximate';

/**
 * `dlq redrive` (all messages) on a deployed cell: `StartMessageMoveTask` DLQ → stage queue,
 * `ListMessageMoveTasks` polled until the task ends, `CancelMessageMoveTask` on Ctrl-C (then
 * {@link InterruptedError}). A dry run, or an empty DLQ, starts nothing.
 *
 * @example
 * const done = await redriveWithMoveTask(aws, stage, { dryRun: false, ratePerSec: 50 }, watch);
 */
export async function redriveWithMoveTask(
  aws: AwsCell,
  stage: StageTopology,
  request: RedriveRequest,
  watch: Watch<RedriveProgress>,
): Promise<RedriveProgress> {
  const r = await dlqQueues(aws, stage, request.subscriber);
  const rate = request.ratePerSec;
  if (rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > MAX_MOVE_TASK_RATE)) {
    throw new UsageError(
      `--rate must be an integer from 1 to ${MAX_MOVE_TASK_RATE} for an SQS move task, got ${rate}`,
    );
  }
  const depth = await queueDepth(aws.clients.sqs, r.dlqUrl);
  const total = depth.visible + depth.inFlight;
  if (request.dryRun || total === 0) {
    const progress: RedriveProgress = request.dryRun
      ? {
          stage: stage.name,
          state: REDRIVE_STATES.dryRun,
          total,
          moved: 0,
          notes: [
            `would start a message move task ${queueNameFromUrl(r.dlqUrl)} -> ${queueNameFromUrl(r.queueUrl)}`,
            APPROXIMATE,
          ],
        }
      : { stage: stage.name, state: REDRIVE_STATES.completed, total: 0, moved: 0, notes: [APPROXIMATE] };
    watch.onProgress(progress);
    return progress;
  }
  const startedAtMs = aws.now();
  const started = await awsCall(`StartMessageMoveTask ${queueNameFromUrl(r.dlqUrl)}`, () =>
    aws.clients.sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: r.dlqArn,
        DestinationArn: r.queueArn,
        ...(rate !== undefined ? { MaxNumberOfMessagesPerSecond: rate } : {}),
      }),
    ),
  );
  const first: RedriveProgress = {
    stage: stage.name,
    state: REDRIVE_STATES.running,
    moved: 0,
    total: depth.visible,
    ...(started.TaskHandle ? { taskId: started.TaskHandle } : {}),
    notes: [APPROXIMATE],
  };
  return watchMoveTask(aws, r, { handle: started.TaskHandle, startedAtMs, first }, watch);
}

/** Polls the move task until it ends, cancelling it once on abort. */
async function watchMoveTask(
  aws: AwsCell,
  r: DlqQueues,
  task: { handle: string | undefined; startedAtMs: number; first: RedriveProgress },
  watch: Watch<RedriveProgress>,
): Promise<RedriveProgress> {
  const { handle } = task;
  let progress = task.first;
  let cancelled = false;
  watch.onProgress(progress);
  for (;;) {
    if (watch.signal.aborted && !cancelled && handle) {
      cancelled = true;
      await awsCall('CancelMessageMoveTask', () =>
        aws.clients.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: handle })),
      );
    }
    await pausePoll(aws, cancelled ? undefined : watch.signal);
    const found = await findMoveTask(aws, r.dlqArn, handle, task.startedAtMs);
    if (found) {
      progress = progressOfTask(progress, found);
      watch.onProgress(progress);
      if (TERMINAL_MOVE_STATES.has(found.Status ?? 'RUNNING')) break;
    }
  }
  if (cancelled) {
    throw new InterruptedError(
      `cancelled the ${progress.stage} move task after ~${progress.moved} message(s); the rest stays in the DLQ`,
    );
  }
  return progress;
}

/** The progress a listed move task shows. Pure. */
function progressOfTask(previous: RedriveProgress, task: ListMessageMoveTasksResultEntry): RedriveProgress {
  const status = task.Status ?? 'RUNNING';
  return {
    ...previous,
    moved: task.ApproximateNumberOfMessagesMoved ?? previous.moved,
    ...(task.ApproximateNumberOfMessagesToMove !== undefined
      ? { total: task.ApproximateNumberOfMessagesToMove }
      : {}),
    state:
      status === 'COMPLETED'
        ? REDRIVE_STATES.completed
        : status === 'FAILED'
          ? REDRIVE_STATES.failed
          : status === 'CANCELLED'
            ? REDRIVE_STATES.cancelled
            : REDRIVE_STATES.running,
    ...(task.FailureReason ? { error: task.FailureReason } : {}),
  };
}

/**
 * The move task this run started: by handle while it runs (only running tasks carry one), else the
 * most recent task started since this run began. `ListMessageMoveTasks` has no NextToken: it
 * returns at most 10 tasks, most recent first.
 */
async function findMoveTask(
  aws: AwsCell,
  sourceArn: string,
  handle: string | undefined,
  startedAtMs: number,
): Promise<ListMessageMoveTasksResultEntry | undefined> {
  const out = await awsCall('ListMessageMoveTasks', () =>
    aws.clients.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 })),
  );
  const results = out.Results ?? [];
  return (
    results.find((t) => handle !== undefined && t.TaskHandle === handle) ??
    results.find((t) => (t.StartedTimestamp ?? 0) >= startedAtMs - 60_000)
  );
}
