import pRetry from 'p-retry';
import type { BusinessTimeWindow } from '../cells/business-time.js';
import type { StageName } from '../cells/topology.js';
import { validateEvent } from '../schemas/index.js';
import type { StageMessage } from '../schemas/types.js';
import { type CellIdentity, type InvoiceRecord, toInvoiceRecord } from './record.js';
import { MAX_RECORDS_PER_WRITE, type TimeseriesStore, TransientStoreError } from './store.js';

/**
 * The stage processor: the business core shared by the Lambda handler (AWS) and the local poller.
 * It takes an SQS-shaped FIFO batch and answers SQS-shaped `batchItemFailures`.
 *
 * FIFO-correct partial failure: when a record fails, every later record of the same message group
 * (invoice) in the batch fails too, so the queue redelivers them after it, in order; records of
 * other invoices go on. Powertools' `SqsFifoPartialProcessorAsync` with `skipGroupOnError` has the
 * same group rule but calls a handler per record; we need one store write per batch (Timestream
 * `WriteRecords`, ≤ 100 records), with `RejectedRecords` mapped back to their messages, so the
 * group rule is implemented here and tested in test/consumers/stage-processor.test.ts.
 *
 * @example
 * const result = await processBatch(event.Records, { stage: 'posting', cell, store, businessTime });
 * return result; // { batchItemFailures: [{ itemIdentifier }] }
 */

/** The part of an SQS record the processor reads; `SQSRecord` from aws-lambda fits. */
export interface ProcessorRecord {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: { readonly MessageGroupId?: string; readonly ApproximateReceiveCount?: string };
}

export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export type FailureKind = 'invalid' | 'rejected' | 'transient' | 'group-blocked';

/** Hooks for logs and metrics; adapters plug Powertools (AWS) or local counters in. */
export interface ProcessorObserver {
  stored?(record: InvoiceRecord, message: StageMessage): void;
  failed?(messageId: string, kind: FailureKind, reason: string): void;
  retrying?(attempt: number, error: unknown): void;
}

export interface ProcessorDeps {
  readonly stage: StageName;
  readonly cell: CellIdentity;
  readonly store: TimeseriesStore;
  /**
   * The cell's business-time window (`businessTimeWindow(topology.settings)`): a message whose
   * `occurredAt` lies outside it around its own `receivedAtMs` is a business error, never written.
   */
  readonly businessTime: BusinessTimeWindow;
  readonly observer?: ProcessorObserver;
  /** Upper bound on time spent retrying transient store errors within one batch. */
  readonly retryBudgetMs?: number;
  /** First backoff delay; doubled per attempt, with full jitter, capped at `retryMaxDelayMs`. */
  readonly retryBaseDelayMs?: number;
  readonly retryMaxDelayMs?: number;
}

class BusinessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BusinessError';
  }
}

/**
 * Parses and checks one message body; throws {@link BusinessError} naming the problem. `occurredAt`
 * is checked against `window` around the message's `receivedAtMs`, not the processing clock: the
 * verdict is a function of the message, the same on the first delivery and on a redrive days later.
 */
