import type { CellTopology, StageName } from '../../cells/topology.js';
import {
  quoteIdentifier,
  quoteLiteral,
  stageOrderCase,
  stageSlaMsCase,
  terminalStatusCondition,
  timestreamTable,
  timestreamTimeExpression,
} from '../../dashboards/renderers/sql-fragments.js';
import type { QueryRow } from '../aws/timestream-store.js';
import { INVOICE_MEASURE_NAME } from '../record.js';

/**
 * Stuck events (DESIGN §4), both kinds:
 *
 * - **business**: an invoice that reached stage N but not N+1 within stage N's `slaSec`
 *   ({@link findStuckInvoices}). The clock starts when the invoice *entered* N (its first record
 *   at N), not at its latest event there: a second event at the same stage does not reset the SLA.
 *   Not stuck: an invoice at the last stage (its lifecycle is complete; `slaSec` is 0), and an
 *   invoice whose latest status at its stage is terminal for that stage (topology
 *   `terminalStatuses`, e.g. REJECTED at ingestion or authorization: it will never move on, by
 *   decision). Statuses that wait for people (ESCALATED, MISMATCHED) *are* stuck when they
 *   outlast the SLA: that is exactly what operations must chase.
 * - **technical**: a message in a stage DLQ, or the oldest message in a stage queue older than the
 *   stage threshold ({@link findStuckMessages}).
 *
 * The input of the business check, one row per invoice, comes from the store:
 * {@link localLatestByInvoiceSql} (SQLite `records`) or {@link timestreamLatestByInvoiceSql}.
 *
 * @example
 * const rows = db.prepare(localLatestByInvoiceSql(topology)).all({ fromMs, cell: null });
 * const stuck = findStuckInvoices(latestFromLocalRows(rows), topology, Date.now());
 */

/** Where one invoice is: its furthest stage, its latest status there, and when it entered that stage. */
export interface LatestInvoiceState {
  readonly invoiceId: string;
  readonly stage: string;
  readonly status: string;
  /** When the invoice entered `stage` (its first record time there, epoch ms). */
  readonly timeMs: number;
  readonly vendorId?: string;
}

export interface StuckInvoice {
  readonly invoiceId: string;
  readonly stage: StageName;
  /** The stage the invoice has not reached. */
  readonly nextStage: StageName;
  readonly lastStatus: string;
  readonly enteredAtMs: number;
  /** Whole seconds since the invoice entered `stage`. */
  readonly ageSec: number;
  readonly slaSec: number;
  /** `ageSec - slaSec`; > 0 for every stuck invoice. */
  readonly overdueSec: number;
  readonly vendorId?: string;
}

/**
 * Invoices past their stage SLA without reaching the next stage, most overdue first. Rows for a
 * stage the topology does not know (a removed stage) are ignored. Pure.
 */
export function findStuckInvoices(
  latestByInvoice: readonly LatestInvoiceState[],
  topology: CellTopology,
  nowMs: number,
): StuckInvoice[] {
  const stages = new Map(topology.stages.map((s) => [s.name as string, s]));
  const stuck: StuckInvoice[] = [];
  for (const row of latestByInvoice) {
    const stage = stages.get(row.stage);
    if (!stage) continue;
    const next = topology.stages[stage.order + 1];
    if (!next || stage.slaSec <= 0) continue;
    if (stage.terminalStatuses.includes(row.status)) continue;
    const ageMs = nowMs - row.timeMs;
    if (ageMs <= stage.slaSec * 1000) continue;
    const ageSec = Math.floor(ageMs / 1000);
    stuck.push({
      invoiceId: row.invoiceId,
      stage: stage.name,
      nextStage: next.name,
      lastStatus: row.status,
      enteredAtMs: row.timeMs,
      ageSec,
      slaSec: stage.slaSec,
      overdueSec: ageSec - stage.slaSec,
      ...(row.vendorId !== undefined ? { vendorId: row.vendorId } : {}),
    });
  }
  return stuck.sort((a, b) => b.overdueSec - a.overdueSec || a.invoiceId.localeCompare(b.invoiceId));
}

