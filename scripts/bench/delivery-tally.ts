import { percentile } from './percentile.js';

/**
 * What the delivery bench's receiver saw, push by push, and the figures it makes of them. Pure
 * apart from the injected random draw; `delivery-receiver.ts` puts it behind an HTTP server.
 *
 * Definitions (the report prints them):
 * - delivered: distinct messages answered 2xx; latency = arrival of that push − the message's
 *   `receivedAtMs` (when the cell accepted the event), so it includes retries' backoff.
 * - failed pushes: pushes answered 500 by choice (`failRate`); retries: pushes of a message that
 *   had been answered 500 before (what the cell's retry policy sent).
 * - duplicates: pushes of a message already answered 2xx (at-least-once redeliveries).
 * - order violations: a message's first push that is not the event after its invoice's last one
 *   answered 2xx, in send order (an event pushed early, late, or while its predecessor still failed).
 *
 * @example
 * const tally = new DeliveryTally({ failRate: 0.05, random: mulberry32(1), sent });
 * const status = tally.push(notification, Date.now()); // 200 or 500
 */

/** An event the bench sent: its invoice and its place in the invoice's send order (0-based). */
export interface SentEvent {
  readonly invoiceId: string;
  readonly index: number;
}

/** The envelope fields the tally reads (`SubscriberNotification`). */
export interface PushedNotification {
  readonly MessageId: string;
  /** The stage message, as JSON text. */
  readonly Message: string;
}

export interface DeliveryFigures {
  readonly delivered: number;
  readonly pushes: number;
  readonly failedPushes: number;
  readonly retries: number;
  readonly duplicates: number;
  readonly orderViolations: number;
  /** Pushes of events this bench did not send (another run's, or a bad message). */
  readonly unexpected: number;
  /** Accepted → received of each delivered message, ascending. */
  readonly latenciesMs: readonly number[];
  /** When the last message was first delivered; undefined before any. */
  readonly lastDeliveredAtMs: number | undefined;
}

/** p50/p95/p99/max of ascending latencies (NaN without any). Pure. */
export function latencySummary(sorted: readonly number[]): {
  p50: number;
  p95: number;
  p99: number;
  max: number;
} {
  return {
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
  };
}

interface MessageView {
  readonly eventId: string;
  readonly receivedAtMs: number;
}

function viewOf(message: string): MessageView | undefined {
  try {
    const m = JSON.parse(message) as { receivedAtMs?: unknown; event?: { eventId?: unknown } };
    if (typeof m.receivedAtMs !== 'number' || typeof m.event?.eventId !== 'string') return undefined;
    return { eventId: m.event.eventId, receivedAtMs: m.receivedAtMs };
  } catch {
    return undefined;
  }
}

export class DeliveryTally {
  readonly #failRate: number;
  readonly #random: () => number;
  readonly #sent: ReadonlyMap<string, SentEvent>;
  /** Message ids answered 2xx, and those answered 500 (not yet 2xx). */
  readonly #accepted = new Set<string>();
  readonly #refused = new Set<string>();
  /** The index of each invoice's last event answered 2xx. */
  readonly #lastAccepted = new Map<string, number>();
  readonly #latencies: number[] = [];
  #pushes = 0;
  #failed = 0;
  #retries = 0;
  #duplicates = 0;
  #violations = 0;
  #unexpected = 0;
  #lastDeliveredAtMs: number | undefined;

  constructor(options: { failRate: number; random: () => number; sent: ReadonlyMap<string, SentEvent> }) {
    this.#failRate = options.failRate;
    this.#random = options.random;
    this.#sent = options.sent;
  }

  /** Distinct messages answered 2xx so far. */
  get delivered(): number {
    return this.#accepted.size;
  }

  /** Records one push arriving at `nowMs` and answers the status to reply with. */
  push(notification: PushedNotification, nowMs: number): number {
    this.#pushes++;
    const id = notification.MessageId;
    if (this.#accepted.has(id)) {
      this.#duplicates++;
      return 200;
    }
    const view = viewOf(notification.Message);
    const sent = view ? this.#sent.get(view.eventId) : undefined;
    if (!view || !sent) {
      this.#unexpected++;
      return 200;
    }
    if (this.#refused.has(id)) this.#retries++;
    else this.#checkOrder(sent);
    if (this.#random() < this.#failRate) {
      this.#failed++;
      this.#refused.add(id);
      return 500;
    }
    this.#refused.delete(id);
    this.#accepted.add(id);
    this.#lastAccepted.set(sent.invoiceId, sent.index);
    this.#latencies.push(nowMs - view.receivedAtMs);
    this.#lastDeliveredAtMs = nowMs;
    return 200;
  }

  /**
   * A message's first push must be its invoice's event after the last one answered 2xx: the cell
   * sends the next only after that. (A retry needs no check: nothing of the invoice was accepted
   * since its first push, or that acceptance was counted as the violation.)
   */
  #checkOrder(sent: SentEvent): void {
    const last = this.#lastAccepted.get(sent.invoiceId) ?? -1;
    if (sent.index !== last + 1) this.#violations++;
  }

  figures(): DeliveryFigures {
    return {
      delivered: this.#accepted.size,
      pushes: this.#pushes,
      failedPushes: this.#failed,
      retries: this.#retries,
      duplicates: this.#duplicates,
      orderViolations: this.#violations,
      unexpected: this.#unexpected,
      latenciesMs: [...this.#latencies].sort((a, b) => a - b),
      lastDeliveredAtMs: this.#lastDeliveredAtMs,
    };
  }
}
