import { isStageName, type StageName } from '../../../cells/topology.js';
import {
  REDRIVE_STATES,
  REPLAY_STATES,
  type RedriveProgress,
  type RedriveRequest,
  type ReplayProgress,
  type ReplayState,
} from '../backend.js';
import { asRecord, num, optional, str } from './answer-fields.js';

/**
 * The local cell's redrive and replay status answers (`POST`/`GET /dlq/{stage}/redrive`,
 * `POST /replays`, `GET /replays/{name}`) as the CLI's progress. Pure.
 *
 * @example
 * const progress = redriveProgressOf('posting', answer.body, request);
 */
export function redriveProgressOf(stage: StageName, raw: unknown, request: RedriveRequest): RedriveProgress {
  const body = asRecord(raw);
  const state = str(body.state);
  const dryRun = body.dryRun === true;
  const mapped =
    dryRun || request.dryRun
      ? REDRIVE_STATES.dryRun
      : state === 'completed'
        ? REDRIVE_STATES.completed
        : state === 'failed'
          ? REDRIVE_STATES.failed
          : REDRIVE_STATES.running;
  return {
    stage,
    state: mapped,
    ...optional('invoiceId', str(body.invoiceId) ?? request.invoiceId),
    total: num(body.total),
    moved: num(body.moved),
    ...optional('taskId', str(body.taskId)),
    ...optional('error', str(body.error)),
    notes: [],
  };
}

const LOCAL_REPLAY_STATES: Readonly<Record<string, ReplayState>> = {
  running: REPLAY_STATES.running,
  completed: REPLAY_STATES.completed,
  failed: REPLAY_STATES.failed,
  'dry-run': REPLAY_STATES.dryRun,
};

/** A replay status answer as progress; an unknown state reads as failed. Pure. */
export function replayProgressOf(raw: unknown): ReplayProgress {
  const body = asRecord(raw);
  const stage = str(body.stage);
  const total = num(body.total);
  const replayed = num(body.replayed);
  return {
    name: str(body.name) ?? '',
    state: LOCAL_REPLAY_STATES[str(body.state) ?? ''] ?? REPLAY_STATES.failed,
    from: str(body.from) ?? '',
    to: str(body.to) ?? '',
    ...(stage && isStageName(stage) ? { stage } : {}),
    ...optional('invoiceId', str(body.invoiceId)),
    total,
    replayed,
    ...(total > 0 ? { fraction: replayed / total } : {}),
    ...optional('error', str(body.error)),
    notes: [],
  };
}