/** Stuck invoices per stage, 0 for every stage that can have some (the `stuckInvoices` alarm signal). Pure. */
export function countStuckByStage(
  stuck: readonly StuckInvoice[],
  topology: CellTopology,
): Map<StageName, number> {
  const counts = new Map<StageName, number>();
  for (const stage of topology.stages) if (stage.slaSec > 0) counts.set(stage.name, 0);
  for (const s of stuck) counts.set(s.stage, (counts.get(s.stage) ?? 0) + 1);
  return counts;
}

/**
 * SQLite: one row per invoice with records since `:fromMs` (the look-back; an invoice with no
 * record since then is not considered) in cell `:cell` (NULL = any): columns `invoice_id, stage,
 * status, time_ms, vendor_id`. Invoices already at the last stage are left out in SQL, since they
 * can never be stuck and are most of the table. The latest status is that of the latest record
 * at the furthest stage; `time_ms` is the first record time at that stage.
 */
export function localLatestByInvoiceSql(topology: CellTopology): string {
  const lastOrder = topology.stages.length - 1;
  return `WITH ranked AS (
  SELECT invoice_id, stage, stage_order, status, vendor_id,
    ROW_NUMBER() OVER (PARTITION BY invoice_id ORDER BY stage_order DESC, time_ms DESC, id DESC) AS latest_rank,
    min(time_ms) OVER (PARTITION BY invoice_id, stage_order) AS entered_ms
  FROM records
  WHERE measure_name = '${INVOICE_MEASURE_NAME}' AND time_ms >= :fromMs AND (:cell IS NULL OR cell = :cell)
)
SELECT invoice_id, stage, status, entered_ms AS time_ms, vendor_id
FROM ranked
WHERE latest_rank = 1 AND stage_order < ${lastOrder}
ORDER BY entered_ms, invoice_id`;
}

/** A row of either latest-by-invoice query, as the store returns it. */
export interface LatestByInvoiceRow {
  readonly invoice_id: string;
  readonly stage: string;
  readonly status: string;
  readonly time_ms: number | bigint | string;
  readonly vendor_id: string | null;
}

/** Rows of {@link localLatestByInvoiceSql} (or parsed Timestream rows) to {@link LatestInvoiceState}. Pure. */
export function latestFromRows(rows: readonly LatestByInvoiceRow[]): LatestInvoiceState[] {
  return rows.map((r) => ({
    invoiceId: r.invoice_id,
    stage: r.stage,
    status: r.status,
    timeMs: Number(r.time_ms),
    ...(r.vendor_id !== null ? { vendorId: r.vendor_id } : {}),
  }));
}

/** Timestream QueryRows of {@link timestreamLatestByInvoiceSql} to {@link LatestInvoiceState}. Pure. */
export function latestFromTimestreamRows(rows: readonly QueryRow[]): LatestInvoiceState[] {
  return latestFromRows(
    rows.map((r) => {
      const get = (name: string): string => {
        const value = r[name];
        if (value === undefined || value === null) throw new Error(`latest-by-invoice row has no ${name}`);
        return value;
      };
      return {
        invoice_id: get('invoice_id'),
        stage: get('stage'),
        status: get('status'),
        time_ms: get('time_ms'),
        vendor_id: r.vendor_id ?? null,
      };
    }),
  );
}

export interface TimestreamLatestOptions {
  readonly database: string;
  readonly table: string;
  /** Look-back start, e.g. `ago(30d)` (see `TIMESTREAM_WINDOW`). */
  readonly fromParam: string;
  readonly cell?: string;
  /**
   * Return only the rows {@link findStuckInvoices} can list: past their stage SLA (by the query's
   * `now()`) and not ended by a terminal status. Without it the query returns every unfinished
   * invoice, which at the target load is millions of rows per run; a scheduled monitor sets it.
   * `findStuckInvoices` still decides (with its own clock), so the result is the same.
   */
  readonly overdueOnly?: boolean;
}

/**
 * Timestream: the same rows as {@link localLatestByInvoiceSql} (same column names). Timestream has
 * no stage-order column, so the order comes from the topology as a CASE expression. Pure; throws
 * `QueryParameterError` for an unsafe name or bound.
 */
