import type { Statement } from 'better-sqlite3';
import {
  findStuckInvoices,
  findStuckMessages,
  type LatestInvoiceState,
  STUCK_MESSAGE_KINDS,
  type StuckInvoice,
  type StuckMessageIssue,
} from '../../../consumers/monitoring/stuck.js';
import type { StuckAnswer, StuckInvoiceAnswer, StuckMessageAnswer } from '../../../schemas/api/index.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { CellTopology, StageName } from '../../topology.js';
import type { DatabaseHandle } from '../storage/db.js';
import {
  type DlqMessageRow,
  LOCAL_DLQ_MESSAGES_SQL,
  LOCAL_STUCK_COUNTS_SQL,
  LOCAL_STUCK_INVOICES_SQL,
  type StuckStateRow,
} from '../storage/monitoring-queries.js';
import type { CellStats } from './cell-stats.js';

/**
 * `GET /stuck` over the cell database: invoices past their stage SLA and the technical issues of
 * each stage (DLQ messages, listed one by one up to {@link DLQ_MESSAGES_LISTED}; a queue whose
 * oldest message is too old). The alarm loop reads the per-stage counts for the stuck-invoice rule
 * on every evaluation.
 *
 * Invoices come from the invoice state table (`storage/invoice-state-writer.ts`): a range read of
 * its SLA-deadline index (`deadline < now`), so the cost follows the number of stuck invoices, not
 * the history. The most overdue {@link STUCK_INVOICES_LISTED} are listed and a note gives the
 * total when there are more. `lookbackSec`: an invoice that entered its stage longer ago than that
 * is no longer listed nor alarmed (an abandoned invoice leaves the alarm after the look-back).
 *
 * @example
 * const stuck = new StuckReport(db, topology, 7 * 86_400);
 * const answer = await stuck.answer(undefined, clock.now(), () => ctx.stats());
 */

/** DLQ messages listed one by one per stage in `/stuck`. */
export const DLQ_MESSAGES_LISTED = 100;

/** Stuck invoices listed in `/stuck` (most overdue first); a note gives the total beyond it. */
export const STUCK_INVOICES_LISTED = 1_000;

interface StuckBounds {
  readonly nowMs: number;
  readonly enteredFromMs: number;
  readonly deadlineFromMs: number;
}

/** A stuck invoice of `findStuckInvoices` as `/stuck` lists it (times as RFC 3339 and epoch ms). */
export function stuckInvoiceAnswer(s: StuckInvoice): StuckInvoiceAnswer {
  return {
    invoiceId: s.invoiceId,
    stage: s.stage,
    nextStage: s.nextStage,
    lastStatus: s.lastStatus,
    enteredAt: isoFromMs(s.enteredAtMs),
    enteredAtMs: s.enteredAtMs,
    ageSec: s.ageSec,
    overdueSec: s.overdueSec,
    slaSec: s.slaSec,
    ...(s.vendorId !== undefined ? { vendorId: s.vendorId } : {}),
  };
}

/** A stage whose oldest queued message is too old (a `findStuckMessages` issue) as `/stuck` lists it. */
export function oldestMessageAnswer(issue: StuckMessageIssue): StuckMessageAnswer {
  return {
    stage: issue.stage,
    kind: 'oldest-message',
    ageSec: issue.value,
    value: issue.value,
    threshold: issue.threshold,
    count: 1,
    message: issue.message,
  };
}

/** One dead-lettered message of `stage` as `/stuck` lists it, aged at `nowMs`. */
export function dlqMessageAnswer(stage: StageName, r: DlqMessageRow, nowMs: number): StuckMessageAnswer {
  return {
    stage,
    kind: 'dlq',
    messageId: r.message_id,
    invoiceId: r.group_id,
    eventId: r.dedup_id,
    receiveCount: r.receive_count,
    sentAt: isoFromMs(r.sent_at_ms),
    deadLetteredAt: r.dead_lettered_at_ms === null ? null : isoFromMs(r.dead_lettered_at_ms),
    ageSec: Math.max(0, Math.floor((nowMs - r.sent_at_ms) / 1000)),
    count: 1,
  };
}

/** Stuck invoices and messages of one cell database, through prepared statements of one connection. */
export class StuckReport {
  readonly #topology: CellTopology;
  readonly #lookbackMs: number;
  readonly #shortestSlaMs: number;
  readonly #invoices: Statement<StuckBounds & { stageOrder: number | null; limit: number }, StuckStateRow>;
  readonly #counts: Statement<StuckBounds, { stage_order: number; n: number }>;
  readonly #dlqMessages: Statement<[string, number], DlqMessageRow>;

