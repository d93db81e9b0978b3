import type { StageName } from '../../../cells/topology.js';
import type {
  RedriveDryRunAnswer,
  RedriveStatusAnswer,
  ReplayStatusAnswer,
} from '../../../schemas/api/index.js';
import {
  REDRIVE_STATES,
  REPLAY_STATES,
  type RedriveProgress,
  type RedriveRequest,
  type ReplayProgress,
  type ReplayState,
} from '../backend.js';
import { optional } from './answer-fields.js';

/**
 * The local cell's redrive and replay answers (`POST`/`GET /dlq/{stage}/redrive`, `POST /replays`,
 * `GET /replays/{name}`), already checked against the HTTP contract (`contractAnswer`), as the
 * CLI's progress. Pure.
 *
 * @example
 * const progress = redriveProgressOf('posting', contractAnswer('redriveStatus', 200, body), request);
 */

const REDRIVE_STATE_OF: Readonly<Record<RedriveStatusAnswer['state'], RedriveProgress['state']>> = {
  running: REDRIVE_STATES.running,
  completed: REDRIVE_STATES.completed,
  failed: REDRIVE_STATES.failed,
};

/** A dry run's count, or a redrive task, as progress (a dry-run answer carries `dryRun: true`). */
export function redriveProgressOf(
  stage: StageName,
  answer: RedriveDryRunAnswer | RedriveStatusAnswer,
  request: RedriveRequest,
): RedriveProgress {
  if ('dryRun' in answer) {
    const { total, moved } = answer;
    return {
      stage,
      ...optional('subscriber', request.subscriber),
      state: REDRIVE_STATES.dryRun,
      ...optional('invoiceId', request.invoiceId),
      total,
      moved,
      notes: [],
    };
  }
  return {
    stage,
    ...optional('subscriber', request.subscriber),
    state: REDRIVE_STATE_OF[answer.state],
    ...optional('invoiceId', answer.invoiceId ?? request.invoiceId),
    total: answer.total,
    moved: answer.moved,
    taskId: answer.taskId,
    ...optional('error', answer.error),
    notes: [],
  };
}

const REPLAY_STATE_OF: Readonly<Record<ReplayStatusAnswer['state'], ReplayState>> = {
  running: REPLAY_STATES.running,
  completed: REPLAY_STATES.completed,
  failed: REPLAY_STATES.failed,
  'dry-run': REPLAY_STATES.dryRun,
};

/** A replay answer as progress. Pure. */
export function replayProgressOf(answer: ReplayStatusAnswer): ReplayProgress {
  const { total, replayed } = answer;
  return {
    name: answer.name,
    state: REPLAY_STATE_OF[answer.state],
    from: answer.from,
    to: answer.to,
    ...optional('stage', answer.stage),
    ...optional('invoiceId', answer.invoiceId),
    total,
    replayed,
    ...(total > 0 ? { fraction: replayed / total } : {}),
    ...optional('error', answer.error),
    notes: [],
  };
}
