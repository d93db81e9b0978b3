import { type Static, Type } from 'typebox';
import { List, QueueMessageSchema, StageNameSchema } from './common.js';

/**
 * `GET /subscribers/{stage}/{id}/messages?limit=`: a declared stage subscriber's queue (depth and
 * oldest messages, peeked without receiving them). 404 for an undeclared subscriber.
 *
 * @example
 * const answer = (await res.json()) as SubscriberMessagesAnswer;
 * console.log(`${answer.subscriber}: ${answer.depth} waiting`);
 */
export const SubscriberMessagesAnswerSchema = Type.Object({
  stage: StageNameSchema,
  /** The subscriber id declared in the topology. */
  subscriber: Type.String(),
  /** The subscriber queue's name (`ids.queue`). */
  queue: Type.String(),
  /** Genuinely open: the SNS filter policy as declared (plain JSON, any nesting). */
  filterPolicy: Type.Record(Type.String(), Type.Unknown()),
  depth: Type.Number(),
  messages: List(QueueMessageSchema),
});
/** The body of `GET /subscribers/{stage}/{id}/messages`. */
export type SubscriberMessagesAnswer = Static<typeof SubscriberMessagesAnswerSchema>;
