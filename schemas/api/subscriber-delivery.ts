import { type Static, Type } from 'typebox';

/**
 * HTTP push to declared subscriber endpoints: the envelope the local cell POSTs, and
 * `GET /subscribers/signing-key`, the public key a receiver verifies envelopes with.
 *
 * @example
 * const { publicKeyPem, keyId } = (await (await fetch(`${cell}/subscribers/signing-key`)).json()) as SigningKeyAnswer;
 */

/**
 * The JSON body of each push, shaped like an SNS HTTP notification
 * (https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html) with the FIFO fields and
 * an Ed25519 signature instead of SNS's certificate-based one.
 */
export const SubscriberNotificationSchema = Type.Object({
  Type: Type.Literal('Notification'),
  /** The subscriber queue's message id: the same on every redelivery of one message. */
  MessageId: Type.String(),
  /** `local:<cell>:<stage topic id>`, standing in for the topic ARN. */
  TopicArn: Type.String(),
  /** The subscriber id and stage, so one receiver can serve several subscriptions. */
  Subscription: Type.String(),
  /** When the stage topic delivered the message to the subscriber queue (RFC 3339, UTC). */
  Timestamp: Type.String(),
  /** The stage message as a JSON string (`StageMessage`, schemas/types.ts), as SNS sends `Message`. */
  Message: Type.String(),
  /** The invoice id: messages of one group arrive in order, one at a time. */
  MessageGroupId: Type.String(),
  /** Monotonic per cell (20 digits), as SQS FIFO's `SequenceNumber`. */
  SequenceNumber: Type.String(),
  SignatureVersion: Type.Literal('ed25519-1'),
  /** Base64 Ed25519 signature of the canonical string (see `canonicalNotificationString`). */
  Signature: Type.String(),
  /** Which key signed it: `keyId` of `GET /subscribers/signing-key`. */
  SigningKeyId: Type.String(),
});
/** The body of a push to a subscriber endpoint. */
export type SubscriberNotification = Static<typeof SubscriberNotificationSchema>;

/** `GET /subscribers/signing-key`: the cell's Ed25519 public key for envelope signatures. */
export const SigningKeyAnswerSchema = Type.Object({
  algorithm: Type.Literal('ed25519'),
  /** Matches `SigningKeyId` of the envelopes this key signed. */
  keyId: Type.String(),
  /** SPKI public key, PEM. */
  publicKeyPem: Type.String(),
  signatureVersion: Type.Literal('ed25519-1'),
});
/** The body of `GET /subscribers/signing-key`. */
export type SigningKeyAnswer = Static<typeof SigningKeyAnswerSchema>;
