import type { StageName, StageTopology } from '../../../cells/topology.js';
import { queryAllRows } from '../../../consumers/aws/timestream-query.js';
import {
  latestFromTimestreamRows,
  timestreamLatestByInvoiceSql,
} from '../../../consumers/aws/timestream-stuck-query.js';
import {
  findStuckInvoices,
  findStuckMessages,
  STUCK_MESSAGE_KINDS as MONITOR_MESSAGE_KINDS,
  type StuckInvoice as MonitorStuckInvoice,
  type StageQueueStats,
} from '../../../consumers/monitoring/stuck.js';
import { PostgresStuckReader } from '../../../consumers/postgresql/postgres-stuck-reader.js';
import type { SqlExecutor } from '../../../consumers/postgresql/sql-executor.js';
import { isoFromMs } from '../../../schemas/time.js';
import {
  STUCK_MESSAGE_KINDS,
  type StuckInvoice,
  type StuckMessage,
  type StuckReport,
  type StuckRequest,
} from '../backend.js';
import { type AwsCell, auroraTarget, stageResources, timestreamTable } from './aws-cell.js';
import { awsCall } from './aws-error.js';
import { peekDlq } from './dlq-peek.js';
import { oldestMessageAges } from './metric-values.js';
import { queueDepth } from './queue-depth.js';

/**
 * `stuck` on a deployed cell. Business: invoices past their stage SLA, from the cell's store with
 * the stuck monitor's read and rules (Timestream's records; Aurora's `invoice_state` deadline
 * index, `PostgresStuckReader`). Technical: the same rules as the local cell and the alarms
 * (`findStuckMessages`) on SQS depths and CloudWatch ages, then the DLQ messages by invoice (peeked).
 *
 * @example
 * const report = await stuckReport(aws, { stage: 'posting' });
 */
export async function stuckReport(aws: AwsCell, request: StuckRequest): Promise<StuckReport> {
  const nowMs = aws.now();
  const stages = aws.topology.stages.filter((s) => !request.stage || s.name === request.stage);
  const lookbackDays = Math.max(1, Math.round(aws.stuckLookbackSec / 86_400));
  const aurora = await auroraTarget(aws);
  const business = aurora
    ? await auroraStuckInvoices(aws, aurora.executor, request, nowMs)
    : await stuckInvoices(aws, request, lookbackDays, nowMs);
  const technical = await stuckMessages(aws, stages, nowMs);
  const notes = [
    aurora
      ? `business: invoices that entered their stage in the last ${lookbackDays} day(s) and are past its SLA (Aurora invoice_state, the ${AURORA_LISTED} most overdue)`
      : `business: invoices with records in the last ${lookbackDays} day(s), past their stage SLA since they entered the stage (Timestream)`,
    'technical: SQS depths are approximate; queue ages are CloudWatch ApproximateAgeOfOldestMessage (last 5 min); DLQ messages were peeked (held ≤ 30 s, then released)',
  ];
  return { generatedAt: isoFromMs(nowMs), business, technical, notes };
}

async function stuckInvoices(
  aws: AwsCell,
  request: StuckRequest,
  lookbackDays: number,
  nowMs: number,
): Promise<StuckInvoice[]> {
  const { database, table } = await timestreamTable(aws);
  const query = timestreamLatestByInvoiceSql(
    { database, table, fromParam: `ago(${lookbackDays}d)`, cell: aws.cell.name, overdueOnly: true },
    aws.topology,
  );
  const rows = await awsCall('Timestream stuck-invoice query', () =>
    queryAllRows(aws.clients.timestreamQuery, query),
  );
  return findStuckInvoices(latestFromTimestreamRows(rows), aws.topology, nowMs)
    .filter((s) => !request.stage || s.stage === request.stage)
    .map(stuckInvoiceRow);
}

/** Stuck invoices listed from an Aurora cell (most overdue first). */
const AURORA_LISTED = 1_000;

/** Aurora: a range read of `invoice_state` by SLA deadline, as the cell's stuck monitor reads it. */
async function auroraStuckInvoices(
  aws: AwsCell,
  executor: SqlExecutor,
  request: StuckRequest,
  nowMs: number,
): Promise<StuckInvoice[]> {
  const reader = new PostgresStuckReader(executor, aws.topology, { lookbackSec: aws.stuckLookbackSec });
  const stuck = await awsCall('Aurora stuck-invoice read', () =>
    reader.invoices(nowMs, request.stage, AURORA_LISTED),
  );
  return stuck.map(stuckInvoiceRow);
}