  constructor(db: DatabaseHandle, topology: CellTopology, lookbackSec: number) {
    this.#topology = topology;
    this.#lookbackMs = lookbackSec * 1000;
    const slas = topology.stages.filter((s) => s.slaSec > 0).map((s) => s.slaSec * 1000);
    this.#shortestSlaMs = slas.length > 0 ? Math.min(...slas) : 0;
    this.#invoices = db.prepare(LOCAL_STUCK_INVOICES_SQL);
    this.#counts = db.prepare(LOCAL_STUCK_COUNTS_SQL);
    this.#dlqMessages = db.prepare(LOCAL_DLQ_MESSAGES_SQL);
  }

  /** Invoices past their stage SLA at `nowMs` (of `stage`, or all), the most overdue first, at most `limit`. */
  invoices(nowMs: number, stage?: StageName, limit = STUCK_INVOICES_LISTED): StuckInvoice[] {
    const stageOrder =
      stage === undefined ? null : (this.#topology.stages.find((s) => s.name === stage)?.order ?? -1);
    const rows = this.#invoices.all({ ...this.#bounds(nowMs), stageOrder, limit });
    const latest = rows.map(
      (r): LatestInvoiceState => ({
        invoiceId: r.invoice_id,
        stage: this.#topology.stages[r.stage_order]?.name ?? '',
        status: r.status,
        timeMs: r.entered_ms,
        vendorId: r.vendor_id,
      }),
    );
    return findStuckInvoices(latest, this.#topology, nowMs);
  }

  /** Stuck invoices per stage at `nowMs`, 0 for every stage with an SLA (the alarm's readings). */
  counts(nowMs: number): Map<StageName, number> {
    const counts = new Map<StageName, number>();
    for (const s of this.#topology.stages) if (s.slaSec > 0) counts.set(s.name, 0);
    for (const row of this.#counts.all(this.#bounds(nowMs))) {
      const stage = this.#topology.stages[row.stage_order];
      if (stage && counts.has(stage.name)) counts.set(stage.name, row.n);
    }
    return counts;
  }

  /** The `/stuck` answer at `nowMs`, of one stage or (undefined) all of them. */
  async answer(
    stage: StageName | undefined,
    nowMs: number,
    stats: () => Promise<CellStats>,
  ): Promise<StuckAnswer> {
    const invoices = this.invoices(nowMs, stage).map(stuckInvoiceAnswer);
    const { messages, notes } = this.#messages(stage, nowMs, await stats());
    if (invoices.length >= STUCK_INVOICES_LISTED) {
      let total = 0;
      for (const [name, n] of this.counts(nowMs)) if (stage === undefined || name === stage) total += n;
      if (total > invoices.length) {
        notes.unshift(
          `${total} invoices are past their stage SLA; the ${invoices.length} most overdue are listed`,
        );
      }
    }
    return { generatedAt: isoFromMs(nowMs), invoices, messages, notes };
  }

  #bounds(nowMs: number): StuckBounds {
    const enteredFromMs = nowMs - this.#lookbackMs;
    return { nowMs, enteredFromMs, deadlineFromMs: enteredFromMs + this.#shortestSlaMs };
  }

  #messages(
    stage: StageName | undefined,
    nowMs: number,
    stats: CellStats,
  ): { messages: StuckMessageAnswer[]; notes: string[] } {
    const queueStats = Object.fromEntries(
      Object.entries(stats.stages).map(([name, s]) => [
        name,
        { dlqDepth: s.inDlq, oldestMessageAgeSec: s.oldestMessageAgeSec },
      ]),
    );
    const messages: StuckMessageAnswer[] = [];
    const notes: string[] = [];
    for (const issue of findStuckMessages(queueStats, this.#topology)) {
      if (stage !== undefined && issue.stage !== stage) continue;
      if (issue.kind === STUCK_MESSAGE_KINDS.oldestMessageTooOld) {
        messages.push(oldestMessageAnswer(issue));
        continue;
      }
      const dlqName = this.#topology.stages.find((s) => s.name === issue.stage)?.ids.dlq ?? '';
      const rows = this.#dlqMessages.all(dlqName, DLQ_MESSAGES_LISTED);
      for (const r of rows) messages.push(dlqMessageAnswer(issue.stage, r, nowMs));
      if (issue.value > rows.length) {
        notes.push(
          `${issue.stage} DLQ holds ${issue.value} messages; the first ${rows.length} are listed (GET /dlq/${issue.stage} for more)`,
        );
      }
    }
    return { messages, notes };
  }
}
