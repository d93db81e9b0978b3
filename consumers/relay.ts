import type { CellTopology, StageTopology } from '../cells/topology.js';
import type { InvoiceEvent, StageMessage } from '../schemas/types.js';

/**
 * The relay: EventBridge rule target that publishes a bus event to its stage's FIFO topic with
 * `MessageGroupId = invoiceId` and `MessageDeduplicationId = eventId`. It exists because classic
 * EventBridge rules cannot target SNS FIFO topics (DESIGN §2a). Pure mapping + a publisher port;
 * the AWS adapter publishes with SNS PublishBatch, the local cell with its durable topic.
 *
 * @example
 * const result = await relayEvents([busEvent], topology, snsPublisher);
 * if (result.failed.length > 0) throw new RelayError(result.failed);
 */

/** The `detail` the API puts on the bus: the event as accepted and when it was accepted. */
export interface BusDetail {
  readonly receivedAtMs: number;
  readonly event: InvoiceEvent;
}

/** The EventBridge event shape the relay receives (a subset of `EventBridgeEvent`). */
export interface BusEvent {
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: BusDetail;
  /** Present on events delivered by an archive replay. */
  readonly 'replay-name'?: string;
}

/** One SNS FIFO publish request entry (PublishBatchRequestEntry subset). */
export interface PublishEntry {
  /** Unique within one PublishBatch call: [A-Za-z0-9_-], ≤ 80 chars. */
  readonly Id: string;
  readonly Message: string;
  readonly MessageGroupId: string;
  readonly MessageDeduplicationId: string;
}

export interface PublishFailure {
  readonly id: string;
  readonly reason: string;
  readonly senderFault: boolean;
}

/** Port: publishes ≤ 10 entries to one stage's topic. */
export interface StagePublisher {
  publishBatch(stage: StageTopology, entries: readonly PublishEntry[]): Promise<{ failed: PublishFailure[] }>;
}

/** SNS PublishBatch takes at most 10 entries. */
export const MAX_PUBLISH_BATCH = 10;

export class RelayError extends Error {
  readonly failures: readonly PublishFailure[];
  constructor(failures: readonly PublishFailure[]) {
    super(
      `relay failed for ${failures.length} event(s): ${failures.map((f) => `${f.id}: ${f.reason}`).join('; ')}`,
    );
    this.name = 'RelayError';
    this.failures = failures;
  }
}

/** The stage a bus event belongs to, by detail-type; throws for an event no rule should route here. */
export function stageOfBusEvent(event: BusEvent, topology: CellTopology): StageTopology {
  const stage = topology.stages.find((s) => s.detailType === event['detail-type']);
  if (!stage || event.source !== topology.settings.eventSource) {
    throw new Error(`no stage for source "${event.source}" and detail-type "${event['detail-type']}"`);
  }
  return stage;
}

/** The topic message body for a bus event. Pure. */
export function toStageMessage(event: BusEvent, stage: StageTopology): StageMessage {
  const replayName = event['replay-name'];
  return {
    stage: stage.name,
    receivedAtMs: event.detail.receivedAtMs,
    event: event.detail.event,
    ...(replayName ? { replayName } : {}),
  };
}

/** The publish entry for a bus event; `index` makes the entry id unique within its batch. Pure. */
export function toPublishEntry(event: BusEvent, stage: StageTopology, index: number): PublishEntry {
  const { invoiceId, eventId } = event.detail.event;
  return {
    Id: `e${index}`,
    Message: JSON.stringify(toStageMessage(event, stage)),
    MessageGroupId: invoiceId,
    MessageDeduplicationId: eventId,
  };
}

/**
 * Publishes bus events to their stage topics, ≤ 10 per call, and returns every failure by bus
 * event id, so the caller can make EventBridge (or the local bus) retry exactly those.
 */
export async function relayEvents(
  events: readonly BusEvent[],
  topology: CellTopology,
  publisher: StagePublisher,
): Promise<{ failed: PublishFailure[] }> {
  const byStage = new Map<StageTopology, BusEvent[]>();
  for (const event of events) {
    const stage = stageOfBusEvent(event, topology);
    byStage.set(stage, [...(byStage.get(stage) ?? []), event]);
  }
  const failed: PublishFailure[] = [];
  for (const [stage, stageEvents] of byStage) {
    for (let start = 0; start < stageEvents.length; start += MAX_PUBLISH_BATCH) {
      const chunk = stageEvents.slice(start, start + MAX_PUBLISH_BATCH);
      const entries = chunk.map((e, i) => toPublishEntry(e, stage, i));
      const result = await publisher.publishBatch(stage, entries);
      for (const f of result.failed) {
        const event = chunk[entries.findIndex((entry) => entry.Id === f.id)];
        failed.push({ ...f, id: event?.id ?? f.id });
      }
    }
  }
  return { failed };
}
