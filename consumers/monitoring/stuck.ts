import type { CellTopology, StageName } from '../../cells/topology.js';

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
 * When an invoice that entered stage `stageOrder` at `enteredMs` and whose latest status there is
 * `status` becomes stuck: `enteredMs + slaSec · 1000`, or null when it can never be (the last stage,
 * a stage without an SLA, a status terminal for the stage, a stage the topology does not know). The
 * invoice is stuck at `nowMs` iff the deadline is `< nowMs`: the rule of {@link findStuckInvoices},
 * and what the local cell's invoice state table indexes (`invoice-state-writer.ts`). Pure.
 *
 * @example
 * stuckDeadlineMs(CELL_TOPOLOGY, 0, 'RECEIVED', t); // t + 900_000 (ingestion's 15 min SLA)
 * stuckDeadlineMs(CELL_TOPOLOGY, 0, 'REJECTED', t); // null: terminal at ingestion
 */
export function stuckDeadlineMs(
  topology: CellTopology,
  stageOrder: number,
  status: string,
  enteredMs: number,
): number | null {
  const stage = topology.stages[stageOrder];
  if (!stage || !topology.stages[stageOrder + 1] || stage.slaSec <= 0) return null;
  if (stage.terminalStatuses.includes(status)) return null;
  return enteredMs + stage.slaSec * 1000;
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
    const deadlineMs = stuckDeadlineMs(topology, stage.order, row.status, row.timeMs);
    const next = topology.stages[stage.order + 1];
    if (deadlineMs === null || deadlineMs >= nowMs || !next) continue;
    const ageSec = Math.floor((nowMs - row.timeMs) / 1000);
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

/** A row of either latest-by-invoice query, as the store returns it. */
export interface LatestByInvoiceRow {
  readonly invoice_id: string;
  readonly stage: string;
  readonly status: string;
  readonly time_ms: number | bigint | string;
  readonly vendor_id: string | null;
}

/** Rows of a latest-by-invoice query (SQLite, Timestream or PostgreSQL adapter) to {@link LatestInvoiceState}. Pure. */
export function latestFromRows(rows: readonly LatestByInvoiceRow[]): LatestInvoiceState[] {
  return rows.map((r) => ({
    invoiceId: r.invoice_id,
    stage: r.stage,
    status: r.status,
    timeMs: Number(r.time_ms),
    ...(r.vendor_id !== null ? { vendorId: r.vendor_id } : {}),
  }));
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
