import { setTimeout as delay } from 'node:timers/promises';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  type CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricAlarm,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import {
  CancelReplayCommand,
  DescribeArchiveCommand,
  DescribeReplayCommand,
  type EventBridgeClient,
  ListRulesCommand,
  PutEventsCommand,
  type PutEventsCommandOutput,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { QueryCommand, type TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import type { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { deriveAlarmRules, deriveCellUnhealthy } from '../../cells/alarm-rules.js';
import type { CellDefinition } from '../../cells/catalog.js';
import { compileEventPattern } from '../../cells/matching/index.js';
import type { CellTopology, StageName, StageTopology } from '../../cells/topology.js';
import { rowsToObjects } from '../../consumers/aws/timestream-query.js';
import { TimestreamStore } from '../../consumers/aws/timestream-store.js';
import {
  latestFromTimestreamRows,
  timestreamLatestByInvoiceSql,
} from '../../consumers/aws/timestream-stuck-query.js';
import { METRIC_NAMES, METRIC_SERVICES, METRICS_NAMESPACE } from '../../consumers/monitoring/metric-names.js';
import {
  findStuckInvoices,
  findStuckMessages,
  STUCK_MESSAGE_KINDS as MONITOR_MESSAGE_KINDS,
  type StageQueueStats,
} from '../../consumers/monitoring/stuck.js';
import type { BusDetail } from '../../consumers/relay.js';
import { isTransientError } from '../../consumers/stage-processor.js';
import type { InvoiceEvent } from '../../schemas/types.js';
import {
  type AlarmReport,
  type AlarmState,
  type AlarmsRequest,
  type AlarmTransition,
  type DlqListing,
  type DlqListRequest,
  type DlqMessage,
  InterruptedError,
  NotFoundError,
  type OpsBackend,
  OpsError,
  REDRIVE_STATES,
  REPLAY_STATES,
  type ReconcileReport,
  type ReconcileStage,
  type RedriveProgress,
  type RedriveRequest,
  type ReplayProgress,
  type ReplayRequest,
  type ReplayState,
  type SendEntryResult,
  STUCK_MESSAGE_KINDS,
  type StuckInvoice,
  type StuckMessage,
  type StuckReport,
  type StuckRequest,
  type TimelineEntry,
  type TimeWindow,
  TransientSendError,
  timelineEntryOf,
  UsageError,
  type Watch,
} from './backend.js';
import {
  awsError,
  type CellResources,
  describeCellResources,
  queueNameFromUrl,
  type StageResources,
} from './cell-resources.js';

/**
 * {@link OpsBackend} for a deployed cell, through the AWS SDK. Resources come from the CellStack's
 * outputs ({@link describeCellResources}), read once per run. Clients are injected (tests use
 * aws-sdk-client-mock; the CLI builds them for the cell's region).
 *
 * How each verb maps to AWS:
 * - send: EventBridge `PutEvents` to the cell bus (Source = topology eventSource, DetailType = the
 *   stage's, Detail = `BusDetail`), ≤ 10 entries; `FailedEntryCount` → per-entry errors. This skips
 *   API Gateway (which needs SigV4 + a usage-plan key) and stamps `receivedAtMs` here.
 * - timeline / stuck (business): Timestream queries.
 * - stuck (technical), dlq list: SQS `GetQueueAttributes`, CloudWatch `ApproximateAgeOfOldestMessage`,
 *   and a *peek* of DLQ messages (`ReceiveMessage` holding them briefly, then visibility 0).
 * - dlq redrive (all): `StartMessageMoveTask` DLQ → stage queue, `ListMessageMoveTasks` polled,
 *   `CancelMessageMoveTask` on Ctrl-C.
 * - dlq redrive --invoice: a move task moves everything, so: `ReceiveMessage` on the DLQ, for the
 *   invoice's message group only `SendMessage` to the stage queue (same group, original dedup id)
 *   then `DeleteMessage`; other groups' messages are released (visibility 0) at the end.
 * - replay: `StartReplay` archive → bus (rule filter for `--stage`), `DescribeReplay` polled,
 *   `CancelReplay` on Ctrl-C.
 * - reconcile: CloudWatch metric sums (approximate; see the report's notes).
 * - alarms: CloudWatch `DescribeAlarms` by the stack's name prefix + `DescribeAlarmHistory`.
 *
 * @example
 * const backend = new AwsBackend({ cell, topology, clients: createAwsClients(cell.region) });
 * await backend.replay({ fromMs, toMs, dryRun: false }, { onProgress, signal });
 */
export interface AwsClients {
  readonly cloudFormation: CloudFormationClient;
  readonly eventBridge: EventBridgeClient;
  readonly sqs: SQSClient;
  readonly cloudWatch: CloudWatchClient;
  readonly timestreamQuery: TimestreamQueryClient;
  /** Only to construct the shared `TimestreamStore` (the CLI never writes). */
  readonly timestreamWrite: TimestreamWriteClient;
}

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
/** SQS `MaxNumberOfMessagesPerSecond` of a move task: 1..500. */
export const MAX_MOVE_TASK_RATE = 500;
const DEFAULT_INVOICE_REDRIVE_RATE = 50;
/** How long peeked DLQ messages stay hidden before this tool releases them (or SQS does). */
const PEEK_VISIBILITY_SEC = 30;
/** Messages a by-invoice redrive scans at most, so a huge DLQ cannot keep it running forever. */
const MAX_SCAN = 100_000;
const TERMINAL_MOVE_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

const AWS_REPLAY_STATES: Readonly<Record<string, ReplayState>> = {
  STARTING: REPLAY_STATES.starting,
  RUNNING: REPLAY_STATES.running,
  CANCELLING: REPLAY_STATES.cancelling,
  COMPLETED: REPLAY_STATES.completed,
  FAILED: REPLAY_STATES.failed,
  CANCELLED: REPLAY_STATES.cancelled,
};

const iso = (ms: number): string => new Date(ms).toISOString();

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, signal ? { signal } : {});
}

/** A DLQ message as peeked: what the listing shows and what a by-invoice redrive resends. */
interface PeekedMessage {
  readonly message: Message;
  readonly listed: DlqMessage;
}

export class AwsBackend implements OpsBackend {
  readonly target: string;
  readonly #cell: CellDefinition;
  readonly #topology: CellTopology;
  readonly #clients: AwsClients;
  readonly #pollMs: number;
  readonly #lookbackSec: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  #resources: Promise<CellResources> | undefined;

  constructor(options: AwsBackendOptions) {
    this.#cell = options.cell;
    this.#topology = options.topology;
    this.#clients = options.clients;
    this.#pollMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
    this.#lookbackSec = options.stuckLookbackSec ?? DEFAULT_STUCK_LOOKBACK_SEC;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? defaultSleep;
    this.target = `cell ${options.cell.name} (${options.cell.region})`;
  }

  /** The cell's resources, described once. */
  resources(): Promise<CellResources> {
    this.#resources ??= describeCellResources(this.#clients.cloudFormation, this.#cell, this.#topology);
    return this.#resources;
  }

  async #stage(stage: StageTopology): Promise<StageResources> {
    const resources = await this.resources();
    const found = resources.stages.get(stage.name);
    if (!found) throw new OpsError(`${resources.stackName} has no resources for stage ${stage.name}`);
    return found;
  }

  async #call<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw awsError(what, error);
    }
  }

  async send(stage: StageTopology, events: readonly InvoiceEvent[]): Promise<SendEntryResult[]> {
    const resources = await this.resources();
    const receivedAtMs = this.#now();
    const entries = events.map((event) => {
      const detail: BusDetail = { receivedAtMs, event };
      return {
        EventBusName: resources.busName,
        Source: this.#topology.settings.eventSource,
        DetailType: stage.detailType,
        Detail: JSON.stringify(detail),
      };
    });
    let output: PutEventsCommandOutput;
    try {
      output = await this.#clients.eventBridge.send(new PutEventsCommand({ Entries: entries }));
    } catch (error) {
      if (isTransientError(error)) {
        throw new TransientSendError(`PutEvents to ${resources.busName}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      throw awsError(`PutEvents to ${resources.busName}`, error);
    }
    const answered = output.Entries ?? [];
    return events.map((event, i) => {
      const entry = answered[i];
      const base = { eventId: event.eventId, invoiceId: event.invoiceId, stage: stage.name };
      if (entry?.EventId && !entry.ErrorCode)
        return { ...base, status: 'accepted', busEventId: entry.EventId };
      return {
        ...base,
        status: 'failed',
        errorCode: entry?.ErrorCode ?? 'NoEntryInAnswer',
        errorMessage:
          entry?.ErrorMessage ??
          `PutEvents answered FailedEntryCount ${output.FailedEntryCount ?? '?'} without an entry for this event`,
      };
    });
  }

  async #timestream(): Promise<{ database: string; table: string }> {
    const r = await this.resources();
    if (!r.timestreamDatabase || !r.timestreamTable) {
      throw new OpsError(
        `${r.stackName} has no TimestreamDatabase/TimestreamTable outputs; redeploy the cell`,
      );
    }
    return { database: r.timestreamDatabase, table: r.timestreamTable };
  }

  async timeline(invoiceId: string): Promise<TimelineEntry[]> {
    const { database, table } = await this.#timestream();
    const store = new TimestreamStore({
      writeClient: this.#clients.timestreamWrite,
      queryClient: this.#clients.timestreamQuery,
      database,
      table,
      topology: this.#topology,
    });
    const records = await this.#call(`Timestream timeline of ${invoiceId}`, () => store.timeline(invoiceId));
    if (records.length === 0) {
      throw new NotFoundError(`no stored events for invoice "${invoiceId}" in ${database}.${table}`);
    }
    return records.map(timelineEntryOf);
  }

  async stuck(request: StuckRequest): Promise<StuckReport> {
    const nowMs = this.#now();
    const stages = this.#topology.stages.filter((s) => !request.stage || s.name === request.stage);
    const { database, table } = await this.#timestream();
    const lookbackDays = Math.max(1, Math.round(this.#lookbackSec / 86_400));
    const query = timestreamLatestByInvoiceSql(
      { database, table, fromParam: `ago(${lookbackDays}d)`, cell: this.#cell.name, overdueOnly: true },
      this.#topology,
    );
    const rows = await this.#call('Timestream stuck-invoice query', () => this.#queryAll(query));
    const business: StuckInvoice[] = findStuckInvoices(latestFromTimestreamRows(rows), this.#topology, nowMs)
      .filter((s) => !request.stage || s.stage === request.stage)
      .map((s) => ({
        invoiceId: s.invoiceId,
        stage: s.stage,
        nextStage: s.nextStage,
        status: s.lastStatus,
        enteredAt: iso(s.enteredAtMs),
        ageSec: s.ageSec,
        slaSec: s.slaSec,
        overdueSec: s.overdueSec,
        ...(s.vendorId ? { vendorId: s.vendorId } : {}),
      }));

    // Technical: the same rules as the local cell and the alarms (findStuckMessages) on SQS
    // depths and CloudWatch ages, then the DLQ messages by invoice (peeked).
    const ages = await this.#oldestMessageAges(stages, nowMs);
    const depths = new Map<StageName, { dlq: number; queue: number; relayDlq: number }>();
    const queueStats: Record<string, StageQueueStats> = {};
    for (const stage of stages) {
      const r = await this.#stage(stage);
      const dlq = await this.#depth(r.dlqUrl);
      const queue = await this.#depth(r.queueUrl);
      const relay = r.relayDlqUrl ? await this.#depth(r.relayDlqUrl) : { visible: 0, inFlight: 0 };
      depths.set(stage.name, {
        dlq: dlq.visible + dlq.inFlight,
        queue: queue.visible + queue.inFlight,
        relayDlq: relay.visible + relay.inFlight,
      });
      queueStats[stage.name] = {
        dlqDepth: dlq.visible + dlq.inFlight,
        oldestMessageAgeSec: ages.get(stage.name) ?? null,
      };
    }
    const technical: StuckMessage[] = [];
    for (const issue of findStuckMessages(queueStats, this.#topology)) {
      const depth = depths.get(issue.stage);
      if (issue.kind === MONITOR_MESSAGE_KINDS.oldestMessageTooOld) {
        technical.push({
          stage: issue.stage,
          kind: STUCK_MESSAGE_KINDS.queueAge,
          ageSec: issue.value,
          count: depth?.queue ?? 0,
          detail: issue.message,
        });
        continue;
      }
      const r = await this.#stage(this.#topology.stages.find((s) => s.name === issue.stage) as StageTopology);
      const peeked = await this.#peek(r.dlqUrl, { limit: 50 });
      for (const p of peeked) {
        const sentMs = Date.parse(p.listed.sentAt);
        technical.push({
          stage: issue.stage,
          kind: STUCK_MESSAGE_KINDS.dlq,
          invoiceId: p.listed.invoiceId,
          eventId: p.listed.eventId,
          ...(Number.isFinite(sentMs) ? { ageSec: Math.floor((nowMs - sentMs) / 1000) } : {}),
          count: 1,
        });
      }
      if (issue.value > peeked.length) {
        technical.push({
          stage: issue.stage,
          kind: STUCK_MESSAGE_KINDS.dlq,
          count: issue.value - peeked.length,
          detail: `${issue.message} (${peeked.length} listed; invoice-ops dlq list --limit for more)`,
        });
      }
    }
    for (const [stage, depth] of depths) {
      if (depth.relayDlq > 0) {
        technical.push({
          stage,
          kind: STUCK_MESSAGE_KINDS.relayDlq,
          count: depth.relayDlq,
          detail: 'bus events the relay could not publish to the stage topic',
        });
      }
    }
    const notes = [
      `business: invoices with records in the last ${lookbackDays} day(s), past their stage SLA since they entered the stage (Timestream)`,
      'technical: SQS depths are approximate; queue ages are CloudWatch ApproximateAgeOfOldestMessage (last 5 min); DLQ messages were peeked (held ≤ 30 s, then released)',
    ];
    return { generatedAt: iso(nowMs), business, technical, notes };
  }

  async #queryAll(queryString: string): Promise<Record<string, string | null>[]> {
    const rows: Record<string, string | null>[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#clients.timestreamQuery.send(
        new QueryCommand({ QueryString: queryString, ...(nextToken ? { NextToken: nextToken } : {}) }),
      );
      rows.push(...rowsToObjects(page.ColumnInfo ?? [], page.Rows ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    return rows;
  }

  async #depth(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
    const out = await this.#call(`GetQueueAttributes ${queueNameFromUrl(queueUrl)}`, () =>
      this.#clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      ),
    );
    return {
      visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  /** Max of `ApproximateAgeOfOldestMessage` over the last 5 minutes, per stage queue. */
  async #oldestMessageAges(stages: readonly StageTopology[], nowMs: number): Promise<Map<StageName, number>> {
    const queries: MetricDataQuery[] = [];
    for (const [i, stage] of stages.entries()) {
      const r = await this.#stage(stage);
      queries.push({
        Id: `age${i}`,
        Label: stage.name,
        MetricStat: {
          Metric: {
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateAgeOfOldestMessage',
            Dimensions: [{ Name: 'QueueName', Value: queueNameFromUrl(r.queueUrl) }],
          },
          Period: 60,
          Stat: 'Maximum',
        },
      });
    }
    const sums = await this.#metricValues(queries, nowMs - 5 * 60_000, nowMs, 'max');
    const ages = new Map<StageName, number>();
    stages.forEach((stage, i) => {
      const value = sums.get(`age${i}`);
      if (value !== undefined) ages.set(stage.name, value);
    });
    return ages;
  }

  /** Runs GetMetricData over all pages; reduces each query's values by sum or max. */
  async #metricValues(
    queries: readonly MetricDataQuery[],
    fromMs: number,
    toMs: number,
    reduce: 'sum' | 'max',
  ): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let start = 0; start < queries.length; start += 500) {
      let nextToken: string | undefined;
      do {
        const page = await this.#call('CloudWatch GetMetricData', () =>
          this.#clients.cloudWatch.send(
            new GetMetricDataCommand({
              MetricDataQueries: queries.slice(start, start + 500),
              StartTime: new Date(fromMs),
              EndTime: new Date(toMs),
              ...(nextToken ? { NextToken: nextToken } : {}),
            }),
          ),
        );
        for (const result of page.MetricDataResults ?? []) {
          if (!result.Id) continue;
          for (const v of result.Values ?? []) {
            const prev = out.get(result.Id);
            out.set(result.Id, prev === undefined ? v : reduce === 'sum' ? prev + v : Math.max(prev, v));
          }
        }
        nextToken = page.NextToken;
      } while (nextToken);
    }
    return out;
  }

  /**
   * Peeks DLQ messages: receives them with a short visibility timeout so repeated receives return
   * others (FIFO hands out the next messages only while earlier ones are hidden), then makes them
   * visible again. Receives stop at `limit` matching messages or when a receive comes back empty.
   */
  async #peek(queueUrl: string, options: { limit: number; groupId?: string }): Promise<PeekedMessage[]> {
    const seen = new Set<string>();
    const held: Message[] = [];
    const matched: PeekedMessage[] = [];
    try {
      while (matched.length < options.limit && held.length < MAX_SCAN) {
        const out = await this.#call(`ReceiveMessage ${queueNameFromUrl(queueUrl)}`, () =>
          this.#clients.sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: queueUrl,
              MaxNumberOfMessages: 10,
              VisibilityTimeout: PEEK_VISIBILITY_SEC,
              WaitTimeSeconds: 1,
              MessageSystemAttributeNames: ['All'],
              MessageAttributeNames: ['All'],
            }),
          ),
        );
        const fresh = (out.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
        if (fresh.length === 0) break;
        for (const m of fresh) {
          seen.add(m.MessageId as string);
          held.push(m);
          const listed = dlqMessageOf(m);
          if ((!options.groupId || listed.invoiceId === options.groupId) && matched.length < options.limit) {
            matched.push({ message: m, listed });
          }
        }
      }
    } finally {
      await this.#release(queueUrl, held);
    }
    return matched;
  }

  /** Makes received messages visible again (ChangeMessageVisibilityBatch, 10 per call). */
  async #release(queueUrl: string, messages: readonly Message[]): Promise<void> {
    for (let start = 0; start < messages.length; start += 10) {
      const chunk = messages.slice(start, start + 10);
      await this.#call(`ChangeMessageVisibilityBatch ${queueNameFromUrl(queueUrl)}`, () =>
        this.#clients.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((m, i) => ({
              Id: `m${start + i}`,
              ReceiptHandle: m.ReceiptHandle as string,
              VisibilityTimeout: 0,
            })),
          }),
        ),
      );
    }
  }

  async dlqList(stage: StageTopology, request: DlqListRequest): Promise<DlqListing> {
    const r = await this.#stage(stage);
    const depth = await this.#depth(r.dlqUrl);
    const total = depth.visible + depth.inFlight;
    const peeked =
      total === 0
        ? []
        : await this.#peek(r.dlqUrl, {
            limit: request.limit,
            ...(request.invoiceId ? { groupId: request.invoiceId } : {}),
          });
    const notes = ['SQS counts are approximate; messages were peeked (held ≤ 30 s, then released)'];
    if (depth.inFlight > 0) notes.push(`${depth.inFlight} message(s) were in flight and could not be listed`);
    return {
      stage: stage.name,
      total: request.invoiceId ? peeked.length : total,
      messages: peeked.map((p) => p.listed),
      notes,
    };
  }

  async dlqRedrive(
    stage: StageTopology,
    request: RedriveRequest,
    watch: Watch<RedriveProgress>,
  ): Promise<RedriveProgress> {
    if (request.invoiceId) return this.#redriveInvoice(stage, request.invoiceId, request, watch);
    const r = await this.#stage(stage);
    const rate = request.ratePerSec;
    if (rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > MAX_MOVE_TASK_RATE)) {
      throw new UsageError(
        `--rate must be an integer from 1 to ${MAX_MOVE_TASK_RATE} for an SQS move task, got ${rate}`,
      );
    }
    const depth = await this.#depth(r.dlqUrl);
    const approximate = 'SQS counts are approximate';
    if (request.dryRun) {
      const progress: RedriveProgress = {
        stage: stage.name,
        state: REDRIVE_STATES.dryRun,
        total: depth.visible + depth.inFlight,
        moved: 0,
        notes: [
          `would start a message move task ${queueNameFromUrl(r.dlqUrl)} -> ${queueNameFromUrl(r.queueUrl)}`,
          approximate,
        ],
      };
      watch.onProgress(progress);
      return progress;
    }
    if (depth.visible + depth.inFlight === 0) {
      const empty: RedriveProgress = {
        stage: stage.name,
        state: REDRIVE_STATES.completed,
        total: 0,
        moved: 0,
        notes: [approximate],
      };
      watch.onProgress(empty);
      return empty;
    }
    const startedAtMs = this.#now();
    const started = await this.#call(`StartMessageMoveTask ${queueNameFromUrl(r.dlqUrl)}`, () =>
      this.#clients.sqs.send(
        new StartMessageMoveTaskCommand({
          SourceArn: r.dlqArn,
          DestinationArn: r.queueArn,
          ...(rate !== undefined ? { MaxNumberOfMessagesPerSecond: rate } : {}),
        }),
      ),
    );
    const taskHandle = started.TaskHandle;
    let cancelled = false;
    let progress: RedriveProgress = {
      stage: stage.name,
      state: REDRIVE_STATES.running,
      moved: 0,
      total: depth.visible,
      ...(taskHandle ? { taskId: taskHandle } : {}),
      notes: [approximate],
    };
    watch.onProgress(progress);
    for (;;) {
      if (watch.signal.aborted && !cancelled && taskHandle) {
        cancelled = true;
        await this.#call('CancelMessageMoveTask', () =>
          this.#clients.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: taskHandle })),
        );
      }
      await this.#pause(cancelled ? undefined : watch.signal);
      const task = await this.#findMoveTask(r.dlqArn, taskHandle, startedAtMs);
      if (task) {
        const status = task.Status ?? 'RUNNING';
        progress = {
          ...progress,
          moved: task.ApproximateNumberOfMessagesMoved ?? progress.moved,
          ...(task.ApproximateNumberOfMessagesToMove !== undefined
            ? { total: task.ApproximateNumberOfMessagesToMove }
            : {}),
          state:
            status === 'COMPLETED'
              ? REDRIVE_STATES.completed
              : status === 'FAILED'
                ? REDRIVE_STATES.failed
                : status === 'CANCELLED'
                  ? REDRIVE_STATES.cancelled
                  : REDRIVE_STATES.running,
          ...(task.FailureReason ? { error: task.FailureReason } : {}),
        };
        watch.onProgress(progress);
        if (TERMINAL_MOVE_STATES.has(status)) break;
      }
    }
    if (cancelled) {
      throw new InterruptedError(
        `cancelled the ${stage.name} move task after ~${progress.moved} message(s); the rest stays in the DLQ`,
      );
    }
    return progress;
  }

  /**
   * The move task this run started: by handle while it runs (only running tasks carry one), else the
   * most recent task started since this run began. `ListMessageMoveTasks` has no NextToken: it
   * returns at most 10 tasks, most recent first.
   */
  async #findMoveTask(
    sourceArn: string,
    handle: string | undefined,
    startedAtMs: number,
  ): Promise<ListMessageMoveTasksResultEntry | undefined> {
    const out = await this.#call('ListMessageMoveTasks', () =>
      this.#clients.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 })),
    );
    const results = out.Results ?? [];
    return (
      results.find((t) => handle !== undefined && t.TaskHandle === handle) ??
      results.find((t) => (t.StartedTimestamp ?? 0) >= startedAtMs - 60_000)
    );
  }

  /**
   * By-invoice redrive. A move task moves a whole DLQ, so this receives DLQ messages, resends the
   * invoice's ones to the stage queue (same MessageGroupId; MessageDeduplicationId = the original
   * one, else the eventId), deletes them from the DLQ, and releases every other group's message
   * (visibility 0) at the end. FIFO order within the group is kept: SQS hands out a group's next
   * message only after the previous one is deleted.
   *
   * A message sent to the queue less than the dedup window ago is skipped (left in the DLQ): with the
   * original dedup id SQS would accept the resend as a duplicate and drop it.
   */
  async #redriveInvoice(
    stage: StageTopology,
    invoiceId: string,
    request: RedriveRequest,
    watch: Watch<RedriveProgress>,
  ): Promise<RedriveProgress> {
    const r = await this.#stage(stage);
    const notes = [
      'by-invoice redrive: ReceiveMessage + SendMessage + DeleteMessage (a move task would move every invoice)',
    ];
    if (request.dryRun) {
      const peeked = await this.#peek(r.dlqUrl, { limit: MAX_SCAN, groupId: invoiceId });
      const progress: RedriveProgress = {
        stage: stage.name,
        state: REDRIVE_STATES.dryRun,
        invoiceId,
        total: peeked.length,
        moved: 0,
        notes: [...notes, 'counted by peeking the DLQ (held ≤ 30 s, then released)'],
      };
      watch.onProgress(progress);
      return progress;
    }
    const rate = request.ratePerSec ?? DEFAULT_INVOICE_REDRIVE_RATE;
    const dedupWindowMs = this.#topology.settings.dedupWindowSec * 1000;
    const held: Message[] = [];
    const seen = new Set<string>();
    let moved = 0;
    let skipped = 0;
    let lastSendMs = 0;
    const report = (state: RedriveProgress['state']): RedriveProgress => ({
      stage: stage.name,
      state,
      invoiceId,
      moved,
      ...(skipped > 0 ? { skipped } : {}),
      notes:
        skipped > 0
          ? [
              ...notes,
              `${skipped} message(s) were sent less than ${this.#topology.settings.dedupWindowSec}s ago and stay in the DLQ: a resend with the original dedup id would be dropped; retry later`,
            ]
          : notes,
    });
    try {
      while (!watch.signal.aborted && held.length < MAX_SCAN) {
        const out = await this.#call(`ReceiveMessage ${queueNameFromUrl(r.dlqUrl)}`, () =>
          this.#clients.sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: r.dlqUrl,
              MaxNumberOfMessages: 10,
              VisibilityTimeout: 120,
              WaitTimeSeconds: 1,
              MessageSystemAttributeNames: ['All'],
              MessageAttributeNames: ['All'],
            }),
          ),
        );
        const fresh = (out.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
        if (fresh.length === 0) break;
        for (const m of fresh) {
          seen.add(m.MessageId as string);
          const listed = dlqMessageOf(m);
          const sentMs = Date.parse(listed.sentAt);
          if (listed.invoiceId !== invoiceId) {
            held.push(m);
            continue;
          }
          if (Number.isFinite(sentMs) && this.#now() - sentMs < dedupWindowMs) {
            skipped++;
            held.push(m);
            continue;
          }
          const waitMs = lastSendMs + 1000 / rate - this.#now();
          if (waitMs > 0) await this.#sleep(waitMs);
          lastSendMs = this.#now();
          const dedupId = m.Attributes?.MessageDeduplicationId ?? listed.eventId;
          await this.#call(`SendMessage ${queueNameFromUrl(r.queueUrl)}`, () =>
            this.#clients.sqs.send(
              new SendMessageCommand({
                QueueUrl: r.queueUrl,
                MessageBody: m.Body ?? '',
                MessageGroupId: invoiceId,
                MessageDeduplicationId: dedupId,
                ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0
                  ? { MessageAttributes: m.MessageAttributes }
                  : {}),
              }),
            ),
          );
          await this.#call(`DeleteMessage ${queueNameFromUrl(r.dlqUrl)}`, () =>
            this.#clients.sqs.send(
              new DeleteMessageCommand({ QueueUrl: r.dlqUrl, ReceiptHandle: m.ReceiptHandle as string }),
            ),
          );
          moved++;
          watch.onProgress(report(REDRIVE_STATES.running));
        }
      }
    } finally {
      await this.#release(r.dlqUrl, held);
    }
    if (watch.signal.aborted) {
      throw new InterruptedError(
        `stopped the ${stage.name} redrive of ${invoiceId} after ${moved} message(s)`,
      );
    }
    const done = report(REDRIVE_STATES.completed);
    watch.onProgress(done);
    return { ...done, total: moved + skipped };
  }

  async #pause(signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.#sleep(this.#pollMs, signal);
    } catch {
      // Aborted: the caller checks the signal and cancels.
    }
  }

  /** The ARN of the rule routing `stage` (not a stack output): the bus rule whose pattern matches the stage's events. */
  async #ruleArn(stage: StageTopology, resources: CellResources): Promise<string> {
    const sample = {
      source: this.#topology.settings.eventSource,
      'detail-type': stage.detailType,
      detail: {},
    };
    const matching: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#call(`ListRules on ${resources.busName}`, () =>
        this.#clients.eventBridge.send(
          new ListRulesCommand({
            EventBusName: resources.busName,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        ),
      );
      for (const rule of page.Rules ?? []) {
        // The archive's rule is managed by EventBridge and matches every stage.
        if (!rule.Arn || !rule.EventPattern || rule.ManagedBy) continue;
        try {
          if (compileEventPattern(JSON.parse(rule.EventPattern)).matches(sample)) matching.push(rule.Arn);
        } catch {
          // A pattern this tool cannot read is not one of the cell's stage rules.
        }
      }
      nextToken = page.NextToken;
    } while (nextToken);
    if (matching.length !== 1) {
      throw new OpsError(
        `cannot tell the ${stage.name} rule on bus ${resources.busName}: ${matching.length} rules match ${stage.detailType} events (${matching.join(', ') || 'none'})`,
      );
    }
    return matching[0] as string;
  }

  async replay(request: ReplayRequest, watch: Watch<ReplayProgress>): Promise<ReplayProgress> {
    if (request.invoiceId) {
      throw new UsageError(
        '--invoice is not supported against a deployed cell: EventBridge replays filter by rule, not by invoice (replay the window; idempotent writes make the extra events harmless)',
      );
    }
    const resources = await this.resources();
    const name = request.name ?? `ops-${iso(this.#now()).replace(/[:.]/g, '-')}`;
    const filterArns = request.stage ? [await this.#ruleArn(request.stage, resources)] : undefined;
    const base = {
      name,
      from: iso(request.fromMs),
      to: iso(request.toMs),
      ...(request.stage ? { stage: request.stage.name } : {}),
    };
    if (request.dryRun) {
      const archive = await this.#call(`DescribeArchive ${resources.archiveName}`, () =>
        this.#clients.eventBridge.send(new DescribeArchiveCommand({ ArchiveName: resources.archiveName })),
      );
      const progress: ReplayProgress = {
        ...base,
        state: REPLAY_STATES.dryRun,
        notes: [
          `would replay archive ${resources.archiveName} (${archive.State ?? 'state unknown'}, ${archive.EventCount ?? '?'} events in all) to bus ${resources.busName}, ${base.from} .. ${base.to}${filterArns ? ` through rule ${filterArns[0]}` : ' through every rule'}`,
          'EventBridge cannot count the archived events of a window: the archive count covers all time, and CloudWatch counts are approximate',
        ],
      };
      watch.onProgress(progress);
      return progress;
    }
    await this.#call(`StartReplay ${name}`, () =>
      this.#clients.eventBridge.send(
        new StartReplayCommand({
          ReplayName: name,
          Description: `invoice-ops replay ${base.from} .. ${base.to}${request.stage ? ` (${request.stage.name})` : ''}`,
          EventSourceArn: resources.archiveArn,
          EventStartTime: new Date(request.fromMs),
          EventEndTime: new Date(request.toMs),
          Destination: { Arn: resources.busArn, ...(filterArns ? { FilterArns: filterArns } : {}) },
        }),
      ),
    );
    const notes = ['AWS reports progress as the time of the last replayed event, not as a count'];
    let progress: ReplayProgress = { ...base, state: REPLAY_STATES.starting, fraction: 0, notes };
    watch.onProgress(progress);
    let cancelled = false;
    for (;;) {
      if (watch.signal.aborted && !cancelled) {
        cancelled = true;
        await this.#call(`CancelReplay ${name}`, () =>
          this.#clients.eventBridge.send(new CancelReplayCommand({ ReplayName: name })),
        );
      }
      await this.#pause(cancelled ? undefined : watch.signal);
      const d = await this.#call(`DescribeReplay ${name}`, () =>
        this.#clients.eventBridge.send(new DescribeReplayCommand({ ReplayName: name })),
      );
      const state = AWS_REPLAY_STATES[d.State ?? ''] ?? REPLAY_STATES.running;
      const last = d.EventLastReplayedTime?.getTime();
      const span = request.toMs - request.fromMs;
      const fraction =
        state === REPLAY_STATES.completed
          ? 1
          : last === undefined
            ? (progress.fraction ?? 0)
            : Math.max(0, Math.min(1, (last - request.fromMs) / span));
      progress = { ...base, state, fraction, ...(d.StateReason ? { error: d.StateReason } : {}), notes };
      watch.onProgress(progress);
      if (
        state === REPLAY_STATES.completed ||
        state === REPLAY_STATES.failed ||
        state === REPLAY_STATES.cancelled
      ) {
        break;
      }
    }
    if (cancelled)
      throw new InterruptedError(
        `replay ${name} ${progress.state} after ${Math.round((progress.fraction ?? 0) * 100)}% of the window`,
      );
    return progress;
  }

  async reconcile(window: TimeWindow): Promise<ReconcileReport> {
    const metric = (id: string, service: string, name: string, stage: StageTopology): MetricDataQuery => ({
      Id: id,
      MetricStat: {
        Metric: {
          Namespace: METRICS_NAMESPACE,
          MetricName: name,
          Dimensions: [
            { Name: 'service', Value: service },
            { Name: 'stage', Value: stage.name },
          ],
        },
        Period: window.toMs - window.fromMs > 86_400_000 ? 3600 : 60,
        Stat: 'Sum',
      },
    });
    const queries = this.#topology.stages.flatMap((stage, i) => [
      metric(`relayed${i}`, METRIC_SERVICES.relay, METRIC_NAMES.relayedEvents, stage),
      metric(`processed${i}`, METRIC_SERVICES.processor, METRIC_NAMES.eventsProcessed, stage),
    ]);
    const sums = await this.#metricValues(queries, window.fromMs, window.toMs, 'sum');
    const stages: ReconcileStage[] = [];
    for (const [i, stage] of this.#topology.stages.entries()) {
      const r = await this.#stage(stage);
      const dlq = await this.#depth(r.dlqUrl);
      const queue = await this.#depth(r.queueUrl);
      const accepted = sums.get(`relayed${i}`) ?? 0;
      const stored = sums.get(`processed${i}`) ?? 0;
      const inDlq = dlq.visible + dlq.inFlight;
      const inFlight = queue.visible + queue.inFlight;
      const gap = accepted - stored - inDlq - inFlight;
      stages.push({
        stage: stage.name,
        accepted,
        stored,
        inDlq,
        inFlight,
        accounted: Math.min(accepted, stored + inDlq + inFlight),
        gap,
        missing: [],
        unexpected: [],
        // Counts only: more accounted than accepted (messages from outside the window) is no loss.
        balanced: gap <= 0,
      });
    }
    return {
      from: iso(window.fromMs),
      to: iso(window.toMs),
      stages,
      balanced: stages.every((s) => s.balanced),
      approximate: true,
      notes: [
        'approximate: accepted = relay RelayedEvents and stored = processor EventsProcessed (CloudWatch sums by publish time, replays included); DLQ and in-flight are current queue totals, not limited to the window',
        'a replay deduplicated within the 5-minute window is relayed but not processed and shows as a gap; let it age out of the window or compare a quieter window',
        'event ids cannot be named on AWS (the archive is not queryable by id); replaying the window repairs a real gap (writes are idempotent)',
      ],
    };
  }

  async alarms(request: AlarmsRequest): Promise<AlarmReport> {
    const resources = await this.resources();
    const prefix = resources.alarmNamePrefix;
    const metricAlarms: MetricAlarm[] = [];
    const alarms: AlarmState[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#call('CloudWatch DescribeAlarms', () =>
        this.#clients.cloudWatch.send(
          new DescribeAlarmsCommand({
            AlarmNamePrefix: prefix,
            AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        ),
      );
      metricAlarms.push(...(page.MetricAlarms ?? []));
      for (const a of page.CompositeAlarms ?? []) {
        alarms.push({
          name: a.AlarmName ?? '',
          state: a.StateValue ?? 'UNKNOWN',
          ...(a.StateReason ? { reason: a.StateReason } : {}),
          ...(a.StateUpdatedTimestamp ? { since: a.StateUpdatedTimestamp.toISOString() } : {}),
        });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    for (const a of metricAlarms) {
      const stage = a.Dimensions?.find((d) => d.Name === 'stage')?.Value;
      alarms.push({
        name: a.AlarmName ?? '',
        state: a.StateValue ?? 'UNKNOWN',
        ...(a.StateReason ? { reason: a.StateReason } : {}),
        ...(a.StateUpdatedTimestamp ? { since: a.StateUpdatedTimestamp.toISOString() } : {}),
        ...(stage ? { stage } : {}),
      });
    }
    const known = alarmRuleMatcher(this.#topology, prefix);
    for (const [i, alarm] of alarms.entries()) {
      const rule = known(alarm.name);
      if (!rule) continue;
      alarms[i] = {
        ...alarm,
        title: rule.title,
        severity: rule.severity,
        ...(rule.stage && !alarm.stage ? { stage: rule.stage } : {}),
      };
    }
    alarms.sort((x, y) => alarmRank(x.state) - alarmRank(y.state) || x.name.localeCompare(y.name));
    const nowMs = this.#now();
    const transitions: AlarmTransition[] = [];
    nextToken = undefined;
    do {
      const page = await this.#call('CloudWatch DescribeAlarmHistory', () =>
        this.#clients.cloudWatch.send(
          new DescribeAlarmHistoryCommand({
            HistoryItemType: 'StateUpdate',
            StartDate: new Date(nowMs - request.historySec * 1000),
            EndDate: new Date(nowMs),
            ScanBy: 'TimestampDescending',
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        ),
      );
      for (const item of page.AlarmHistoryItems ?? []) {
        if (!item.AlarmName?.startsWith(prefix)) continue;
        const states = historyStates(item.HistoryData);
        transitions.push({
          name: item.AlarmName,
          at: item.Timestamp?.toISOString() ?? '',
          ...states,
          summary: item.HistorySummary ?? '',
        });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return {
      alarms,
      transitions,
      notes: [
        `alarms named ${prefix}<rule id> (stack output AlarmNamePrefix)`,
        ...(alarms.length === 0 ? ['no alarms found: the CellStack may not define alarms yet'] : []),
      ],
    };
  }
}

/**
 * Finds the rule (cells/alarm-rules.ts) an AWS alarm was rendered from by its name. CellAlarms names
 * every alarm `<stack name>-<rule id>` (`InvoiceCell-x-posting-dlq-not-empty`); for names made
 * otherwise (a CloudFormation-generated `InvoiceCell-x-AlarmsPostingDlqNotEmpty1A2B-XYZ`) the rule
 * id, letters and digits only, is looked for inside the name, the longest id first. Pure.
 */
export function alarmRuleMatcher(
  topology: CellTopology,
  prefix = '',
): (alarmName: string) => { id: string; title: string; severity: string; stage?: string } | undefined {
  const rules = deriveAlarmRules(topology);
  const all = [...rules, deriveCellUnhealthy(rules)];
  const squash = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');
  const byLength = all
    .map((r) => ({ rule: r, key: squash(r.id) }))
    .sort((a, b) => b.key.length - a.key.length);
  return (alarmName) => {
    const rest = prefix !== '' && alarmName.startsWith(prefix) ? alarmName.slice(prefix.length) : alarmName;
    const exact = all.find((r) => r.id === rest);
    const name = squash(rest);
    const hit = exact ?? byLength.find((r) => name.includes(r.key))?.rule;
    if (!hit) return undefined;
    return {
      id: hit.id,
      title: hit.title,
      severity: hit.severity,
      ...('stage' in hit && hit.stage ? { stage: hit.stage } : {}),
    };
  };
}

function alarmRank(state: string): number {
  return state === 'ALARM' ? 0 : state === 'INSUFFICIENT_DATA' ? 1 : 2;
}

function historyStates(data: string | undefined): { from?: string; to?: string } {
  try {
    const parsed = JSON.parse(data ?? '') as {
      oldState?: { stateValue?: string };
      newState?: { stateValue?: string };
    };
    return {
      ...(parsed.oldState?.stateValue ? { from: parsed.oldState.stateValue } : {}),
      ...(parsed.newState?.stateValue ? { to: parsed.newState.stateValue } : {}),
    };
  } catch {
    return {};
  }
}

/** The stage message inside a DLQ body: raw (the relay's JSON) or, defensively, an SNS envelope. */
function bodyOf(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as { Type?: unknown; Message?: unknown };
    if (parsed?.Type === 'Notification' && typeof parsed.Message === 'string') {
      try {
        return JSON.parse(parsed.Message);
      } catch {
        return parsed.Message;
      }
    }
    return parsed;
  } catch {
    return text;
  }
}

/** The listing row of a received DLQ message. Pure. */
export function dlqMessageOf(m: Message): DlqMessage {
  const body = bodyOf(m.Body);
  const event = (body as { event?: { eventId?: unknown; invoiceId?: unknown } } | undefined)?.event;
  const attrs = m.Attributes ?? {};
  const sent = Number(attrs.SentTimestamp);
  return {
    messageId: m.MessageId ?? '',
    invoiceId: attrs.MessageGroupId ?? (typeof event?.invoiceId === 'string' ? event.invoiceId : ''),
    eventId: typeof event?.eventId === 'string' ? event.eventId : (attrs.MessageDeduplicationId ?? ''),
    receiveCount: Number(attrs.ApproximateReceiveCount ?? 0),
    sentAt: Number.isFinite(sent) && sent > 0 ? iso(sent) : '',
    body,
  };
}
