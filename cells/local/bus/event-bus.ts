import type { Statement } from 'better-sqlite3';
import {
  type BusEvent,
  type PublishEntry,
  RelayError,
  relayEvents,
  type StagePublisher,
} from '../../../consumers/relay.js';
import type { CellTopology, StageName, StageTopology } from '../../topology.js';
import type { FifoTopic } from '../messaging/fifo-topic.js';
import type { DatabaseHandle } from '../storage/db.js';

/**
 * The local event bus: one rule per stage (source + detail-type, from the topology) whose target
 * is the shared relay code (`relayEvents`), which publishes to the stage's FIFO topic; and the
 * archive of every accepted event.
 *
 * The relay is async (it awaits its publisher port) while SQLite transactions are synchronous, so
 * publishing is split in two: {@link EventBus.route} runs the rules and the relay with a publisher
 * that only collects the entries (no I/O, in the API thread), then the engine thread archives the
 * event and hands the entries to the topics in one write transaction
 * ({@link EventArchive.insert} + {@link deliverToTopics}). One commit thus covers "archived +
 * routed + enqueued", and the producer's 2xx is sent only after it.
 *
 * @example
 * const routed = await bus.route(busEvents);             // API thread
 * const wire = routed.map(toWireEvent);                  // posted to the engine
 * archive.insert(wire[0]); deliverToTopics(wire[0], topics); // engine, inside a transaction
 */

/** A rule: events with this source and detail-type go to the relay for `stage`. */
export interface BusRule {
  readonly name: string;
  readonly source: string;
  readonly detailType: string;
  readonly stage: StageTopology;
}

export interface StageDelivery {
  readonly stage: StageTopology;
  readonly entries: readonly PublishEntry[];
}

/** A bus event with the topic entries its rules produced. */
export interface RoutedEvent {
  readonly event: BusEvent;
  readonly deliveries: readonly StageDelivery[];
}

/** A routed event as plain strings and numbers, cheap to post between threads. */
export interface WireEvent {
  readonly eventId: string;
  readonly invoiceId: string;
  readonly busEventId: string;
  readonly detailType: string;
  readonly receivedAtMs: number;
  /** The bus event as archived (JSON). */
  readonly busEventJson: string;
  readonly deliveries: readonly { readonly stage: StageName; readonly entries: readonly PublishEntry[] }[];
}

export interface ArchivedEvent {
  readonly seq: number;
  readonly busEventId: string;
  readonly receivedAtMs: number;
  readonly body: string;
}

/** The relay's publisher port, locally: collects entries; the engine delivers them in a transaction. */
export class CollectingStagePublisher implements StagePublisher {
  readonly published: { stage: StageTopology; entries: PublishEntry[] }[] = [];

  async publishBatch(stage: StageTopology, entries: readonly PublishEntry[]) {
    this.published.push({ stage, entries: [...entries] });
    return { failed: [] };
  }
}

/** One rule per stage, derived from the topology. */
export function busRules(topology: CellTopology): BusRule[] {
  return topology.stages.map((stage) => ({
    name: stage.ids.rule,
    source: topology.settings.eventSource,
    detailType: stage.detailType,
    stage,
  }));
}

export class EventBus {
  readonly topology: CellTopology;
  readonly rules: readonly BusRule[];

  constructor(topology: CellTopology) {
    this.topology = topology;
    this.rules = busRules(topology);
  }

  /**
   * Runs every matching rule's target (the relay) over the events; no I/O. Throws
   * {@link RelayError} if the relay reports failures.
   */
  async route(events: readonly BusEvent[]): Promise<RoutedEvent[]> {
    const deliveries = new Map<BusEvent, StageDelivery[]>(events.map((e) => [e, []]));
    for (const rule of this.rules) {
      const matched = events.filter((e) => e.source === rule.source && e['detail-type'] === rule.detailType);
      if (matched.length === 0) continue;
      const publisher = new CollectingStagePublisher();
      const result = await relayEvents(matched, this.topology, publisher);
      if (result.failed.length > 0) throw new RelayError(result.failed);
      const entries = publisher.published.flatMap((p) => p.entries);
      // relayEvents keeps the order of one stage's events; check it rather than trust it.
      if (entries.length !== matched.length) {
        throw new Error(`relay produced ${entries.length} entries for ${matched.length} events`);
      }
      matched.forEach((event, i) => {
        const entry = entries[i] as PublishEntry;
        if (entry.MessageDeduplicationId !== event.detail.event.eventId) {
          throw new Error(`relay entry ${i} does not belong to event ${event.detail.event.eventId}`);
        }
        deliveries.get(event)?.push({ stage: rule.stage, entries: [entry] });
      });
    }
    return events.map((event) => ({ event, deliveries: deliveries.get(event) ?? [] }));
  }
}

export function toWireEvent(routed: RoutedEvent): WireEvent {
  const { event } = routed;
  return {
    eventId: event.detail.event.eventId,
    invoiceId: event.detail.event.invoiceId,
    busEventId: event.id,
    detailType: event['detail-type'],
    receivedAtMs: event.detail.receivedAtMs,
    busEventJson: JSON.stringify(event),
    deliveries: routed.deliveries.map((d) => ({ stage: d.stage.name, entries: d.entries })),
  };
}

/** Publishes a routed event's entries to their stage topics (inside the caller's transaction). */
export function deliverToTopics(event: WireEvent, topics: ReadonlyMap<StageName, FifoTopic>): void {
  for (const delivery of event.deliveries) {
    const topic = topics.get(delivery.stage);
    if (!topic) throw new Error(`no topic for stage ${delivery.stage}`);
    topic.publish(delivery.entries);
  }
}

/** The bus archive table. */
export class EventArchive {
  readonly #find: Statement<
    [string],
    { seq: number; bus_event_id: string; received_at_ms: number; body: string }
  >;
  readonly #insert: Statement<[string, string, string, string, number, string]>;

  constructor(db: DatabaseHandle) {
    this.#find = db.prepare('SELECT seq, bus_event_id, received_at_ms, body FROM archive WHERE event_id = ?');
    this.#insert = db.prepare(
      `INSERT INTO archive (event_id, bus_event_id, detail_type, invoice_id, received_at_ms, body)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
  }

  /** The archived event with this producer event id, if any. */
  find(eventId: string): ArchivedEvent | undefined {
    const row = this.#find.get(eventId);
    return row
      ? { seq: row.seq, busEventId: row.bus_event_id, receivedAtMs: row.received_at_ms, body: row.body }
      : undefined;
  }

  /** Archives one event (inside the caller's transaction). */
  insert(event: WireEvent): void {
    this.#insert.run(
      event.eventId,
      event.busEventId,
      event.detailType,
      event.invoiceId,
      event.receivedAtMs,
      event.busEventJson,
    );
  }
}
