import type { StageTopology } from '../../cells/topology.js';
import type { InvoiceEvent } from '../../schemas/types.js';
import type { ScaleInvoice, ScaleTraffic } from './scale-records.js';

/**
 * Hands out the bench's invoices once each, across every phase (HTTP fill, bulk load, ingest
 * probes, soak), so no invoice or event id is ever sent twice and a timeline read can pick any
 * invoice below {@link InvoiceSource.count}.
 *
 * @example
 * const source = new InvoiceSource(traffic);
 * const invoice = source.next(); // invoice 0, then 1, ...
 */
/** Hands out invoices one at a time: an {@link InvoiceSource} or its {@link InvoiceSource.live} view. */
export interface InvoiceDraw {
  next(): ScaleInvoice;
}

export class InvoiceSource implements InvoiceDraw {
  readonly #traffic: ScaleTraffic;
  #next = 0;

  /** `firstIndex`: invoices below it were handed out by an earlier run on the same cell. */
  constructor(traffic: ScaleTraffic, firstIndex = 0) {
    this.#traffic = traffic;
    this.#next = firstIndex;
  }

  /** Invoices handed out so far. */
  get count(): number {
    return this.#next;
  }

  next(): ScaleInvoice {
    return this.#traffic.invoice(this.#next++);
  }

  /**
   * The same invoice numbers (so ids never repeat across phases) timed by `traffic` instead: the
   * ingest probes and the soak draw from a live traffic (`createScaleTraffic({ live: true })`), so
   * their events occur now, as a feed's would, while the fill's spread over the history; the bulk
   * loader draws the history in time order (`historyOrder`).
   */
  timedBy(traffic: ScaleTraffic): InvoiceDraw {
    return { next: () => traffic.invoice(this.#next++) };
  }

  /** The id of an invoice already handed out (the same in every timing). */
  invoiceId(index: number): string {
    return this.#traffic.invoice(index).invoiceId;
  }
}

/** One event of an invoice waiting to be sent: `invoice.events[position]`. */
export interface PendingEvent {
  readonly invoice: ScaleInvoice;
  readonly position: number;
}

/** A request's worth of events, all of one stage (`POST /invoices/<stage>` takes one stage). */
export interface StageBatch {
  readonly stage: StageTopology;
  readonly items: readonly PendingEvent[];
}

/** The events of a batch, in order, for its request body. */
export function batchEvents(batch: StageBatch): InvoiceEvent[] {
  return batch.items.map((item) => (item.invoice.events[item.position] as { event: InvoiceEvent }).event);
}

/**
 * Per-invoice order over HTTP with full batches: an invoice's event N+1 becomes ready only after
 * the batch holding its event N was accepted ({@link accepted}), because two requests in flight
 * at once may be enqueued in either order. Ready events wait per stage; {@link next} takes a full
 * batch of the latest stage that has one (so lifecycles finish and the queues stay short), else
 * the first events of new invoices while the event budget lasts, else (budget spent) whatever is
 * ready, in partial batches, until every started lifecycle is sent. Pure; one instance may serve
 * many concurrent senders (JavaScript runs them one at a time).
 *
 * @example
 * const batcher = new LifecycleBatcher({ source, stages: topology.stages, batchSize: 10, budget: 20_000 });
 * for (let b = batcher.next(); b; b = batcher.next()) { await post(b); batcher.accepted(b); }
 */
export class LifecycleBatcher {
  readonly #source: InvoiceDraw;
  readonly #stages: readonly StageTopology[];
  readonly #batchSize: number;
  readonly #budget: number;
  readonly #ready: PendingEvent[][];
  #startedEvents = 0;
  #outstanding = 0;

  constructor(options: {
    readonly source: InvoiceDraw;
    readonly stages: readonly StageTopology[];
    readonly batchSize: number;
    /** Events to start lifecycles for (Infinity: no end); the last lifecycles may overshoot it. */
    readonly budget: number;
  }) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${options.batchSize}`);
    }
    this.#source = options.source;
    this.#stages = options.stages;
    this.#batchSize = options.batchSize;
    this.#budget = options.budget;
    this.#ready = options.stages.map(() => []);
  }

  /** Events of the lifecycles started so far (sent, in flight or waiting). */
  get startedEvents(): number {
    return this.#startedEvents;
  }

  /** Batches handed out and not yet accepted. */
  get outstanding(): number {
    return this.#outstanding;
  }

  /** Whether every started lifecycle is sent and accepted and the budget is spent. */
  get done(): boolean {
    return (
      this.#outstanding === 0 &&
      this.#startedEvents >= this.#budget &&
      this.#ready.every((queue) => queue.length === 0)
    );
  }

  /** The next batch to send, or undefined when none is ready now (see {@link done}). */
  next(): StageBatch | undefined {
    const batch = this.#fullBatch() ?? this.#newInvoices() ?? this.#partialBatch();
    if (batch) this.#outstanding++;
    return batch;
  }

  /** The batch was accepted: each invoice's next event becomes ready. */
  accepted(batch: StageBatch): void {
    this.#outstanding--;
    for (const { invoice, position } of batch.items) {
      const following = invoice.events[position + 1];
      if (following) this.#ready[following.stage.order]?.push({ invoice, position: position + 1 });
    }
  }

  #take(order: number, count: number): StageBatch {
    const queue = this.#ready[order] as PendingEvent[];
    return { stage: this.#stages[order] as StageTopology, items: queue.splice(0, count) };
  }

  #fullBatch(): StageBatch | undefined {
    for (let order = this.#ready.length - 1; order >= 1; order--) {
      if ((this.#ready[order] as PendingEvent[]).length >= this.#batchSize)
        return this.#take(order, this.#batchSize);
    }
    return undefined;
  }

  #newInvoices(): StageBatch | undefined {
    const items: PendingEvent[] = [];
    while (items.length < this.#batchSize && this.#startedEvents < this.#budget) {
      const invoice = this.#source.next();
      this.#startedEvents += invoice.events.length;
      items.push({ invoice, position: 0 });
    }
    return items.length > 0 ? { stage: this.#stages[0] as StageTopology, items } : undefined;
  }

  #partialBatch(): StageBatch | undefined {
    for (let order = this.#ready.length - 1; order >= 1; order--) {
      if ((this.#ready[order] as PendingEvent[]).length > 0) return this.#take(order, this.#batchSize);
    }
    return undefined;
  }
}
