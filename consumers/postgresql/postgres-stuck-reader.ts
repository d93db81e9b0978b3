import type { CellTopology, StageName } from '../../cells/topology.js';
import { findStuckInvoices, type LatestInvoiceState, type StuckInvoice } from '../monitoring/stuck.js';
import type { StuckInvoiceReader, StuckReading } from '../monitoring/stuck-reader.js';
import {
  STUCK_STATE_PARAMS as P,
  POSTGRESQL_STUCK_COUNTS_SQL,
  POSTGRESQL_STUCK_INVOICES_SQL,
  type PostgresqlStuckStateRow,
} from './queries/stuck-state-sql.js';
import { type SqlExecutor, type SqlParameter, sqlParam } from './sql-executor.js';

/** Stuck invoices listed per read by default (most overdue first); the counts cover every one. */
export const POSTGRES_STUCK_LISTED = 1_000;

export interface PostgresStuckReaderOptions {
  /** An invoice that entered its stage longer ago than this is no longer listed nor counted. */
  readonly lookbackSec: number;
  /** Invoices listed per read. @default {@link POSTGRES_STUCK_LISTED} */
  readonly listed?: number;
}

/**
 * {@link StuckInvoiceReader} over the Aurora store's `invoice_state` (through any
 * {@link SqlExecutor}: the RDS Data API in Lambda and the ops CLI, PGlite in tests): two range
 * reads of the SLA-deadline index — the counts per stage, and the most overdue invoices — never a
 * scan of `records`. `findStuckInvoices` still decides each listed row, so the rule is the one
 * every store shares. The same reads and bounds as the local cell's `StuckReport`.
 *
 * @example
 * const reader = new PostgresStuckReader(new DataApiExecutor({ resourceArn, secretArn, database }), topology, { lookbackSec: 7 * 86_400 });
 * const { counts, stuck, total } = await reader.read(Date.now());
 */
export class PostgresStuckReader implements StuckInvoiceReader {
  readonly #executor: SqlExecutor;
  readonly #topology: CellTopology;
  readonly #lookbackMs: number;
  readonly #shortestSlaMs: number;
  readonly #listed: number;

  constructor(executor: SqlExecutor, topology: CellTopology, options: PostgresStuckReaderOptions) {
    const listed = options.listed ?? POSTGRES_STUCK_LISTED;
    if (!Number.isSafeInteger(options.lookbackSec) || options.lookbackSec <= 0) {
      throw new RangeError(`stuck reader lookbackSec must be a positive integer, got ${options.lookbackSec}`);
    }
    if (!Number.isSafeInteger(listed) || listed <= 0) {
      throw new RangeError(`stuck reader listed must be a positive integer, got ${listed}`);
    }
    this.#executor = executor;
    this.#topology = topology;
    this.#lookbackMs = options.lookbackSec * 1000;
    const slas = topology.stages.filter((s) => s.slaSec > 0).map((s) => s.slaSec * 1000);
    this.#shortestSlaMs = slas.length > 0 ? Math.min(...slas) : 0;
    this.#listed = listed;
  }

  async read(nowMs: number): Promise<StuckReading> {
    const counts = await this.counts(nowMs);
    let total = 0;
    for (const n of counts.values()) total += n;
    // Nothing to list: skip the second read (the common, healthy case).
    const stuck = total === 0 ? [] : await this.invoices(nowMs);
    return { rows: stuck.length, stuck, total, counts };
  }

  /** Invoices past their stage SLA at `nowMs` (of `stage`, or all), most overdue first, at most `limit`. */
  async invoices(nowMs: number, stage?: StageName, limit = this.#listed): Promise<StuckInvoice[]> {
    const stageOrder =
      stage === undefined ? null : (this.#topology.stages.find((s) => s.name === stage)?.order ?? -1);
    const { rows } = await this.#executor.execute(POSTGRESQL_STUCK_INVOICES_SQL, [
      ...this.#bounds(nowMs),
      sqlParam(P.stageOrder, stageOrder),
      sqlParam(P.limit, limit),
    ]);
    const latest = (rows as unknown as readonly PostgresqlStuckStateRow[]).map(
      (r): LatestInvoiceState => ({
        invoiceId: r.invoice_id,
        stage: this.#topology.stages[Number(r.stage_order)]?.name ?? '',
        status: r.status,
        timeMs: Number(r.entered_ms),
        vendorId: r.vendor_id,
      }),
    );
    return findStuckInvoices(latest, this.#topology, nowMs);
  }

  /** Stuck invoices per stage at `nowMs`, 0 for every stage with an SLA (the alarms' readings). */
  async counts(nowMs: number): Promise<Map<StageName, number>> {
    const counts = new Map<StageName, number>();
    for (const s of this.#topology.stages) if (s.slaSec > 0) counts.set(s.name, 0);
    const { rows } = await this.#executor.execute(POSTGRESQL_STUCK_COUNTS_SQL, this.#bounds(nowMs));
    for (const row of rows) {
      const stage = this.#topology.stages[Number(row.stage_order)];
      if (stage && counts.has(stage.name)) counts.set(stage.name, Number(row.n));
    }
    return counts;
  }

  #bounds(nowMs: number): SqlParameter[] {
    const enteredFromMs = nowMs - this.#lookbackMs;
    return [
      sqlParam(P.nowMs, nowMs),
      sqlParam(P.enteredFromMs, enteredFromMs),
      sqlParam(P.deadlineFromMs, enteredFromMs + this.#shortestSlaMs),
    ];
  }
}
