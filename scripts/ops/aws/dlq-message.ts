import type { Message } from '@aws-sdk/client-sqs';
import { isoFromMs } from '../../../schemas/time.js';
import type { DlqMessage } from '../backend.js';

/**
 * The listing row of a received DLQ message: invoice from the message group (else the body's
 * event), event id from the body (else the dedup id), sent time from `SentTimestamp`. Pure.
 *
 * @example
 * const row = dlqMessageOf(received); // { messageId, invoiceId, eventId, receiveCount, sentAt, body }
 */
export function dlqMessageOf(m: Message): DlqMessage {
  const body = bodyOf(m.Body);
  const event = (body as { event?: { eventId?: unknown; invoiceId?: unknown } } | undefined)?.event;
  const attrs = m.Attributes ?? {};
  const sent = Number(attrs.SentTimestamp);
  return {
    messageId: m.MessageId ?? '',
    invoiceId: attrs.MessageGroupId ?? (typeof event?.invoiceId === 'string' ? event.invoiceId : ''),
    eventId: typeof event?.eventId === 'string' ? event.eventId : (attrs.MessageDeduplicationId ?? ''),
    receiveCount: Number(attrs.ApproximateReceiveCount ?? 0),
    sentAt: Number.isFinite(sent) && sent > 0 ? isoFromMs(sent) : '',
    body,
  };
}

/** The stage message inside a DLQ body: raw (the relay's JSON) or, defensively, an SNS envelope. */
function bodyOf(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as { Type?: unknown; Message?: unknown };
    if (parsed?.Type === 'Notification' && typeof parsed.Message === 'string') {
      try {
        return JSON.parse(parsed.Message);
      } catch {
        return parsed.Message;
      }
    }
    return parsed;
  } catch {
    return text;
  }
}
