import { isoFromMs } from '../../../schemas/time.js';
import type { DlqRow } from './queue-statements.js';

/**
 * Stored queue messages as callers see them: {@link DlqMessage} for DLQ listings and peeks, and
 * {@link describeQueueMessage} for the HTTP answers of the DLQ and subscriber routes.
 *
 * @example
 * queue.listDlq({ limit: 10 }).map(describeQueueMessage);
 * // [{ messageId, invoiceId: 'INV-1', eventId, sentAt: '2026-11-20T09:15:00.000Z', message: {...} }]
 */

/** A stored message read without receiving it (DLQ listing, peek). */
export interface DlqMessage {
  readonly messageId: string;
  readonly groupId: string;
  readonly dedupId: string;
  readonly body: string;
  readonly sentAtMs: number;
  readonly receiveCount: number;
  readonly deadLetteredAtMs: number | null;
}

/** A listed row as a {@link DlqMessage}. */
export function dlqMessageOf(row: DlqRow): DlqMessage {
  return {
    messageId: row.message_id,
    groupId: row.group_id,
    dedupId: row.dedup_id,
    body: row.body,
    sentAtMs: row.sent_at_ms,
    receiveCount: row.receive_count,
    deadLetteredAtMs: row.dead_lettered_at_ms,
  };
}

/**
 * A stored message as operators see it over HTTP: ids named for invoices, times as RFC 3339, and
 * the body parsed when it is JSON (shown raw otherwise, so a poison body is still visible).
 */
export function describeQueueMessage(m: DlqMessage) {
  let message: unknown;
  try {
    message = JSON.parse(m.body);
  } catch {
    message = m.body;
  }
  return {
    messageId: m.messageId,
    invoiceId: m.groupId,
    eventId: m.dedupId,
    sentAt: isoFromMs(m.sentAtMs),
    message,
  };
}
