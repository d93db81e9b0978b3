import { randomUUID } from 'node:crypto';
import type { SampleEvents } from '../../cells/local/sample-events.js';
import type { CellTopology, StageTopology } from '../../cells/topology.js';

/**
 * Request bodies from per-stage templates: each event gets a fresh eventId and invoiceId by string
 * concatenation (a few µs), so the client neither pre-builds hundreds of MB of bodies nor spends
 * its CPU on JSON while it should be sending.
 *
 * @example
 * const bodies = new BodyFactory(topology, new SampleEvents(topology));
 * const body = bodies.body(stage, 10); // {"events":[...10 events...]}
 */
export class BodyFactory {
  readonly #parts = new Map<StageTopology, [string, string, string]>();

  constructor(topology: CellTopology, samples: SampleEvents) {
    for (const stage of topology.stages) {
      const json = JSON.stringify(
        samples.event(stage, { invoiceId: 'INVOICE-PLACEHOLDER', eventId: 'EVENT-PLACEHOLDER' }),
      );
      const [head, rest] = json.split('EVENT-PLACEHOLDER') as [string, string];
      const [middle, tail] = rest.split('INVOICE-PLACEHOLDER') as [string, string];
      this.#parts.set(stage, [head, middle, tail]);
    }
  }

  event(stage: StageTopology): string {
    const [head, middle, tail] = this.#parts.get(stage) as [string, string, string];
    return `${head}${randomUUID()}${middle}INV-${randomUUID()}${tail}`;
  }

  body(stage: StageTopology, size: number): string {
    if (size === 1) return this.event(stage);
    const events: string[] = [];
    for (let i = 0; i < size; i++) events.push(this.event(stage));
    return `{"events":[${events.join(',')}]}`;
  }
}
