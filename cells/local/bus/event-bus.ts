import {
  type BusEvent,
  type PublishEntry,
  RelayError,
  relayEvents,
  type StagePublisher,
} from '../../../consumers/relay.js';
import { type CompiledMatcher, compileEventPattern } from '../../matching/index.js';
import {
  type CellTopology,
  type StageName,
  type StageRulePattern,
  type StageTopology,
  stageRulePattern,
} from '../../topology.js';
import type { FifoTopic } from '../messaging/fifo-topic.js';

/**
 * The local event bus: one rule per stage whose event pattern is the one the CDK `EventRouting`
 * construct gives the stage's rule (the cell's event source and the stage's detail-type), run by
 * the same EventBridge pattern matcher the ops CLI uses; the rule's target is the shared relay code
 * (`relayEvents`), which publishes to the stage's FIFO topic. The archive is `event-archive.ts`.
 *
 * The relay is async (it awaits its publisher port) while SQLite transactions are synchronous, so
 * publishing is split in two: {@link EventBus.route} runs the rules and the relay with a publisher
 * that only collects the entries (no I/O, in the API thread), then the engine thread archives the
 * event and hands the entries to the topics in one write transaction
 * (`EventArchive.insert` + {@link deliverToTopics}). One commit thus covers "archived +
 * routed + enqueued", and the producer's 2xx is sent only after it.
 *
 * @example
 * const routed = await bus.route(busEvents);             // API thread
 * const wire = routed.map(toWireEvent);                  // posted to the engine
 * archive.insert(wire[0]); deliverToTopics(wire[0], topics); // engine, inside a transaction
 */

/** A rule: events its pattern matches go to the relay for `stage`. */
export interface BusRule {
  readonly name: string;
  /** The EventBridge event pattern, as the deployed rule has it. */
  readonly pattern: StageRulePattern;
  /** {@link pattern}, compiled once. */
  readonly matcher: CompiledMatcher;
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

/** The relay's publisher port, locally: collects entries; the engine delivers them in a transaction. */
export class CollectingStagePublisher implements StagePublisher {
  readonly published: { stage: StageTopology; entries: PublishEntry[] }[] = [];

  async publishBatch(stage: StageTopology, entries: readonly PublishEntry[]) {
    this.published.push({ stage, entries: [...entries] });
    return { failed: [] };
  }
}

/** One rule per stage, derived from the topology, with its pattern compiled once. */
export function busRules(topology: CellTopology): BusRule[] {
  return topology.stages.map((stage) => {
    const pattern = stageRulePattern(topology.settings, stage);
    return { name: stage.ids.rule, pattern, matcher: compileEventPattern(pattern), stage };
  });
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
      const matched = events.filter((e) => rule.matcher.matches(e));
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
