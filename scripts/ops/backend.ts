import type { StageName, StageTopology } from '../../cells/topology.js';
import type { StageReconciliation } from '../../consumers/monitoring/reconcile.js';
import type { InvoiceRecord } from '../../consumers/record.js';
import type { ReportFormat } from '../../consumers/reports/render-report.js';
import { formatMinorUnits } from '../../schemas/money.js';
import { isoFromMs } from '../../schemas/time.js';
import type { InvoiceEvent } from '../../schemas/types.js';

/**
 * The operations every `invoice-ops` verb needs from a cell, whatever the cell is: a local cell over
 * its HTTP API ({@link LocalBackend}) or a deployed cell through the AWS SDK ({@link AwsBackend}).
 * Verbs depend on this interface only, so one verb file renders the same report for both.
 *
 * Errors: backends throw {@link OpsError} (or a subclass) with a message an operator can act on;
 * anything else is a bug and is reported with its stack.
 *
 * @example
 * const backend: OpsBackend = new LocalBackend({ baseUrl: 'http://127.0.0.1:8787', apiKey });
 * const entries = await backend.send(stage, events);
 */
export interface OpsBackend {
  /** Where the verbs act, for messages: `local cell http://127.0.0.1:8787`, `cell us-east-1 (InvoiceCell-us-east-1)`. */
  readonly target: string;
  /** Sends ≤ `maxEventsPerRequest` already validated events of one stage in one request. */
  send(stage: StageTopology, events: readonly InvoiceEvent[]): Promise<SendEntryResult[]>;
  /** Every stored event of one invoice, in lifecycle order; {@link NotFoundError} when there is none. */
  timeline(invoiceId: string): Promise<TimelineEntry[]>;
  /** Stuck invoices (business) and messages (technical). */
  stuck(request: StuckRequest): Promise<StuckReport>;
  dlqList(stage: StageTopology, request: DlqListRequest): Promise<DlqListing>;
  /** Redrives one stage's DLQ (all, or one invoice's messages) and reports progress until done. */
  dlqRedrive(
    stage: StageTopology,
    request: RedriveRequest,
    watch: Watch<RedriveProgress>,
  ): Promise<RedriveProgress>;
  /** Replays the archive for a window and reports progress until done (or only counts, with `dryRun`). */
  replay(request: ReplayRequest, watch: Watch<ReplayProgress>): Promise<ReplayProgress>;
  /** The verify-count report of a window (DESIGN §4: accepted = stored + in DLQ + in flight). */
  reconcile(window: TimeWindow): Promise<ReconcileReport>;
  alarms(request: AlarmsRequest): Promise<AlarmReport>;
  /** One month's report rendered as asked (issue 13): stored, or generated on demand. */
  report(request: MonthlyReportRequest): Promise<MonthlyReportDocument>;
}

/** How a long operation reports progress and learns it should stop (Ctrl-C). */
export interface Watch<P> {
  readonly onProgress: (progress: P) => void;
  readonly signal: AbortSignal;
}

/** An error with a message for the operator and the exit code it maps to. */
export class OpsError extends Error {
  readonly exitCode: number;
  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OpsError';
    this.exitCode = options.exitCode ?? EXIT_CODES.failed;
  }
}

/** The thing asked for does not exist (an invoice, a replay, a stack, a queue). Exit code 1. */
export class NotFoundError extends OpsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'NotFoundError';
  }
}

/** The arguments cannot work (a bad value, an option the target does not support). Exit code 2. */
export class UsageError extends OpsError {
  constructor(message: string) {
    super(message, { exitCode: EXIT_CODES.usage });
    this.name = 'UsageError';
  }
}

