import type { StageName, StageTopology } from '../../cells/topology.js';
import type { InvoicePlan } from './load-generator.js';

/** An invoice being sent: its (possibly cut) events and the index of the next one to send. */
export interface LoadInvoice {
  readonly plan: InvoicePlan;
  readonly events: InvoicePlan['events'];
  next: number;
}

/** An invoice's next event waiting to be sent, with its retry state. */
export interface PendingEvent {
  readonly invoice: LoadInvoice;
  attempt: number;
  notBeforeMs: number;
}

/**
 * The events ready to send, by stage (stages in the order they first appeared). A batch is taken
 * from the stage with the most events due, at most one event per invoice, so a request never holds
 * two events of one invoice.
 *
 * @example
 * const ready = new ReadyEvents();
 * ready.enqueue({ invoice, attempt: 0, notBeforeMs: 0 });
 * const next = ready.takeBatch(now, 10);
 */
export class ReadyEvents {
  readonly #byStage = new Map<StageName, PendingEvent[]>();
  readonly #stageOrder: StageName[] = [];

  /** Queues the invoice's next event under its stage. */
  enqueue(pending: PendingEvent): void {
    const stage = pending.invoice.events[pending.invoice.next]?.stage.name as StageName;
    if (!this.#byStage.has(stage)) {
      this.#byStage.set(stage, []);
      this.#stageOrder.push(stage);
    }
    (this.#byStage.get(stage) as PendingEvent[]).push(pending);
  }

  /** Events due at `atMs` (their backoff over). */
  dueCount(atMs: number): number {
    let n = 0;
    for (const list of this.#byStage.values()) for (const p of list) if (p.notBeforeMs <= atMs) n++;
    return n;
  }

  /** Every queued event, due or not. */
  size(): number {
    return [...this.#byStage.values()].reduce((n, l) => n + l.length, 0);
  }

  /** Removes and returns up to `maxSize` due events of the stage with the most due events. */
  takeBatch(atMs: number, maxSize: number): { stage: StageTopology; batch: PendingEvent[] } | undefined {
    let best: StageName | undefined;
    let bestCount = 0;
    for (const stage of this.#stageOrder) {
      const n = (this.#byStage.get(stage) ?? []).filter((p) => p.notBeforeMs <= atMs).length;
      if (n > bestCount) {
        best = stage;
        bestCount = n;
      }
    }
    if (!best) return undefined;
    const list = this.#byStage.get(best) as PendingEvent[];
    const size = Math.min(maxSize, bestCount);
    const batch: PendingEvent[] = [];
    const ids = new Set<string>();
    for (let i = 0; i < list.length && batch.length < size; ) {
      const p = list[i] as PendingEvent;
      const id = p.invoice.plan.invoiceId;
      if (p.notBeforeMs <= atMs && !ids.has(id)) {
        batch.push(p);
        ids.add(id);
        list.splice(i, 1);
      } else i++;
    }
    const stage = batch[0]?.invoice.events[batch[0].invoice.next]?.stage;
    return stage ? { stage, batch } : undefined;
  }
}
