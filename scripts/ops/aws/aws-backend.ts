import { setTimeout as delay } from 'node:timers/promises';
import type { CellDefinition } from '../../../cells/catalog.js';
import type { CellTopology, StageTopology } from '../../../cells/topology.js';
import type { InvoiceEvent } from '../../../schemas/types.js';
import type {
  AlarmReport,
  AlarmsRequest,
  DlqListing,
  DlqListRequest,
  MonthlyReportDocument,
  MonthlyReportRequest,
  OpsBackend,
  ReconcileReport,
  RedriveProgress,
  RedriveRequest,
  ReplayProgress,
  ReplayRequest,
  SendEntryResult,
  StuckReport,
  StuckRequest,
  TimelineEntry,
  TimeWindow,
  Watch,
} from '../backend.js';
import { alarmReport } from './alarm-report.js';
import { replayArchive } from './archive-replay.js';
import type { AwsCell } from './aws-cell.js';
import type { AwsClients } from './aws-clients.js';
import { type CellResources, describeCellResources } from './cell-resources.js';
import { listDlq } from './dlq-list.js';
import { redriveInvoice } from './invoice-redrive.js';
import { reconcileByMetrics } from './metric-reconcile.js';
import { awsMonthlyReport } from './monthly-report.js';
import { redriveWithMoveTask } from './move-task-redrive.js';
import { sendEvents } from './send-events.js';
import { stuckReport } from './stuck-report.js';
import { readTimeline } from './timeline.js';

export interface AwsBackendOptions {
  readonly cell: CellDefinition;
  readonly topology: CellTopology;
  readonly clients: AwsClients;
  /** Between progress polls (DescribeReplay, ListMessageMoveTasks). */
  readonly pollIntervalMs?: number;
  /** How far back business-stuck invoices are searched (Timestream scans cost by data). */
  readonly stuckLookbackSec?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const DEFAULT_POLL_MS = 5_000;
const DEFAULT_STUCK_LOOKBACK_SEC = 7 * 86_400;

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, signal ? { signal } : {});
}

/**
 * {@link OpsBackend} for a deployed cell, through the AWS SDK. Resources come from the CellStack's
 * outputs ({@link describeCellResources}), read once per run. Clients are injected (tests use
 * aws-sdk-client-mock; the CLI builds them for the cell's region). Each verb lives in its own
 * module of this folder, a function of the {@link AwsCell} this class holds:
 *
 * - send: EventBridge `PutEvents` to the cell bus (send-events.ts).
 * - timeline / stuck (business): Timestream queries, or on an Aurora cell (an `AuroraClusterArn`
 *   output) `PostgresStore.timeline` and the `invoice_state` deadline read through the Data API
 *   (timeline.ts, stuck-report.ts, aws-cell.ts `auroraTarget`).
 * - stuck (technical), dlq list: SQS `GetQueueAttributes`, CloudWatch `ApproximateAgeOfOldestMessage`,
 *   and a *peek* of DLQ messages (stuck-report.ts, dlq-list.ts, dlq-peek.ts).
 * - dlq redrive (all): an SQS message move task (move-task-redrive.ts).
 * - dlq redrive --invoice: receive, resend and delete the invoice's messages (invoice-redrive.ts).
 * - dlq list/redrive --subscriber: the same on the subscriber's DLQ and queue, found by their stack
 *   outputs (dlq-queues.ts).
 * - replay: `StartReplay` archive → bus, polled, cancelled on Ctrl-C (archive-replay.ts).
 * - reconcile: CloudWatch metric sums, approximate; an Aurora cell counts stored records in the store
 *   (metric-reconcile.ts).
 * - alarms: CloudWatch `DescribeAlarms` by the stack's name prefix + `DescribeAlarmHistory`
 *   (alarm-report.ts).
 * - report: the month built now from the Timestream latest-state table, as the report Lambda
 *   builds it (monthly-report.ts).
 *
 * @example
 * const backend = new AwsBackend({ cell, topology, clients: createAwsClients(cell.region) });
 * await backend.replay({ fromMs, toMs, dryRun: false }, { onProgress, signal });
 */
export class AwsBackend implements OpsBackend {
  readonly target: string;
  readonly #aws: AwsCell;
  #resources: Promise<CellResources> | undefined;

  constructor(options: AwsBackendOptions) {
    this.#aws = {
      cell: options.cell,
      topology: options.topology,
      clients: options.clients,
      pollMs: options.pollIntervalMs ?? DEFAULT_POLL_MS,
      stuckLookbackSec: options.stuckLookbackSec ?? DEFAULT_STUCK_LOOKBACK_SEC,
      now: options.now ?? Date.now,
      sleep: options.sleep ?? defaultSleep,
      resources: () => this.resources(),
    };
    this.target = `cell ${options.cell.name} (${options.cell.region})`;
  }

  /** The cell's resources, described once. */
  resources(): Promise<CellResources> {
    const { clients, cell, topology } = this.#aws;
    this.#resources ??= describeCellResources(clients.cloudFormation, cell, topology);
    return this.#resources;
  }

  send(stage: StageTopology, events: readonly InvoiceEvent[]): Promise<SendEntryResult[]> {
    return sendEvents(this.#aws, stage, events);
  }

  timeline(invoiceId: string): Promise<TimelineEntry[]> {
    return readTimeline(this.#aws, invoiceId);
  }

  stuck(request: StuckRequest): Promise<StuckReport> {
    return stuckReport(this.#aws, request);
  }

  dlqList(stage: StageTopology, request: DlqListRequest): Promise<DlqListing> {
    return listDlq(this.#aws, stage, request);
  }

  async dlqRedrive(
    stage: StageTopology,
    request: RedriveRequest,
    watch: Watch<RedriveProgress>,
  ): Promise<RedriveProgress> {
    // A subscriber's redrive names the subscriber in every progress (the modules report the stage).
    const { subscriber } = request;
    const label = (p: RedriveProgress): RedriveProgress => (subscriber ? { ...p, subscriber } : p);
    const labelled = { signal: watch.signal, onProgress: (p: RedriveProgress) => watch.onProgress(label(p)) };
    return label(
      request.invoiceId
        ? await redriveInvoice(this.#aws, stage, request.invoiceId, request, labelled)
        : await redriveWithMoveTask(this.#aws, stage, request, labelled),
    );
  }

  replay(request: ReplayRequest, watch: Watch<ReplayProgress>): Promise<ReplayProgress> {
    return replayArchive(this.#aws, request, watch);
  }

  reconcile(window: TimeWindow): Promise<ReconcileReport> {
    return reconcileByMetrics(this.#aws, window);
  }

  alarms(request: AlarmsRequest): Promise<AlarmReport> {
    return alarmReport(this.#aws, request);
  }

  /** The monthly report of a deployed cell, built now from its Timestream latest-state table. */
  report(request: MonthlyReportRequest): Promise<MonthlyReportDocument> {
    return awsMonthlyReport(this.#aws, request);
  }
}
