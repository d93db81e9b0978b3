import { randomUUID } from 'node:crypto';
import { readExampleEvent } from '../../schemas/files.js';
import type { InvoiceEvent } from '../../schemas/types.js';
import type { CellTopology, StageName, StageTopology } from '../topology.js';

/**
 * Valid sample events for every stage of a topology, built from the contract's own examples
 * (`schemas/examples/<stage>.json`), so load generators and tests never spell a stage's fields
 * and stay valid when a stage is added or its schema changes.
 *
 * @example
 * const samples = new SampleEvents(CELL_TOPOLOGY);
 * const event = samples.event(stage, { invoiceId: 'INV-1', occurredAtMs: Date.now() });
 */
export interface SampleEventOverrides {
  readonly invoiceId: string;
  readonly eventId?: string;
  readonly occurredAtMs?: number;
  /** Decimal string in the example's currency. */
  readonly amountValue?: string;
}

export class SampleEvents {
  readonly #templates = new Map<StageName, InvoiceEvent>();

  constructor(topology: CellTopology) {
    for (const stage of topology.stages) {
      this.#templates.set(stage.name, readExampleEvent(stage.name) as unknown as InvoiceEvent);
    }
  }

  /** A fresh valid event of `stage` for `invoiceId`. */
  event(stage: StageTopology, overrides: SampleEventOverrides): InvoiceEvent {
    const template = this.#templates.get(stage.name);
    if (!template) throw new Error(`no example event for stage ${stage.name}`);
    const event = structuredClone(template) as InvoiceEvent & { amount: { value: string; currency: string } };
    return {
      ...event,
      eventId: overrides.eventId ?? randomUUID(),
      invoiceId: overrides.invoiceId,
      occurredAt: new Date(overrides.occurredAtMs ?? Date.now()).toISOString(),
      amount: { ...event.amount, value: overrides.amountValue ?? event.amount.value },
    } as InvoiceEvent;
  }
}
