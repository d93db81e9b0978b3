import { setTimeout as delay } from 'node:timers/promises';
import type { StageTopology } from '../../cells/topology.js';
import type { InvoiceEvent } from '../../schemas/types.js';
import { OpsError, type SendEntryResult, TransientSendError } from './backend.js';
import { LatencyRecorder } from './latency-recorder.js';
import type { InvoiceOutcome, LoadGenerator } from './load-generator.js';
import { type PendingEvent, ReadyEvents } from './ready-events.js';

/**
 * Sends generated invoice lifecycles at a target rate (events/s, a token bucket), batching ready
 * events of one stage into requests of ≤ `maxEventsPerRequest`, with at most `concurrency` requests
 * in flight. Per invoice the stages go in order: an invoice's next event is only sent after the
 * previous one was answered 2xx (accepted or duplicate). Transient failures (429, 503, network)
 * are retried with backoff (or the server's Retry-After) — same eventIds, so a retry of a stored
 * event comes back `duplicate`; an entry the cell refuses ends its invoice.
 *
 * @example
 * const summary = await runLoad({ generator, send: (s, e) => backend.send(s, e), ratePerSec: 200,
 *   durationMs: 30_000, maxEventsPerRequest: 10, onProgress: (s) => progress.update(...) });
 */
export interface LoadRunOptions {
  readonly generator: LoadGenerator;
  readonly send: (stage: StageTopology, events: readonly InvoiceEvent[]) => Promise<SendEntryResult[]>;
  readonly ratePerSec: number;
  /** Stop dispatching after this long; in-flight requests are awaited. */
  readonly durationMs?: number;
  /** Send this many events in all (the last invoice may be cut short). */
  readonly count?: number;
  readonly maxEventsPerRequest: number;
  /** Requests in flight at most. @default 8 */
  readonly concurrency?: number;
  /** Tries per event for transient failures. @default 5 */
  readonly maxAttempts?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (snapshot: LoadSnapshot) => void;
  /** @default 1000 */
  readonly progressIntervalMs?: number;
  readonly now?: () => number;
}

export interface LoadSnapshot {
  readonly elapsedMs: number;
  /** Events sent at least once. */
  readonly sent: number;
  readonly accepted: number;
  readonly duplicates: number;
  /** Events the cell refused, or that failed every attempt. */
  readonly failed: number;
  /** Requests that failed as a whole (throttled, unavailable, unreachable), retried or not. */
  readonly requestErrors: number;
  readonly requests: number;
  /** Accepted + duplicate events per second over the last few seconds. */
  readonly recentRate: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  readonly inFlight: number;
}

export interface LoadSummary extends LoadSnapshot {
  readonly seed: number;
  readonly invoicesStarted: number;
  /** Every planned event accepted. */
  readonly invoicesFinished: number;
  /** Stopped by a refused or failed event. */
  readonly invoicesAbandoned: number;
  /** Not finished when the run ended (duration, count or Ctrl-C); they look stalled to monitoring. */
  readonly invoicesCutShort: number;
  /** Planned outcomes of the started invoices (failures and stalls are generated on purpose). */
  readonly plannedOutcomes: Readonly<Record<InvoiceOutcome, number>>;
  /** Up to 5 distinct error messages. */
  readonly errorSamples: readonly string[];
  readonly interrupted: boolean;
}

const BASE_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 10_000;

/** Runs a load to its end (duration, count, Ctrl-C, or a fatal error) and sums it up. */
export async function runLoad(options: LoadRunOptions): Promise<LoadSummary> {
  if (!(options.ratePerSec > 0)) throw new OpsError(`rate must be above 0, got ${options.ratePerSec}`);
  if (options.durationMs === undefined && options.count === undefined) {
    throw new OpsError('a load needs a duration or a count');
  }
  return new LoadRun(options).run();
}