export function timestreamLatestByInvoiceSql(
  options: TimestreamLatestOptions,
  topology: CellTopology,
): string {
  const lastOrder = topology.stages.length - 1;
  const q = quoteIdentifier;
  const where = [
    `measure_name = '${INVOICE_MEASURE_NAME}'`,
    `time >= ${timestreamTimeExpression(options.fromParam, 'fromParam')}`,
    ...(options.cell !== undefined ? [`cell = ${quoteLiteral(options.cell, 'cell')}`] : []),
  ];
  const overdue = options.overdueOnly
    ? ` AND NOT ${terminalStatusCondition('stage_order', 'status', topology)}` +
      ` AND to_milliseconds(entered_at) < to_milliseconds(now()) - ${stageSlaMsCase('stage_order', topology)}`
    : '';
  return `WITH events AS (
  SELECT ${q('invoiceId')} AS invoice_id, stage, status, time, ${q('vendorId')} AS vendor_id, ${q('eventId')} AS event_id,
    ${stageOrderCase('stage', topology)} AS stage_order
  FROM ${timestreamTable(options.database, options.table)}
  WHERE ${where.join(' AND ')}
),
ranked AS (
  SELECT invoice_id, stage, stage_order, status, vendor_id,
    ROW_NUMBER() OVER (PARTITION BY invoice_id ORDER BY stage_order DESC, time DESC, event_id DESC) AS latest_rank,
    min(time) OVER (PARTITION BY invoice_id, stage_order) AS entered_at
  FROM events
)
SELECT invoice_id, stage, status, to_milliseconds(entered_at) AS time_ms, vendor_id
FROM ranked
WHERE latest_rank = 1 AND stage_order < ${lastOrder}${overdue}
ORDER BY entered_at, invoice_id`;
}

/** What the technical check needs of one stage's queue and DLQ. */
export interface StageQueueStats {
  readonly dlqDepth: number;
  /** `null`/`undefined` when the queue is empty. */
  readonly oldestMessageAgeSec?: number | null;
}

export const STUCK_MESSAGE_KINDS = {
  dlqNotEmpty: 'dlq-not-empty',
  oldestMessageTooOld: 'oldest-message-too-old',
} as const;
export type StuckMessageKind = (typeof STUCK_MESSAGE_KINDS)[keyof typeof STUCK_MESSAGE_KINDS];

export interface StuckMessageIssue {
  readonly stage: StageName;
  readonly kind: StuckMessageKind;
  readonly value: number;
  readonly threshold: number;
  readonly message: string;
}

/**
 * Technical stuck events per stage: DLQ depth above the stage's `alarms.dlqDepth` (0: any message),
 * oldest message older than `alarms.oldestMessageAgeSec`. Stages without stats are skipped. Pure.
 */
export function findStuckMessages(
  queueStats: Readonly<Partial<Record<string, StageQueueStats>>>,
  topology: CellTopology,
): StuckMessageIssue[] {
  const issues: StuckMessageIssue[] = [];
  for (const stage of topology.stages) {
    const stats = queueStats[stage.name];
    if (!stats) continue;
    const { dlqDepth: dlqThreshold, oldestMessageAgeSec: ageThreshold } = stage.alarms;
    if (stats.dlqDepth > dlqThreshold) {
      issues.push({
        stage: stage.name,
        kind: STUCK_MESSAGE_KINDS.dlqNotEmpty,
        value: stats.dlqDepth,
        threshold: dlqThreshold,
        message: `${stats.dlqDepth} message(s) in the ${stage.name} DLQ; inspect and redrive`,
      });
    }
    const age = stats.oldestMessageAgeSec;
    if (age !== undefined && age !== null && age > ageThreshold) {
      issues.push({
        stage: stage.name,
        kind: STUCK_MESSAGE_KINDS.oldestMessageTooOld,
        value: age,
        threshold: ageThreshold,
        message: `oldest ${stage.name} message is ${age} s old (threshold ${ageThreshold} s)`,
      });
    }
  }
  return issues;
}