/** A request that may succeed when retried (throttled, cell busy, network blip). */
export class TransientSendError extends OpsError {
  /** Seconds the server asked to wait, when it said. */
  readonly retryAfterSec: number | undefined;
  constructor(message: string, options: { retryAfterSec?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'TransientSendError';
    this.retryAfterSec = options.retryAfterSec;
  }
}

/** The operation was interrupted by the operator (Ctrl-C). Exit code 130, like a shell. */
export class InterruptedError extends OpsError {
  constructor(message: string) {
    super(message, { exitCode: EXIT_CODES.interrupted });
    this.name = 'InterruptedError';
  }
}

/** Exit codes of `invoice-ops`. */
export const EXIT_CODES = {
  ok: 0,
  /** The operation failed, found a gap, or (test-pattern) did not match. */
  failed: 1,
  /** Bad arguments, or (test-pattern) an invalid pattern. */
  usage: 2,
  interrupted: 130,
} as const;

export const ENTRY_STATUSES = {
  accepted: 'accepted',
  duplicate: 'duplicate',
  failed: 'failed',
  /** Not sent: an earlier event of the same invoice failed, so sending it would break the order. */
  skipped: 'skipped',
} as const;
export type EntryStatus = (typeof ENTRY_STATUSES)[keyof typeof ENTRY_STATUSES];

export interface SendEntryResult {
  readonly eventId: string;
  readonly invoiceId: string;
  readonly stage: StageName;
  readonly status: EntryStatus;
  /** Local: the archived bus event id; AWS: the PutEvents `EventId`. */
  readonly busEventId?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

export interface TimelineEntry {
  readonly stage: StageName;
  readonly eventId: string;
  readonly status: string;
  /** RFC 3339 business time. */
  readonly occurredAt: string;
  readonly amount: { readonly value: string; readonly currency: string };
  readonly vendorId: string;
  readonly vendorName: string;
  /** When the API accepted the event. */
  readonly receivedAt: string;
  /** When the record was first stored (local cell only; Timestream does not keep it). */
  readonly storedAt?: string;
}

export interface StuckRequest {
  readonly stage?: StageName;
}

/**
 * An invoice that reached a stage and has not reached the next one within the stage SLA
 * (consumers/monitoring/stuck.ts decides: the clock starts when the invoice entered the stage).
 */
export interface StuckInvoice {
  readonly invoiceId: string;
  readonly stage: StageName;
  /** The stage the invoice has not reached. */
  readonly nextStage?: string;
  /** Latest status at `stage`. */
  readonly status: string;
  /** When the invoice entered `stage` (business time). */
  readonly enteredAt: string;
  readonly ageSec: number;
  readonly slaSec: number;
  /** `ageSec - slaSec`. */
  readonly overdueSec: number;
  readonly vendorId?: string;
}

export const STUCK_MESSAGE_KINDS = {
  /** A message in the stage's DLQ (after max receives). */
  dlq: 'dlq',
  /** A bus event the relay could not publish (rule or relay DLQ). */
  relayDlq: 'relay-dlq',
  /** The oldest message in the stage queue is older than the stage threshold. */
  queueAge: 'queue-age',
} as const;
export type StuckMessageKind = (typeof STUCK_MESSAGE_KINDS)[keyof typeof STUCK_MESSAGE_KINDS];

export interface StuckMessage {
  readonly stage: StageName;
  readonly kind: StuckMessageKind;
  readonly invoiceId?: string;
  readonly eventId?: string;
  readonly ageSec?: number;
  /** Messages this line stands for (a queue or DLQ total when messages are not listed one by one). */
  readonly count: number;
  readonly detail?: string;
}

export interface StuckReport {
  readonly generatedAt: string;
  readonly business: readonly StuckInvoice[];
  readonly technical: readonly StuckMessage[];
  /** Caveats the operator should know (approximate counts, lists cut short). */
  readonly notes: readonly string[];
}

export interface DlqListRequest {
  readonly invoiceId?: string;
  readonly limit: number;
  /** The DLQ of this subscriber declared on the stage, instead of the stage's own DLQ. */
  readonly subscriber?: string;
}

export interface DlqMessage {
  readonly messageId: string;
  readonly invoiceId: string;
  readonly eventId: string;
  readonly receiveCount: number;
  /** When the message was first sent to the stage queue. */
  readonly sentAt: string;
  readonly deadLetteredAt?: string;
  /** The message body (the stage message), parsed when it is JSON. */
  readonly body: unknown;
}

export interface DlqListing {
  readonly stage: StageName;
  /** Set when the listing is of a subscriber's DLQ. */
  readonly subscriber?: string;
  /** Messages in the DLQ (of the invoice, when asked); approximate on AWS. */
  readonly total: number;
  readonly messages: readonly DlqMessage[];
  readonly notes: readonly string[];
}

export interface RedriveRequest {
  readonly invoiceId?: string;
  /** Redrive this stage subscriber's DLQ back to the subscriber's queue, instead of the stage's. */
  readonly subscriber?: string;
  /** Messages per second; the backend's default when absent. */
  readonly ratePerSec?: number;
  readonly dryRun: boolean;
}

export const REDRIVE_STATES = {
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  dryRun: 'dry-run',
} as const;
export type RedriveState = (typeof REDRIVE_STATES)[keyof typeof REDRIVE_STATES];

export interface RedriveProgress {
  readonly stage: StageName;
  /** Set when the redrive is of a subscriber's DLQ. */
  readonly subscriber?: string;
  readonly state: RedriveState;
  readonly invoiceId?: string;
  /** Messages to move; `undefined` while unknown. */
  readonly total?: number;
  readonly moved: number;
  /** Messages of the invoice left in the DLQ on purpose (see the AWS by-invoice redrive). */
  readonly skipped?: number;
  readonly taskId?: string;
  readonly error?: string;
  readonly notes: readonly string[];
}

export interface TimeWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface ReplayRequest extends TimeWindow {
  readonly stage?: StageTopology;
  readonly invoiceId?: string;
  readonly name?: string;
  readonly dryRun: boolean;
}

export const REPLAY_STATES = {
  starting: 'starting',
  running: 'running',
  cancelling: 'cancelling',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  dryRun: 'dry-run',
} as const;
export type ReplayState = (typeof REPLAY_STATES)[keyof typeof REPLAY_STATES];

export interface ReplayProgress {
  readonly name: string;
  readonly state: ReplayState;
  readonly from: string;
  readonly to: string;
  readonly stage?: StageName;
  readonly invoiceId?: string;
  /** Events to replay; `undefined` where the backend cannot count them exactly (AWS). */
  readonly total?: number;
  readonly replayed?: number;
  /** Share of the window replayed, 0..1 (AWS: from `EventLastReplayedTime`). */
  readonly fraction?: number;
  readonly error?: string;
  readonly notes: readonly string[];
}

/**
 * One stage of the verify count, in the shape of consumers/monitoring/reconcile.ts: set-based
 * where the backend knows event ids (local), count-based where it only has counts (AWS).
 */
export interface ReconcileStage extends StageReconciliation {
  /** Accepted events accounted for nowhere (local: by id; AWS: `accepted − stored − inDlq − inFlight`). */
  readonly gap: number;
}

export interface ReconcileReport {
  readonly from: string;
  readonly to: string;
  readonly stages: readonly ReconcileStage[];
  /** Every stage balanced; the verb exits 1 otherwise. */
  readonly balanced: boolean;
  /** Counts are estimates (AWS metrics), not id sets. */
  readonly approximate: boolean;
  readonly notes: readonly string[];
}

export interface AlarmsRequest {
  /** How far back to list state transitions. */
  readonly historySec: number;
}

export interface AlarmState {
  readonly name: string;
  readonly state: string;
  /** The rule's title (cells/alarm-rules.ts), when known. */
  readonly title?: string;
  readonly reason?: string;
  /** When the alarm entered its current state. */
  readonly since?: string;
  readonly severity?: string;
  readonly stage?: string;
}

export interface AlarmTransition {
  readonly name: string;
  readonly at: string;
  readonly from?: string;
  readonly to?: string;
  readonly summary: string;
}

export interface AlarmReport {
  readonly alarms: readonly AlarmState[];
  readonly transitions: readonly AlarmTransition[];
  readonly notes: readonly string[];
}

export interface MonthlyReportRequest {
  /** `YYYY-MM` (checked by `parseReportMonth`), a calendar month in the cell's time zone. */
  readonly month: string;
  readonly format: ReportFormat;
}

/** A month's report as one rendering (`renderReport`): what `invoice-ops report` prints or writes. */
export interface MonthlyReportDocument {
  readonly month: string;
  readonly format: ReportFormat;
  /** `REPORT_CONTENT_TYPES[format]`. */
  readonly contentType: string;
  readonly body: string;
  /** Whether the cell answered a stored report (false: generated for this request). */
  readonly stored?: boolean;
}

/** The timeline row of a stored record (local cell and Timestream alike). Pure. */
export function timelineEntryOf(record: InvoiceRecord): TimelineEntry {
  const { dimensions: d, measures: m } = record;
  let value: string;
  try {
    value = formatMinorUnits(BigInt(m.amountMinor), d.currency);
  } catch {
    // A record written by another version with an unknown currency: show what is stored.
    value = `${m.amountMinor} minor units`;
  }
  return {
    stage: d.stage,
    eventId: d.eventId,
    status: m.status,
    occurredAt: isoFromMs(record.timeMs),
    amount: { value, currency: d.currency },
    vendorId: d.vendorId,
    vendorName: m.vendorName,
    receivedAt: isoFromMs(m.receivedAtMs),
  };
}
