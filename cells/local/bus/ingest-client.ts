import { randomUUID } from 'node:crypto';
import type { BusEvent } from '../../../consumers/relay.js';
import type { InvoiceEvent } from '../../../schemas/types.js';
import type { CellTopology, StageTopology } from '../../topology.js';
import { type EventBus, toWireEvent } from './event-bus.js';
import type { EntryResult, IngestBatch } from './ingest-committer.js';

/**
 * The API thread's side of the write path: turns validated events into bus events (id, source,
 * detail-type, receive time), runs the bus rules and the relay, and posts the result to the engine
 * thread, which archives and enqueues it in its next group commit. Resolves with the per-entry
 * results once that commit is durable.
 *
 * @example
 * const entries = await ingest.submit(stage, validation.events, Date.now());
 */

/** The write could not be committed (database busy or failing); the producer should retry. */
export class IngestUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IngestUnavailableError';
  }
}

export type CommitFn = (batch: IngestBatch) => Promise<EntryResult[]>;

/**
 * The bus event the API makes of an accepted event: a fresh id, the cell's source, the stage's
 * detail-type and the receive time (what the archive keeps and reconciliation counts as accepted).
 *
 * @example
 * const busEvent = busEventOf(topology, stage, event, Date.now());
 */
export function busEventOf(
  topology: CellTopology,
  stage: StageTopology,
  event: InvoiceEvent,
  receivedAtMs: number,
): BusEvent {
  return {
    id: randomUUID(),
    source: topology.settings.eventSource,
    'detail-type': stage.detailType,
    detail: { receivedAtMs, event },
  };
}

export class IngestClient {
  readonly #topology: CellTopology;
  readonly #bus: EventBus;
  readonly #commit: CommitFn;

  constructor(topology: CellTopology, bus: EventBus, commit: CommitFn) {
    this.#topology = topology;
    this.#bus = bus;
    this.#commit = commit;
  }

  async submit(
    stage: StageTopology,
    events: readonly InvoiceEvent[],
    receivedAtMs: number,
  ): Promise<EntryResult[]> {
    const busEvents = events.map((event) => busEventOf(this.#topology, stage, event, receivedAtMs));
    const routed = await this.#bus.route(busEvents);
    try {
      return await this.#commit({ archive: true, events: routed.map(toWireEvent) });
    } catch (error) {
      throw new IngestUnavailableError('events could not be stored right now; retry', { cause: error });
    }
  }
}
