import { type Static, Type } from 'typebox';
import { IsoTimeSchema, List, Nullable, QueueMessageSchema, StageNameSchema } from './common.js';

/**
 * The operator routes: `GET /dlq/{stage}`, `POST`/`GET /dlq/{stage}/redrive` (SQS
 * `StartMessageMoveTask`, locally), `POST /replays`, `GET /replays/{name}` (EventBridge
 * `StartReplay`, locally) and `POST`/`DELETE /admin/faults` (only with `--enable-fault-injection`).
 *
 * @example
 * const task = (await res.json()) as RedriveStatusAnswer;
 * if (task.state === 'running') console.log(`${task.moved}/${task.total} moved`);
 */

/** A DLQ message: the queue message plus its receive count and when it was dead-lettered. */
export const DlqMessageSchema = Type.Object({
  ...QueueMessageSchema.properties,
  receiveCount: Type.Number(),
  deadLetteredAt: Nullable(IsoTimeSchema),
});
/** A DLQ message. */
export type DlqMessage = Static<typeof DlqMessageSchema>;

/** The body of `GET /dlq/{stage}?invoiceId=&limit=`. */
export const DlqAnswerSchema = Type.Object({
  stage: StageNameSchema,
  /** The subscriber whose DLQ this is (`?subscriber=`); absent for the stage's own DLQ. */
  subscriber: Type.Optional(Type.String()),
  /** The DLQ's logical id in the topology (`stage.ids.dlq`, or the subscriber's `ids.dlq`). */
  dlq: Type.String(),
  /** Messages in the DLQ (of the invoice, when `invoiceId` is given); may exceed `messages.length`. */
  total: Type.Number(),
  messages: List(DlqMessageSchema),
});
/** The body of `GET /dlq/{stage}`. */
export type DlqAnswer = Static<typeof DlqAnswerSchema>;

/** The body of a 200 answer of `POST /dlq/{stage}/redrive` with `dryRun: true`: nothing moved. */
export const RedriveDryRunAnswerSchema = Type.Object({
  stage: StageNameSchema,
  subscriber: Type.Optional(Type.String()),
  dryRun: Type.Literal(true),
  /** DLQ messages a redrive with this request would move now. */
  total: Type.Number(),
  moved: Type.Literal(0),
});
/** The body of a dry-run redrive. */
export type RedriveDryRunAnswer = Static<typeof RedriveDryRunAnswerSchema>;

/** State of a redrive task. */
export const RedriveStateSchema = Type.Union([
  Type.Literal('running'),
  Type.Literal('completed'),
  Type.Literal('failed'),
]);

/**
 * A redrive task (`RedriveStatus` of `cells/local/messaging/redrive-service.ts`): the 202 answer
 * of `POST /dlq/{stage}/redrive` and the 200 answer of `GET /dlq/{stage}/redrive`.
 */
export const RedriveStatusAnswerSchema = Type.Object({
  taskId: Type.String(),
  stage: StageNameSchema,
  /** Set when the task redrives a subscriber's DLQ. */
  subscriber: Type.Optional(Type.String()),
  invoiceId: Type.Optional(Type.String()),
  state: RedriveStateSchema,
  ratePerSec: Type.Number(),
  /** DLQ messages matching the request when the task started. */
  total: Type.Number(),
  moved: Type.Number(),
  startedAt: IsoTimeSchema,
  finishedAt: Type.Optional(IsoTimeSchema),
  error: Type.Optional(Type.String()),
});
/** A redrive task. */
export type RedriveStatusAnswer = Static<typeof RedriveStatusAnswerSchema>;

/** State of a replay; `dry-run` only in the answer of a dry run (which is not stored). */
export const ReplayStateSchema = Type.Union([
  Type.Literal('running'),
  Type.Literal('completed'),
  Type.Literal('failed'),
  Type.Literal('dry-run'),
]);

/**
 * A replay (`ReplayStatus` of `cells/local/bus/replay-service.ts`): the 200 (dry run) or 202
 * answer of `POST /replays` and the 200 answer of `GET /replays/{name}`.
 */
export const ReplayStatusAnswerSchema = Type.Object({
  name: Type.String(),
  state: ReplayStateSchema,
  /** The window of archive receive times, `[from, to)`. */
  from: IsoTimeSchema,
  to: IsoTimeSchema,
  stage: Type.Optional(StageNameSchema),
  invoiceId: Type.Optional(Type.String()),
  /** Archived events in the window when the replay started. */
  total: Type.Number(),
  replayed: Type.Number(),
  startedAt: IsoTimeSchema,
  finishedAt: Type.Optional(IsoTimeSchema),
  error: Type.Optional(Type.String()),
});
/** A replay. */
export type ReplayStatusAnswer = Static<typeof ReplayStatusAnswerSchema>;

/** The body of `POST /admin/faults` (the ids now refused by the store) and `DELETE` (`[]`). */
export const FaultsAnswerSchema = Type.Object({
  failEventIds: List(Type.String()),
});
/** The body of the fault-injection routes. */
export type FaultsAnswer = Static<typeof FaultsAnswerSchema>;