export function parseStageMessage(body: string, stage: StageName, window: BusinessTimeWindow): StageMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BusinessError('message body is not JSON');
  }
  const message = parsed as Partial<StageMessage>;
  if (typeof message !== 'object' || message === null)
    throw new BusinessError('message body is not an object');
  if (message.stage !== stage) {
    throw new BusinessError(`message is for stage "${String(message.stage)}", this processor is "${stage}"`);
  }
  if (typeof message.receivedAtMs !== 'number' || !Number.isSafeInteger(message.receivedAtMs)) {
    throw new BusinessError('receivedAtMs must be an integer epoch in milliseconds');
  }
  const errors = validateEvent(stage, message.event, '/event', { window, referenceMs: message.receivedAtMs });
  if (errors.length > 0) {
    throw new BusinessError(`invalid event: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
  }
  return message as StageMessage;
}

interface Candidate {
  readonly index: number;
  readonly record: ProcessorRecord;
  readonly group: string;
  readonly message: StageMessage;
  readonly invoiceRecord: InvoiceRecord;
}

/** Processes one FIFO batch. Never throws: every failure is a `batchItemFailures` entry. */
export async function processBatch(
  records: readonly ProcessorRecord[],
  deps: ProcessorDeps,
): Promise<BatchResponse> {
  const groupOf = (r: ProcessorRecord) => r.attributes.MessageGroupId ?? r.messageId;
  /** Why each record (by batch index) failed on its own; absent = it did not fail by itself. */
  const problems = new Map<number, { kind: FailureKind; reason: string }>();

  // 1. Parse in order. Records after a bad one of the same group are not written at all.
  const candidates: Candidate[] = [];
  const parseBlocked = new Set<string>();
  for (const [index, record] of records.entries()) {
    const group = groupOf(record);
    if (parseBlocked.has(group)) continue;
    try {
      const message = parseStageMessage(record.body, deps.stage, deps.businessTime);
      candidates.push({ index, record, group, message, invoiceRecord: toInvoiceRecord(message, deps.cell) });
    } catch (error) {
      problems.set(index, {
        kind: 'invalid',
        reason: error instanceof Error ? error.message : String(error),
      });
      parseBlocked.add(group);
    }
  }

  // 2. One write per chunk of ≤ 100 (a FIFO batch is ≤ 10, so one call), retrying transient errors.
  for (let start = 0; start < candidates.length; start += MAX_RECORDS_PER_WRITE) {
    const chunk = candidates.slice(start, start + MAX_RECORDS_PER_WRITE);
    try {
      const result = await writeWithRetry(
        chunk.map((c) => c.invoiceRecord),
        deps,
      );
      for (const r of result.rejected) {
        const candidate = chunk[r.index];
        if (candidate) problems.set(candidate.index, { kind: 'rejected', reason: r.reason });
      }
    } catch (error) {
      const reason = `store write failed: ${error instanceof Error ? error.message : String(error)}`;
      // Transient errors that outlived the retry budget vs errors retrying cannot fix (AccessDenied).
      // The store adapters translate their own transient failures to TransientStoreError.
      const kind: FailureKind = error instanceof TransientStoreError ? 'transient' : 'rejected';
      for (const c of chunk) problems.set(c.index, { kind, reason });
    }
  }

  // 3. Walk the batch in order: a record fails by itself, or because an earlier record of its
  // invoice failed (then the queue must redeliver it after that one; if it was already written,
  // rewriting it later is a no-op because the record is identical).
  const blockedGroups = new Set<string>();
  const batchItemFailures: { itemIdentifier: string }[] = [];
  const stored = new Map(candidates.map((c) => [c.index, c]));
  for (const [index, record] of records.entries()) {
    const group = groupOf(record);
    const problem = blockedGroups.has(group)
      ? { kind: 'group-blocked' as const, reason: `an earlier message of invoice ${group} failed` }
      : problems.get(index);
    if (problem) {
      blockedGroups.add(group);
      batchItemFailures.push({ itemIdentifier: record.messageId });
      deps.observer?.failed?.(record.messageId, problem.kind, problem.reason);
      continue;
    }
    const candidate = stored.get(index);
    if (candidate) deps.observer?.stored?.(candidate.invoiceRecord, candidate.message);
  }
  return { batchItemFailures };
}

async function writeWithRetry(records: InvoiceRecord[], deps: ProcessorDeps) {
  const base = deps.retryBaseDelayMs ?? 50;
  return pRetry(() => deps.store.writeRecords(records), {
    retries: 20,
    factor: 2,
    minTimeout: base,
    maxTimeout: deps.retryMaxDelayMs ?? 2_000,
    randomize: true,
    maxRetryTime: deps.retryBudgetMs ?? 10_000,
    shouldRetry: (error) => error instanceof TransientStoreError,
    onFailedAttempt: (error) => deps.observer?.retrying?.(error.attemptNumber, error),
  });
}