/** The state of one load run: the event loop, the token bucket, dispatch and the answers. */
class LoadRun {
  readonly #options: LoadRunOptions;
  readonly #now: () => number;
  readonly #concurrency: number;
  readonly #maxAttempts: number;
  readonly #progressEvery: number;
  readonly #latencies = new LatencyRecorder();
  readonly #ready = new ReadyEvents();
  readonly #planned: Record<InvoiceOutcome, number> = { completed: 0, failed: 0, stalled: 0 };
  readonly #errorSamples: string[] = [];
  readonly #stats = { sent: 0, accepted: 0, duplicates: 0, failed: 0, requestErrors: 0, requests: 0 };
  readonly #startMs: number;
  readonly #rateSamples: { atMs: number; done: number }[];
  #started = 0;
  #finished = 0;
  #abandoned = 0;
  #plannedEvents = 0;
  #dispatched = 0;
  #inFlight = 0;
  #fatal: OpsError | undefined;
  #wake: () => void = () => {};
  #lastProgressMs: number;

  constructor(options: LoadRunOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now() + performance.timeOrigin);
    this.#concurrency = options.concurrency ?? 8;
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#progressEvery = options.progressIntervalMs ?? 1_000;
    this.#startMs = this.#now();
    this.#rateSamples = [{ atMs: this.#startMs, done: 0 }];
    this.#lastProgressMs = this.#startMs;
  }

  async run(): Promise<LoadSummary> {
    for (;;) {
      const atMs = this.#now();
      const { stopping, canStart } = this.#phase(atMs);
      const allowance = this.#fill(atMs, stopping, canStart);
      this.#report(atMs);
      const drained = this.#inFlight === 0 && (stopping || (!canStart && this.#ready.size() === 0));
      if (drained) break;
      // Sleep until a request settles, the next token, or at most 50 ms.
      const tokenWaitMs = allowance >= 1 ? 50 : ((1 - allowance) * 1000) / this.#options.ratePerSec;
      const settled = new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      await Promise.race([settled, delay(Math.max(1, Math.min(50, tokenWaitMs)))]);
    }
    if (this.#fatal) throw this.#fatal;
    return this.#summary();
  }

  /** Whether the run is stopping (interrupted, time up, fatal error) and may start invoices. */
  #phase(atMs: number): { stopping: boolean; canStart: boolean } {
    const { signal, durationMs } = this.#options;
    const interrupted = signal?.aborted === true;
    const timeUp = durationMs !== undefined && atMs - this.#startMs >= durationMs;
    const stopping = interrupted || timeUp || this.#fatal !== undefined;
    return { stopping, canStart: !stopping && this.#hasRoom() };
  }

  #hasRoom(): boolean {
    return this.#options.count === undefined || this.#plannedEvents < this.#options.count;
  }

  /**
   * Starts invoices until enough events are due for the allowance, then dispatches batches while
   * requests and tokens allow; returns the tokens left.
   */
  #fill(atMs: number, stopping: boolean, canStart: boolean): number {
    const { ratePerSec, maxEventsPerRequest } = this.#options;
    // Token bucket over events, one request's worth of burst.
    let allowance =
      Math.floor((ratePerSec * (atMs - this.#startMs)) / 1000) + maxEventsPerRequest - this.#dispatched;
    const wanted = Math.min(Math.max(allowance, 0), this.#concurrency * maxEventsPerRequest);
    while (canStart && this.#ready.dueCount(atMs) < wanted && this.#hasRoom()) this.#startInvoice();
    while (!stopping && this.#inFlight < this.#concurrency && allowance >= 1) {
      const next = this.#ready.takeBatch(atMs, Math.min(maxEventsPerRequest, allowance));
      if (!next) break;
      allowance -= next.batch.length;
      this.#dispatch(next.stage, next.batch);
    }
    return allowance;
  }

  #report(atMs: number): void {
    if (atMs - this.#lastProgressMs < this.#progressEvery) return;
    this.#lastProgressMs = atMs;
    this.#rateSamples.push({ atMs, done: this.#stats.accepted + this.#stats.duplicates });
    this.#options.onProgress?.(this.#snapshot(atMs));
  }

  #startInvoice(): void {
    const plan = this.#options.generator.invoice(this.#started);
    this.#started++;
    const { count } = this.#options;
    const room = count === undefined ? plan.events.length : count - this.#plannedEvents;
    const events = plan.events.slice(0, Math.max(0, room));
    this.#plannedEvents += events.length;
    this.#planned[plan.outcome]++;
    if (events.length > 0)
      this.#ready.enqueue({ invoice: { plan, events, next: 0 }, attempt: 0, notBeforeMs: 0 });
  }

  #sample(message: string): void {
    if (this.#errorSamples.length < 5 && !this.#errorSamples.includes(message))
      this.#errorSamples.push(message);
  }

  #snapshot(atMs: number): LoadSnapshot {
    const stats = this.#stats;
    const samples = this.#rateSamples;
    const done = stats.accepted + stats.duplicates;
    while (samples.length > 1 && atMs - (samples[0] as { atMs: number }).atMs > 5_000) samples.shift();
    const oldest = samples[0] as { atMs: number; done: number };
    const spanSec = (atMs - oldest.atMs) / 1000;
    const round = (n: number | undefined, digits: number) =>
      n === undefined ? undefined : Math.round(n * 10 ** digits) / 10 ** digits;
    return {
      elapsedMs: Math.round(atMs - this.#startMs),
      ...stats,
      recentRate: round(spanSec > 0 ? (done - oldest.done) / spanSec : 0, 1) as number,
      p50Ms: round(this.#latencies.quantile(0.5), 2),
      p99Ms: round(this.#latencies.quantile(0.99), 2),
      inFlight: this.#inFlight,
    };
  }

  #dispatch(stage: StageTopology, batch: PendingEvent[]): void {
    this.#inFlight++;
    this.#dispatched += batch.length;
    for (const p of batch) if (p.attempt === 0) this.#stats.sent++;
    this.#stats.requests++;
    const sentAt = this.#now();
    const events = batch.map((p) => p.invoice.events[p.invoice.next]?.event as InvoiceEvent);
    this.#options
      .send(stage, events)
      .then(
        (entries) => this.#answered(batch, entries, sentAt),
        (error: unknown) => this.#failed(batch, error, sentAt),
      )
      .finally(() => {
        this.#inFlight--;
        this.#wake();
      });
  }

  /** Per entry: accepted or duplicate moves its invoice on; anything else ends the invoice. */
  #answered(batch: readonly PendingEvent[], entries: readonly SendEntryResult[], sentAt: number): void {
    this.#latencies.record(this.#now() - sentAt);
    batch.forEach((p, i) => {
      const entry = entries[i];
      if (entry?.status === 'accepted' || entry?.status === 'duplicate') {
        if (entry.status === 'accepted') this.#stats.accepted++;
        else this.#stats.duplicates++;
        p.invoice.next++;
        if (p.invoice.next < p.invoice.events.length)
          this.#ready.enqueue({ invoice: p.invoice, attempt: 0, notBeforeMs: 0 });
        // A plan cut by --count is not finished: its invoice stops early.
        else if (p.invoice.events.length === p.invoice.plan.events.length) this.#finished++;
      } else {
        this.#stats.failed++;
        this.#abandoned++;
        this.#sample(`${entry?.errorCode ?? 'failed'}: ${entry?.errorMessage ?? 'no message'}`);
      }
    });
  }

  /** A transient failure retries the batch's events with backoff; anything else stops the run. */
  #failed(batch: readonly PendingEvent[], error: unknown, sentAt: number): void {
    this.#stats.requestErrors++;
    if (!(error instanceof TransientSendError)) {
      this.#fatal ??= error instanceof OpsError ? error : new OpsError(String(error), { cause: error });
      return;
    }
    this.#latencies.record(this.#now() - sentAt);
    this.#sample(error.message);
    for (const p of batch) {
      p.attempt++;
      if (p.attempt >= this.#maxAttempts) {
        this.#stats.failed++;
        this.#abandoned++;
      } else {
        const backoff =
          error.retryAfterSec !== undefined
            ? error.retryAfterSec * 1000
            : Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (p.attempt - 1)) * (0.5 + Math.random() / 2);
        p.notBeforeMs = this.#now() + backoff;
        this.#ready.enqueue(p);
      }
    }
  }

  #summary(): LoadSummary {
    const end = this.#snapshot(this.#now());
    this.#options.onProgress?.(end);
    return {
      ...end,
      seed: this.#options.generator.seed,
      invoicesStarted: this.#started,
      invoicesFinished: this.#finished,
      invoicesAbandoned: this.#abandoned,
      invoicesCutShort: this.#started - this.#finished - this.#abandoned,
      plannedOutcomes: this.#planned,
      errorSamples: this.#errorSamples,
      interrupted: this.#options.signal?.aborted === true,
    };
  }
}
