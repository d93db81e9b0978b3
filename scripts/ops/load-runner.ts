import { setTimeout as delay } from 'node:timers/promises';
import type { StageName, StageTopology } from '../../cells/topology.js';
import type { InvoiceEvent } from '../../schemas/types.js';
import { OpsError, type SendEntryResult, TransientSendError } from './backend.js';
import { LatencyRecorder } from './latency-recorder.js';
import type { InvoiceOutcome, InvoicePlan, LoadGenerator } from './load-generator.js';

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

interface Invoice {
  readonly plan: InvoicePlan;
  readonly events: InvoicePlan['events'];
  next: number;
}

interface Pending {
  readonly invoice: Invoice;
  attempt: number;
  notBeforeMs: number;
}

const BASE_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 10_000;

export async function runLoad(options: LoadRunOptions): Promise<LoadSummary> {
  const { generator, ratePerSec, maxEventsPerRequest } = options;
  if (!(ratePerSec > 0)) throw new OpsError(`rate must be above 0, got ${ratePerSec}`);
  if (options.durationMs === undefined && options.count === undefined) {
    throw new OpsError('a load needs a duration or a count');
  }
  const now = options.now ?? (() => performance.now() + performance.timeOrigin);
  const concurrency = options.concurrency ?? 8;
  const maxAttempts = options.maxAttempts ?? 5;
  const progressEvery = options.progressIntervalMs ?? 1_000;
  const latencies = new LatencyRecorder();
  const ready = new Map<StageName, Pending[]>();
  const stageOrder: StageName[] = [];
  const planned: Record<InvoiceOutcome, number> = { completed: 0, failed: 0, stalled: 0 };
  const errorSamples: string[] = [];
  const stats = { sent: 0, accepted: 0, duplicates: 0, failed: 0, requestErrors: 0, requests: 0 };
  let started = 0;
  let finished = 0;
  let abandoned = 0;
  let plannedEvents = 0;
  let dispatched = 0;
  let inFlight = 0;
  let fatal: OpsError | undefined;
  let wake: () => void = () => {};
  const startMs = now();
  const rateSamples: { atMs: number; done: number }[] = [{ atMs: startMs, done: 0 }];
  let lastProgressMs = startMs;

  const sample = (message: string) => {
    if (errorSamples.length < 5 && !errorSamples.includes(message)) errorSamples.push(message);
  };
  const enqueue = (pending: Pending) => {
    const stage = pending.invoice.events[pending.invoice.next]?.stage.name as StageName;
    if (!ready.has(stage)) {
      ready.set(stage, []);
      stageOrder.push(stage);
    }
    (ready.get(stage) as Pending[]).push(pending);
  };
  const readyNow = (atMs: number): number => {
    let n = 0;
    for (const list of ready.values()) for (const p of list) if (p.notBeforeMs <= atMs) n++;
    return n;
  };
  const pendingTotal = (): number => [...ready.values()].reduce((n, l) => n + l.length, 0);
  const startInvoice = () => {
    const plan = generator.invoice(started);
    started++;
    const room = options.count === undefined ? plan.events.length : options.count - plannedEvents;
    const events = plan.events.slice(0, Math.max(0, room));
    plannedEvents += events.length;
    planned[plan.outcome]++;
    if (events.length > 0) enqueue({ invoice: { plan, events, next: 0 }, attempt: 0, notBeforeMs: 0 });
  };
  const snapshot = (atMs: number): LoadSnapshot => {
    const done = stats.accepted + stats.duplicates;
    while (rateSamples.length > 1 && atMs - (rateSamples[0] as { atMs: number }).atMs > 5_000)
      rateSamples.shift();
    const oldest = rateSamples[0] as { atMs: number; done: number };
    const spanSec = (atMs - oldest.atMs) / 1000;
    const round = (n: number | undefined, digits: number) =>
      n === undefined ? undefined : Math.round(n * 10 ** digits) / 10 ** digits;
    return {
      elapsedMs: Math.round(atMs - startMs),
      ...stats,
      recentRate: round(spanSec > 0 ? (done - oldest.done) / spanSec : 0, 1) as number,
      p50Ms: round(latencies.quantile(0.5), 2),
      p99Ms: round(latencies.quantile(0.99), 2),
      inFlight,
    };
  };

  const dispatch = (stage: StageTopology, batch: Pending[]) => {
    inFlight++;
    dispatched += batch.length;
    for (const p of batch) if (p.attempt === 0) stats.sent++;
    stats.requests++;
    const sentAt = now();
    const events = batch.map((p) => p.invoice.events[p.invoice.next]?.event as InvoiceEvent);
    options
      .send(stage, events)
      .then(
        (entries) => {
          latencies.record(now() - sentAt);
          batch.forEach((p, i) => {
            const entry = entries[i];
            if (entry?.status === 'accepted' || entry?.status === 'duplicate') {
              if (entry.status === 'accepted') stats.accepted++;
              else stats.duplicates++;
              p.invoice.next++;
              if (p.invoice.next < p.invoice.events.length)
                enqueue({ invoice: p.invoice, attempt: 0, notBeforeMs: 0 });
              // A plan cut by --count is not finished: its invoice stops early.
              else if (p.invoice.events.length === p.invoice.plan.events.length) finished++;
            } else {
              stats.failed++;
              abandoned++;
              sample(`${entry?.errorCode ?? 'failed'}: ${entry?.errorMessage ?? 'no message'}`);
            }
          });
        },
        (error: unknown) => {
          stats.requestErrors++;
          if (error instanceof TransientSendError) {
            latencies.record(now() - sentAt);
            sample(error.message);
            for (const p of batch) {
              p.attempt++;
              if (p.attempt >= maxAttempts) {
                stats.failed++;
                abandoned++;
              } else {
                const backoff =
                  error.retryAfterSec !== undefined
                    ? error.retryAfterSec * 1000
                    : Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (p.attempt - 1)) *
                      (0.5 + Math.random() / 2);
                p.notBeforeMs = now() + backoff;
                enqueue(p);
              }
            }
          } else {
            fatal ??= error instanceof OpsError ? error : new OpsError(String(error), { cause: error });
          }
        },
      )
      .finally(() => {
        inFlight--;
        wake();
      });
  };

  const takeBatch = (
    atMs: number,
    allowance: number,
  ): { stage: StageTopology; batch: Pending[] } | undefined => {
    let best: StageName | undefined;
    let bestCount = 0;
    for (const stage of stageOrder) {
      const n = (ready.get(stage) ?? []).filter((p) => p.notBeforeMs <= atMs).length;
      if (n > bestCount) {
        best = stage;
        bestCount = n;
      }
    }
    if (!best) return undefined;
    const list = ready.get(best) as Pending[];
    const size = Math.min(maxEventsPerRequest, allowance, bestCount);
    const batch: Pending[] = [];
    const ids = new Set<string>();
    for (let i = 0; i < list.length && batch.length < size; ) {
      const p = list[i] as Pending;
      const id = p.invoice.plan.invoiceId;
      if (p.notBeforeMs <= atMs && !ids.has(id)) {
        batch.push(p);
        ids.add(id);
        list.splice(i, 1);
      } else i++;
    }
    const stage = batch[0]?.invoice.events[batch[0].invoice.next]?.stage;
    return stage ? { stage, batch } : undefined;
  };

  for (;;) {
    const atMs = now();
    const interrupted = options.signal?.aborted === true;
    const timeUp = options.durationMs !== undefined && atMs - startMs >= options.durationMs;
    const stopping = interrupted || timeUp || fatal !== undefined;
    const canStart = !stopping && (options.count === undefined || plannedEvents < options.count);
    // Token bucket over events, one request's worth of burst.
    let allowance = Math.floor((ratePerSec * (atMs - startMs)) / 1000) + maxEventsPerRequest - dispatched;
    const wanted = Math.min(Math.max(allowance, 0), concurrency * maxEventsPerRequest);
    while (
      canStart &&
      readyNow(atMs) < wanted &&
      (options.count === undefined || plannedEvents < options.count)
    ) {
      startInvoice();
    }
    while (!stopping && inFlight < concurrency && allowance >= 1) {
      const next = takeBatch(atMs, allowance);
      if (!next) break;
      allowance -= next.batch.length;
      dispatch(next.stage, next.batch);
    }
    if (atMs - lastProgressMs >= progressEvery) {
      lastProgressMs = atMs;
      rateSamples.push({ atMs, done: stats.accepted + stats.duplicates });
      options.onProgress?.(snapshot(atMs));
    }
    const drained = inFlight === 0 && (stopping || (!canStart && pendingTotal() === 0));
    if (drained) break;
    // Sleep until a request settles, the next token, or at most 50 ms.
    const tokenWaitMs = allowance >= 1 ? 50 : ((1 - allowance) * 1000) / ratePerSec;
    const settled = new Promise<void>((resolve) => {
      wake = resolve;
    });
    await Promise.race([settled, delay(Math.max(1, Math.min(50, tokenWaitMs)))]);
  }

  if (fatal) throw fatal;
  const end = snapshot(now());
  options.onProgress?.(end);
  return {
    ...end,
    seed: generator.seed,
    invoicesStarted: started,
    invoicesFinished: finished,
    invoicesAbandoned: abandoned,
    invoicesCutShort: started - finished - abandoned,
    plannedOutcomes: planned,
    errorSamples,
    interrupted: options.signal?.aborted === true,
  };
}
