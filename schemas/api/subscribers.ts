import { type Static, Type } from 'typebox';
import { List, QueueMessageSchema, StageNameSchema } from './common.js';

/**
 * The subscriber routes of the local cell, for a downstream team consuming a declared stage
 * subscriber's queue the way it would consume its SQS FIFO queue on AWS:
 * - `GET /subscribers/{stage}/{id}/messages?limit=`: depth and oldest messages, peeked without
 *   receiving them;
 * - `POST /subscribers/{stage}/{id}/receive` `{maxMessages?, visibilityTimeoutSec?}`: SQS
 *   `ReceiveMessage` (one in-flight batch per invoice, visibility timeout, max receives → DLQ);
 * - `POST /subscribers/{stage}/{id}/ack` `{receiptHandles}`: SQS `DeleteMessageBatch`, with a
 *   result per handle.
 * 404 for an undeclared subscriber (naming the declared ones), 400 for a bad body.
 *
 * @example
 * const { messages } = (await res.json()) as SubscriberReceiveAnswer;
 * await post(`/subscribers/ingestion/billify/ack`, { receiptHandles: messages.map((m) => m.receiptHandle) });
 */

/**
 * Most messages one receive returns and most handles one ack takes: SQS `ReceiveMessage`
 * `MaxNumberOfMessages` and `DeleteMessageBatch` entries are 1 to 10
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html).
 */
export const SUBSCRIBER_BATCH_MAX = 10;

/**
 * Longest visibility timeout of a receive: 12 hours, the SQS maximum
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html).
 */
export const MAX_VISIBILITY_TIMEOUT_SEC = 43_200;

/** The body of `GET /subscribers/{stage}/{id}/messages`. */
export const SubscriberMessagesAnswerSchema = Type.Object({
  stage: StageNameSchema,
  /** The subscriber id declared in the topology. */
  subscriber: Type.String(),
  /** The subscriber queue's name (`ids.queue`). */
  queue: Type.String(),
  /** Genuinely open: the SNS filter policy as declared (plain JSON, any nesting). */
  filterPolicy: Type.Record(Type.String(), Type.Unknown()),
  depth: Type.Number(),
  /** The subscriber DLQ's name (`ids.dlq`). */
  dlq: Type.String(),
  /** Messages moved to the subscriber's DLQ after `maxReceiveCount` receives without an ack. */
  dlqDepth: Type.Number(),
  messages: List(QueueMessageSchema),
});
/** The body of `GET /subscribers/{stage}/{id}/messages`. */
export type SubscriberMessagesAnswer = Static<typeof SubscriberMessagesAnswerSchema>;

/** A received subscriber message: the queue message plus what a receive adds. */
export const ReceivedSubscriberMessageSchema = Type.Object({
  ...QueueMessageSchema.properties,
  /** Pass it to ack; valid until the visibility timeout ends (a later receive issues a new one). */
  receiptHandle: Type.String(),
  /** Receives so far, this one included (SQS `ApproximateReceiveCount`). */
  receiveCount: Type.Number(),
  /** Monotonic per cell, 20 digits, like SQS FIFO `SequenceNumber`. */
  sequenceNumber: Type.String(),
});
/** A received subscriber message. */
export type ReceivedSubscriberMessage = Static<typeof ReceivedSubscriberMessageSchema>;

/** The body of `POST /subscribers/{stage}/{id}/receive`: possibly no messages. */
export const SubscriberReceiveAnswerSchema = Type.Object({
  stage: StageNameSchema,
  subscriber: Type.String(),
  queue: Type.String(),
  /** How long the received messages stay invisible (and their invoices blocked) without an ack. */
  visibilityTimeoutSec: Type.Number(),
  messages: List(ReceivedSubscriberMessageSchema),
});
/** The body of `POST /subscribers/{stage}/{id}/receive`. */
export type SubscriberReceiveAnswer = Static<typeof SubscriberReceiveAnswerSchema>;

/** A receipt handle an ack could not use, and why. */
export const FailedAckSchema = Type.Object({ receiptHandle: Type.String(), reason: Type.String() });
/** A receipt handle an ack could not use. */
export type FailedAck = Static<typeof FailedAckSchema>;

/** The body of `POST /subscribers/{stage}/{id}/ack`: every handle is in exactly one list. */
export const SubscriberAckAnswerSchema = Type.Object({
  stage: StageNameSchema,
  subscriber: Type.String(),
  /** Handles whose messages were deleted. */
  acked: List(Type.String()),
  failed: List(FailedAckSchema),
});
/** The body of `POST /subscribers/{stage}/{id}/ack`. */
export type SubscriberAckAnswer = Static<typeof SubscriberAckAnswerSchema>;
