import { setTimeout as delay } from 'node:timers/promises';
import type { CellTopology, StageTopology } from '../../cells/topology.js';
import {
  ENTRY_STATUSES,
  EXIT_CODES,
  InterruptedError,
  type OpsBackend,
  type SendEntryResult,
  TransientSendError,
} from './backend.js';
import { parseEventLines, planBatches } from './event-input.js';
import { renderJson, renderTable, type VerbContext } from './output.js';

/**
 * `invoice-ops send`: events from JSON lines, validated locally (nothing is sent when a line is
 * invalid), sent in requests of ≤ 10 consecutive events of one stage, in input order. When an
 * event fails, later events of the same invoice are skipped rather than sent out of order.
 * Throttling and unavailability are retried a few times (the same eventIds: a retry of a stored
 * event is answered `duplicate`).
 *
 * Exit code 0 when every event was accepted or a duplicate, 1 otherwise.
 *
 * @example
 * await runSend(backend, { text: fs.readFileSync('events.jsonl', 'utf8'), topology, stage }, ctx);
 */
export interface SendCommandOptions {
  readonly text: string;
  readonly topology: CellTopology;
  /** Every line is an event of this stage; without it lines are `{"stage", "event"}`. */
  readonly stage?: StageTopology;
  /** Tries per request for transient failures. @default 4 */
  readonly maxAttempts?: number;
}

export interface SendLineResult extends SendEntryResult {
  readonly line: number;
}

export async function runSend(
  backend: OpsBackend,
  options: SendCommandOptions,
  ctx: VerbContext,
): Promise<number> {
  const { io } = ctx;
  const parsed = parseEventLines(options.text, options.topology, options.stage);
  if (parsed.problems.length > 0) {
    for (const p of parsed.problems) io.stderr(`${p.line > 0 ? `line ${p.line}: ` : ''}${p.message}\n`);
    io.stderr(`nothing was sent: ${parsed.problems.length} line(s) are not valid events\n`);
    if (ctx.json) io.stdout(renderJson({ sent: 0, problems: parsed.problems }));
    return EXIT_CODES.failed;
  }
  const results: SendLineResult[] = [];
  const failedInvoices = new Set<string>();
  const maxAttempts = options.maxAttempts ?? 4;
  for (const batch of planBatches(parsed.events, options.topology.settings.maxEventsPerRequest)) {
    if (ctx.signal.aborted) throw new InterruptedError(`interrupted after ${results.length} event(s)`);
    const toSend = batch.filter((e) => !failedInvoices.has(e.event.invoiceId));
    for (const e of batch) {
      if (failedInvoices.has(e.event.invoiceId)) {
        results.push({
          line: e.line,
          eventId: e.event.eventId,
          invoiceId: e.event.invoiceId,
          stage: e.stage.name,
          status: ENTRY_STATUSES.skipped,
          errorMessage: 'an earlier event of this invoice failed',
        });
      }
    }
    if (toSend.length === 0) continue;
    const stage = (toSend[0] as (typeof toSend)[number]).stage;
    const entries = await sendWithRetry(
      backend,
      stage,
      toSend.map((e) => e.event),
      maxAttempts,
      ctx.signal,
    );
    entries.forEach((entry, i) => {
      const input = toSend[i] as (typeof toSend)[number];
      results.push({ ...entry, line: input.line });
      if (entry.status === ENTRY_STATUSES.failed) failedInvoices.add(entry.invoiceId);
    });
  }
  results.sort((a, b) => a.line - b.line);
  const count = (status: string) => results.filter((r) => r.status === status).length;
  const summary = {
    target: backend.target,
    events: results.length,
    accepted: count(ENTRY_STATUSES.accepted),
    duplicate: count(ENTRY_STATUSES.duplicate),
    failed: count(ENTRY_STATUSES.failed),
    skipped: count(ENTRY_STATUSES.skipped),
  };
  if (ctx.json) {
    io.stdout(renderJson({ ...summary, entries: results }));
  } else {
    io.stdout(
      renderTable(
        [{ header: 'line', align: 'right' }, 'stage', 'invoice', 'event', 'status', 'error'],
        results.map((r) => [
          String(r.line),
          r.stage,
          r.invoiceId,
          r.eventId,
          r.status,
          [r.errorCode, r.errorMessage].filter(Boolean).join(': '),
        ]),
      ),
    );
    io.stdout(
      `${summary.events} event(s) to ${summary.target}: ${summary.accepted} accepted, ${summary.duplicate} duplicate, ${summary.failed} failed, ${summary.skipped} skipped\n`,
    );
  }
  return summary.failed + summary.skipped > 0 ? EXIT_CODES.failed : EXIT_CODES.ok;
}

async function sendWithRetry(
  backend: OpsBackend,
  stage: StageTopology,
  events: Parameters<OpsBackend['send']>[1],
  maxAttempts: number,
  signal: AbortSignal,
): Promise<SendEntryResult[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await backend.send(stage, events);
    } catch (error) {
      if (!(error instanceof TransientSendError)) throw error;
      if (attempt >= maxAttempts) {
        return events.map((e) => ({
          eventId: e.eventId,
          invoiceId: e.invoiceId,
          stage: stage.name,
          status: ENTRY_STATUSES.failed,
          errorCode: 'RequestFailed',
          errorMessage: `${error.message} (after ${attempt} attempts)`,
        }));
      }
      const waitMs =
        error.retryAfterSec !== undefined ? error.retryAfterSec * 1000 : 250 * 2 ** (attempt - 1);
      try {
        await delay(waitMs, undefined, { signal });
      } catch {
        throw new InterruptedError('interrupted while waiting to retry');
      }
    }
  }
}
