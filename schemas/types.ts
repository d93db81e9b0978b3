import type { StageName } from '../cells/topology.js';
import type {
  AuthorizationEvent,
  IngestionEvent,
  PostingEvent,
  ReconciliationEvent,
} from './types.generated.js';

export type { AuthorizationEvent, IngestionEvent, PostingEvent, ReconciliationEvent };

/** Any stage's event, as producers send it. */
export type InvoiceEvent = IngestionEvent | ReconciliationEvent | AuthorizationEvent | PostingEvent;

/** Stage name → its event type. */
export interface StageEventMap {
  ingestion: IngestionEvent;
  reconciliation: ReconciliationEvent;
  authorization: AuthorizationEvent;
  posting: PostingEvent;
}

/**
 * What the bus carries as `detail` and the relay publishes as the topic message body: the event
 * as accepted plus the time the API accepted it (API Gateway `$context.requestTimeEpoch`, or the
 * local API's clock). Everything downstream is a pure function of this.
 */
export interface StageMessage {
  readonly stage: StageName;
  /** Epoch milliseconds at which the API accepted the event. */
  readonly receivedAtMs: number;
  readonly event: InvoiceEvent;
  /** Set when the message comes from an archive replay (EventBridge `replay-name`). */
  readonly replayName?: string;
}
