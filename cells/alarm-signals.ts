import type { StageName } from './topology.js';

/**
 * The signals the cell's alarm rules watch, with what each one reads on the local cell and on AWS,
 * and the shape of a rule (cells/alarm-rules.ts derives the rules from the topology). Signals whose
 * `local` text says "none (AWS only)" have no local counterpart: their rules come from
 * `deriveAwsAlarmRules` only, which the local cell does not evaluate.
 *
 * @example
 * const unit = ALARM_SIGNALS.busDlqDepth.unit; // 'count'
 */

export const ALARM_SIGNALS = {
  latencyP99Sec: {
    scope: 'stage',
    unit: 's',
    description: 'p99 ingest-to-store latency over the period',
    local: 'p99 of stored_at_ms - received_at_ms of records stored in the period, in seconds',
    aws: 'InvoicePlatform IngestToStoreLatency p99 (ms) / 1000',
  },
  errorRatePct: {
    scope: 'stage',
    unit: '%',
    description: 'processing failures / (processed + failures) over the period',
    local: 'processor failures and processed messages in the period',
    aws: 'InvoicePlatform ProcessingFailures and EventsProcessed (Sum), metric math',
  },
  queueDepth: {
    scope: 'stage',
    unit: 'count',
    description: 'visible messages in the stage queue',
    local: 'FifoQueue visible count',
    aws: 'AWS/SQS ApproximateNumberOfMessagesVisible (Maximum) of the stage queue',
  },
  oldestMessageAgeSec: {
    scope: 'stage',
    unit: 's',
    description: 'age of the oldest message in the stage queue (0 when empty)',
    local: 'now - sent_at_ms of the oldest message of the stage queue',
    aws: 'AWS/SQS ApproximateAgeOfOldestMessage (Maximum) of the stage queue',
  },
  dlqDepth: {
    scope: 'stage',
    unit: 'count',
    description: 'messages in the stage DLQ',
    local: 'FifoQueue dlqDepth',
    aws: 'AWS/SQS ApproximateNumberOfMessagesVisible (Maximum) of the stage DLQ',
  },
  stuckInvoices: {
    scope: 'stage',
    unit: 'count',
    description: 'invoices past the stage SLA without reaching the next stage',
    local: 'findStuckInvoices over the records table, counted per stage',
    aws: 'InvoicePlatform StuckInvoices (Maximum), published by a scheduled monitor from Timestream',
  },
  subscriberDlqDepth: {
    scope: 'subscriber',
    unit: 'count',
    description: "messages in a declared stage subscriber's DLQ",
    local: 'FifoQueue dlqDepth of the subscriber queue',
    aws: 'AWS/SQS ApproximateNumberOfMessagesVisible (Maximum) of the subscriber DLQ',
  },
  relayDlqDepth: {
    scope: 'cell',
    unit: 'count',
    description: 'bus events the relays could not publish to their stage topic, all stages',
    local: 'always 0: the local relay runs inside the ingest transaction, a failure fails the request',
    aws: 'sum of AWS/SQS ApproximateNumberOfMessagesVisible of every stage relay DLQ',
  },
  busDlqDepth: {
    scope: 'cell',
    unit: 'count',
    description: 'events the bus itself could not deliver (e.g. KMS failures)',
    local: 'always 0: the local bus has no delivery step that can fail apart from the request',
    aws: 'AWS/SQS ApproximateNumberOfMessagesVisible of the bus DLQ',
  },
  apiErrorRatePct: {
    scope: 'cell',
    unit: '%',
    description: 'API answers with status 5xx / all answers over the period',
    local: 'HTTP request counters of the local API',
    aws: 'AWS/ApiGateway 5XXError (Average) × 100',
  },
  ruleDlqDeliveryFailures: {
    scope: 'cell',
    unit: 'count',
    description: 'events a stage rule could neither deliver to its relay nor write to its DLQ (lost)',
    local:
      'none (AWS only): the local bus delivers inside the ingest transaction, a failure fails the request',
    aws: 'sum of AWS/Events InvocationsFailedToBeSentToDlq (Sum) of every stage rule',
  },
  functionDlqDeliveryFailures: {
    scope: 'cell',
    unit: 'count',
    description: 'failed asynchronous relay or stuck-monitor runs that Lambda could not write to the DLQ',
    local: 'none (AWS only): the local relay and stuck check have no Lambda DLQ',
    aws: 'sum of AWS/Lambda DeadLetterErrors (Sum) of every relay and of the stuck monitor',
  },
  stuckMonitorDlqDepth: {
    scope: 'cell',
    unit: 'count',
    description: 'stuck-invoice checks that failed or could not be delivered',
    local: 'none (AWS only): the local stuck check runs in-process on every evaluation',
    aws: 'AWS/SQS ApproximateNumberOfMessagesVisible (Maximum) of the stuck-monitor DLQ',
  },
} as const;

export type AlarmSignal = keyof typeof ALARM_SIGNALS;
export type AlarmSeverity = 'critical' | 'warning';
export type AlarmComparison = '>' | '>=';
/** What an evaluation without a reading means (CloudWatch `TreatMissingData`). */
export type MissingDataTreatment = 'missing' | 'notBreaching';

export interface AlarmRule {
  /** Stable: CloudWatch alarm ids, local state and links use it (`posting-dlq-not-empty`). */
  readonly id: string;
  readonly title: string;
  /** Set for per-stage rules (and per-subscriber rules: the subscriber's stage). */
  readonly stage?: StageName;
  /** Set for per-subscriber rules: the id of a subscriber declared on `stage`. */
  readonly subscriber?: string;
  readonly signal: AlarmSignal;
  readonly comparison: AlarmComparison;
  /** In the signal's unit (`ALARM_SIGNALS[signal].unit`). */
  readonly threshold: number;
  readonly periodSec: number;
  /** ALARM after this many consecutive breaching periods. */
  readonly evaluationPeriods: number;
  readonly severity: AlarmSeverity;
  readonly treatMissingData: MissingDataTreatment;
  readonly description: string;
}

/** A composite alarm: ALARM while any member rule is in ALARM. */
export interface CompositeAlarmRule {
  readonly id: string;
  readonly title: string;
  readonly severity: AlarmSeverity;
  readonly ruleIds: readonly string[];
  readonly description: string;
}
