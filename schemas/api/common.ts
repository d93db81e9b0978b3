import { type Static, type TLiteral, type TSchema, type TUnion, Type } from 'typebox';
import { STAGE_SETTINGS } from '../../cells/topology.js';

/**
 * Building blocks shared by the answers of the local cell's HTTP API.
 *
 * Numbers are `Type.Number`, never `Type.Integer`, even for counts: fastify's serializer
 * (fast-json-stringify) truncates a non-integer under an integer schema, and a schema must never
 * change an answer. Money is always a decimal string; no answer carries a bigint.
 *
 * @example
 * const Page = Type.Object({ stage: StageNameSchema, items: List(Type.String()) });
 */

/**
 * A read-only JSON array of `item`: the server hands out readonly arrays, so the static type is
 * `readonly T[]` (the JSON Schema is a plain `type: array`).
 *
 * @example
 * const Ids = List(Type.String()); // Static<typeof Ids> = readonly string[]
 */
export function List<Item extends TSchema>(item: Item, options: { description?: string } = {}) {
  return Type.Immutable(Type.Array(item, options));
}

/** An RFC 3339 UTC time as `Date.prototype.toISOString()` writes it, e.g. `2026-11-20T09:15:00.000Z`. */
export const IsoTimeSchema = Type.String({ format: 'date-time' });

/** Milliseconds since the Unix epoch. */
export const EpochMsSchema = Type.Number();

/**
 * One of `values`: `anyOf` of `const` literals at runtime, the union of the values statically.
 * (TypeBox types a union of a mapped, non-tuple array as `never`, hence the one cast.)
 *
 * @example
 * const Color = LiteralUnion(['red', 'green'] as const); // Static: 'red' | 'green'
 */
export function LiteralUnion<const T extends string>(
  values: readonly T[],
  options: { description?: string } = {},
) {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as unknown as TUnion<[TLiteral<T>]>;
}

/** A stage name of the topology (`cells/topology.ts`), in lifecycle order. */
export const StageNameSchema = LiteralUnion(
  STAGE_SETTINGS.map((s) => s.name),
  { description: 'a stage of the cell topology' },
);
/** A stage name: `ingestion`, `reconciliation`, `authorization` or `posting`. */
export type StageNameValue = Static<typeof StageNameSchema>;

/** `null` or `schema`. */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/**
 * A FIFO queue message as operators see it (`describeQueueMessage` in
 * `cells/local/messaging/fifo-queue.ts`): ids named for invoices, the send time, and the body.
 */
export const QueueMessageSchema = Type.Object({
  messageId: Type.String(),
  /** The message group id: the invoice. */
  invoiceId: Type.String(),
  /** The deduplication id: the event. */
  eventId: Type.String(),
  sentAt: IsoTimeSchema,
  /**
   * Genuinely open: the parsed JSON body (a stage message `{stage, receivedAtMs, event,
   * replayName?}`) or, when the body is not JSON (a poison message), the raw text.
   */
  message: Type.Unknown(),
});
/** A FIFO queue message as operators see it. */
export type QueueMessage = Static<typeof QueueMessageSchema>;
