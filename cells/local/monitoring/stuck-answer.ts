import type { Statement } from 'better-sqlite3';
import {
  findStuckInvoices,
  findStuckMessages,
  latestFromRows,
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
  type LatestByInvoiceRow,
  LOCAL_DLQ_MESSAGES_SQL,
  localLatestByInvoiceSql,
} from '../storage/monitoring-queries.js';
import type { CellStats } from './cell-stats.js';

/**
 * `GET /stuck` over the cell database: invoices past their stage SLA (looked for over the last
 * `lookbackSec`) and the technical issues of each stage (DLQ messages, listed one by one up to
 * {@link DLQ_MESSAGES_LISTED}; a queue whose oldest message is too old). The alarm loop reads the
 * same stuck invoices for the stuck-invoice rule.
 *
 * @example
 * const stuck = new StuckReport(db, topology, 7 * 86_400);
 * const answer = await stuck.answer(undefined, clock.now(), () => ctx.stats());
 */

/** DLQ messages listed one by one per stage in `/stuck`. */
export const DLQ_MESSAGES_LISTED = 100;

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
  readonly #lookbackSec: number;
  readonly #latestByInvoice: Statement<{ fromMs: number; cell: string | null }, LatestByInvoiceRow>;
  readonly #dlqMessages: Statement<[string, number], DlqMessageRow>;

  constructor(db: DatabaseHandle, topology: CellTopology, lookbackSec: number) {
    this.#topology = topology;
    this.#lookbackSec = lookbackSec;
    this.#latestByInvoice = db.prepare(localLatestByInvoiceSql(topology));
    this.#dlqMessages = db.prepare(LOCAL_DLQ_MESSAGES_SQL);
  }

  /** Invoices past their stage SLA at `nowMs`, most overdue first. */
  invoices(nowMs: number): StuckInvoice[] {
    const rows = this.#latestByInvoice.all({ fromMs: nowMs - this.#lookbackSec * 1000, cell: null });
    return findStuckInvoices(latestFromRows(rows), this.#topology, nowMs);
  }

  /** The `/stuck` answer at `nowMs`, of one stage or (undefined) all of them. */
  async answer(
    stage: StageName | undefined,
    nowMs: number,
    stats: () => Promise<CellStats>,
  ): Promise<StuckAnswer> {
    const invoices = this.invoices(nowMs)
      .filter((s) => stage === undefined || s.stage === stage)
      .map(stuckInvoiceAnswer);
    const { messages, notes } = this.#messages(stage, nowMs, await stats());
    return { generatedAt: isoFromMs(nowMs), invoices, messages, notes };
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