function stuckInvoiceRow(s: MonitorStuckInvoice): StuckInvoice {
  return {
    invoiceId: s.invoiceId,
    stage: s.stage,
    nextStage: s.nextStage,
    status: s.lastStatus,
    enteredAt: isoFromMs(s.enteredAtMs),
    ageSec: s.ageSec,
    slaSec: s.slaSec,
    overdueSec: s.overdueSec,
    ...(s.vendorId ? { vendorId: s.vendorId } : {}),
  };
}

/** Message totals (visible + in flight) of one stage's queues. */
interface StageDepths {
  readonly dlq: number;
  readonly queue: number;
  readonly relayDlq: number;
}

async function stuckMessages(
  aws: AwsCell,
  stages: readonly StageTopology[],
  nowMs: number,
): Promise<StuckMessage[]> {
  const ages = await oldestMessageAges(aws, stages, nowMs);
  const depths = await stageDepths(aws, stages);
  const queueStats: Record<string, StageQueueStats> = {};
  for (const [stage, depth] of depths) {
    queueStats[stage] = { dlqDepth: depth.dlq, oldestMessageAgeSec: ages.get(stage) ?? null };
  }
  const technical: StuckMessage[] = [];
  for (const issue of findStuckMessages(queueStats, aws.topology)) {
    if (issue.kind === MONITOR_MESSAGE_KINDS.oldestMessageTooOld) {
      technical.push({
        stage: issue.stage,
        kind: STUCK_MESSAGE_KINDS.queueAge,
        ageSec: issue.value,
        count: depths.get(issue.stage)?.queue ?? 0,
        detail: issue.message,
      });
      continue;
    }
    technical.push(...(await dlqRows(aws, issue, nowMs)));
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
  return technical;
}

/** Per stage, in order: DLQ, queue and relay DLQ totals (visible + in flight). */
async function stageDepths(
  aws: AwsCell,
  stages: readonly StageTopology[],
): Promise<Map<StageName, StageDepths>> {
  const { sqs } = aws.clients;
  const depths = new Map<StageName, StageDepths>();
  for (const stage of stages) {
    const r = await stageResources(aws, stage);
    const dlq = await queueDepth(sqs, r.dlqUrl);
    const queue = await queueDepth(sqs, r.queueUrl);
    const relay = r.relayDlqUrl ? await queueDepth(sqs, r.relayDlqUrl) : { visible: 0, inFlight: 0 };
    depths.set(stage.name, {
      dlq: dlq.visible + dlq.inFlight,
      queue: queue.visible + queue.inFlight,
      relayDlq: relay.visible + relay.inFlight,
    });
  }
  return depths;
}

/** A DLQ issue as one row per peeked message (≤ 50), plus one row counting the rest. */
async function dlqRows(
  aws: AwsCell,
  issue: { readonly stage: StageName; readonly value: number; readonly message: string },
  nowMs: number,
): Promise<StuckMessage[]> {
  const r = await stageResources(
    aws,
    aws.topology.stages.find((s) => s.name === issue.stage) as StageTopology,
  );
  const peeked = await peekDlq(aws.clients.sqs, r.dlqUrl, { limit: 50 });
  const rows: StuckMessage[] = peeked.map((p) => {
    const sentMs = Date.parse(p.listed.sentAt);
    return {
      stage: issue.stage,
      kind: STUCK_MESSAGE_KINDS.dlq,
      invoiceId: p.listed.invoiceId,
      eventId: p.listed.eventId,
      ...(Number.isFinite(sentMs) ? { ageSec: Math.floor((nowMs - sentMs) / 1000) } : {}),
      count: 1,
    };
  });
  if (issue.value > peeked.length) {
    rows.push({
      stage: issue.stage,
      kind: STUCK_MESSAGE_KINDS.dlq,
      count: issue.value - peeked.length,
      detail: `${issue.message} (${peeked.length} listed; invoice-ops dlq list --limit for more)`,
    });
  }
  return rows;
}
