import { PutEventsCommand, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import type { StageTopology } from '../../../cells/topology.js';
import { isTransientAwsError } from '../../../consumers/aws/aws-errors.js';
import type { BusDetail } from '../../../consumers/relay.js';
import type { InvoiceEvent } from '../../../schemas/types.js';
import { type SendEntryResult, TransientSendError } from '../backend.js';
import type { AwsCell } from './aws-cell.js';
import { awsError } from './aws-error.js';

/**
 * `send` on a deployed cell: EventBridge `PutEvents` to the cell bus (Source = topology
 * eventSource, DetailType = the stage's, Detail = `BusDetail`), ≤ 10 entries. This skips API
 * Gateway (which needs SigV4 + a usage-plan key) and stamps `receivedAtMs` here. A throttled or
 * unavailable bus is a {@link TransientSendError} (the load runner retries it); `FailedEntryCount`
 * becomes per-entry errors, the same `accepted`/`failed` results (`errorCode`, `errorMessage`) the
 * ingest API answers on both cells (`schemas/api/ingest.ts`), so `send` reports alike.
 *
 * @example
 * const results = await sendEvents(aws, stage, [event]);
 */
export async function sendEvents(
  aws: AwsCell,
  stage: StageTopology,
  events: readonly InvoiceEvent[],
): Promise<SendEntryResult[]> {
  const resources = await aws.resources();
  const receivedAtMs = aws.now();
  const entries = events.map((event) => {
    const detail: BusDetail = { receivedAtMs, event };
    return {
      EventBusName: resources.busName,
      Source: aws.topology.settings.eventSource,
      DetailType: stage.detailType,
      Detail: JSON.stringify(detail),
    };
  });
  let output: PutEventsCommandOutput;
  try {
    output = await aws.clients.eventBridge.send(new PutEventsCommand({ Entries: entries }));
  } catch (error) {
    if (isTransientAwsError(error)) {
      throw new TransientSendError(`PutEvents to ${resources.busName}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    throw awsError(`PutEvents to ${resources.busName}`, error);
  }
  return entryResults(stage, events, output);
}

/** Pairs each event with its answered entry, in order. Pure. */
function entryResults(
  stage: StageTopology,
  events: readonly InvoiceEvent[],
  output: PutEventsCommandOutput,
): SendEntryResult[] {
  const answered = output.Entries ?? [];
  return events.map((event, i) => {
    const entry = answered[i];
    const base = { eventId: event.eventId, invoiceId: event.invoiceId, stage: stage.name };
    if (entry?.EventId && !entry.ErrorCode) return { ...base, status: 'accepted', busEventId: entry.EventId };
    return {
      ...base,
      status: 'failed',
      errorCode: entry?.ErrorCode ?? 'NoEntryInAnswer',
      errorMessage:
        entry?.ErrorMessage ??
        `PutEvents answered FailedEntryCount ${output.FailedEntryCount ?? '?'} without an entry for this event`,
    };
  });
}
