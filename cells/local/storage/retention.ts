import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Statement } from 'better-sqlite3';
import type { Clock } from '../../../consumers/clock.js';
import { TIME_BINS } from '../../../dashboards/panels/panel-types.js';
import { cellRollups } from '../../../dashboards/rollups/cell-rollups.js';
import { partitionKeyOf } from '../../../dashboards/rollups/contributions.js';
import { ROLLUP_TIERS, type RollupTier } from '../../../dashboards/rollups/window-plan.js';
import type { CellTopology } from '../../topology.js';
import type { Logger } from '../logger.js';
import type { DatabaseHandle, WriteBatcher } from './db.js';
import { pruneInvoiceState } from './invoice-state-writer.js';
import { pruneReconcileBins } from './reconcile-counters.js';
import {
  columnsOf,
  deleteOldRecords,
  distinctKeyValues,
  KeyedChunkDelete,
  type PrunedRecord,
  prepareRecordDeletes,
  primaryKeyOf,
  tableExists,
} from './retention-chunks.js';
import type { RetentionOptions } from './retention-options.js';
import { pruneSlaEntries } from './sla-rollup-reader.js';

/**
 * The retention job of the local cell database: deletes what outlived its retention
 * (`retention-options.ts`) in chunks of at most `chunkRows` rows, one short write transaction each
 * on the engine's group commit, yielding to the event loop between chunks, so ingest and the API
 * thread never wait on it for long. The engine runs it once after start and then every
 * `pruneEveryMs`; each target that lost rows logs `retention pruned` with the count.
 *
 * Targets, in order:
 * - `reconcile_bins`: reconciliation counters of the minutes whose records go next
 *   (`pruneReconcileBins`), so reconciliation never reports a pruned record as missing.
 * - `records`: raw records first written more than `recordRetentionDays` ago — by first-write
 *   time, not `occurredAt`, so a late event (old `occurredAt`, written today) is kept as long as
 *   its replays and redrives can still arrive — and never one whose event still has a message in
 *   a stage queue or DLQ (older than the oldest queued message's send time).
 * - `rollup_latest`: latest-state rows whose record was pruned, deleted with it (by primary key,
 *   in its chunk). Their contributions stay in the bins; an invoice that gets a new event after
 *   that is counted anew (see the README). Needs the topology (the latest-state scopes).
 * - `invoice_state`: finished invoices (no SLA deadline) that entered their stage before the same
 *   cutoff (`pruneInvoiceState`).
 * - `sla_entries`: SLA entries entered before the same cutoff, open ones included once past
 *   every stage SLA (`pruneSlaEntries`; the SLA bins keep their counts). Needs the topology's
 *   stages.
 * - `archive`: events received more than `archiveRetentionDays` ago.
 * - rollup bins (`rollup_rows`, `sla_bins`): per tier, bins that start before the tier's retention.
 *
 * It writes two meta rows for the readers: `records_complete_from_ms` (every record with a time at
 * or after it is still stored: what a rebuild of the rollups can cover) and `rollup_retained_from`
 * (per tier, the oldest bin still held; {@link readRollupRetention}).
 *
 * @example
 * const pruner = new RetentionPruner({ db, batcher, clock, logger, retention, queueIds, maxFutureSkewMs });
 * const removed = await pruner.prune(); // { records: 2000, archive: 0, ... }
 */

const DAY_MS = 86_400_000;
/** ≤ 2,000 rows per transaction: a few milliseconds of deletes with the records' four indexes. */
const DEFAULT_CHUNK_ROWS = 2_000;
/** The tables keyed by a rollup tier and a bin start (`rollup_rows` of migration 5, `sla_bins` of 6). */
const TIERED_TABLES = ['rollup_rows', 'sla_bins'] as const;

/** Meta key: every record with a time at or after this (epoch ms) is still stored. */
export const META_RECORDS_COMPLETE_FROM = 'records_complete_from_ms';
/** Meta key: per rollup tier, the start of the oldest bin the last retention run kept (JSON). */
export const META_ROLLUP_RETAINED_FROM = 'rollup_retained_from';
/**
 * Meta key prefix (+ hook name): a hook rebuilt after records were pruned holds only what the
 * records from this time on contribute (`rollup-backfill.ts` writes it).
 */
export const META_REBUILT_FROM_PREFIX = 'rebuilt_from_ms:';

export interface RetentionPrunerOptions {
  readonly db: DatabaseHandle;
  readonly batcher: WriteBatcher;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retention: RetentionOptions;
  /** Ids of the stage queues and their DLQs: a record whose event is still queued is kept. */
  readonly queueIds: readonly number[];
  /** How far `occurredAt` may lead the received time (the business-time window). */
  readonly maxFutureSkewMs: number;
  /** The cell's stages, for `sla_entries` (pruned per stage); without it they are kept. */
  readonly topology?: CellTopology;
  readonly chunkRows?: number;
}

/** Rows deleted per target by one {@link RetentionPruner.prune}. */
export type PruneSummary = Readonly<Record<string, number>>;

/** The retention of the tier's bins, in days. */
export function tierRetentionDays(retention: RetentionOptions, tier: RollupTier): number {
  if (tier === '1h') return retention.hourBinRetentionDays;
  if (tier === '1d') return retention.dayBinRetentionDays;
  return retention.minuteBinRetentionDays;
}

/**
 * Per rollup tier, the start of the oldest bin the retention job keeps at `nowMs`: bins starting
 * before `nowMs` − the tier's retention are deleted, so the first aligned bin at or after it is
 * the oldest one held. `completeFromMs` (a rebuild after records were pruned covers only later
 * bins; {@link readRollupRetention} reads it from meta) raises every tier to at least that. For `readPanel`'s
 * `oldestRetainedMs`. Pure.
 *
 * @example
 * oldestRetainedMs(retention, Date.now())['1m']; // ~35 days ago, on a minute boundary
 */
export function oldestRetainedMs(
  retention: RetentionOptions,
  nowMs: number,
  completeFromMs?: number,
): Record<RollupTier, number> {
  const out = {} as Record<RollupTier, number>;
  for (const tier of ROLLUP_TIERS) {
    const width = TIME_BINS[tier];
    const from = Math.max(nowMs - tierRetentionDays(retention, tier) * DAY_MS, completeFromMs ?? -Infinity);
    out[tier] = Math.ceil(from / width) * width;
  }
  return out;
}

function readMeta(db: DatabaseHandle, key: string): string | undefined {
  return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)
    ?.value;
}

/**
 * What the database's rollup tiers hold, as the last retention run and rollup rebuild left them:
 * per tier, the start of the oldest bin held (tiers never pruned yet are absent: they hold
 * everything since the cell started). One primary-key read of `meta`; for `readPanel` on any
 * connection (the API thread needs no retention config).
 *
 * @example
 * readPanel(spec, panel, { fromMs, toMs, oldestRetainedMs: readRollupRetention(db) }, reader);
 */
export function readRollupRetention(db: DatabaseHandle): Partial<Record<RollupTier, number>> {
  const pruned = readMeta(db, META_ROLLUP_RETAINED_FROM);
  const tiers = pruned ? (JSON.parse(pruned) as Partial<Record<RollupTier, number>>) : {};
  const complete = readMeta(db, `${META_REBUILT_FROM_PREFIX}rollups`);
  if (complete === undefined) return tiers;
  const floor = Number(complete);
  const out: Partial<Record<RollupTier, number>> = {};
  for (const tier of ROLLUP_TIERS) {
    const width = TIME_BINS[tier];
    out[tier] = Math.max(tiers[tier] ?? -Infinity, Math.ceil(floor / width) * width);
  }
  return out;
}

interface PruneTarget {
  readonly name: string;
  /** Deletes one chunk in a write transaction; returns rows deleted (fewer than the limit: done). */
  readonly chunk: (limit: number) => number;
}

export class RetentionPruner {
  readonly #options: RetentionPrunerOptions;
  readonly #chunkRows: number;
  readonly #records: ReturnType<typeof prepareRecordDeletes>;
  readonly #oldestQueued: Statement<[number], number>;
  readonly #upsertMeta: Statement<[string, string]>;
  readonly #archive: KeyedChunkDelete;
  /** Deletes the latest-state rows of pruned records (none without `rollup_latest` or a topology). */
  readonly #latest: ((records: readonly PrunedRecord[]) => number) | undefined;
  /** Latest-state rows deleted with the records of the current run. */
  #latestRemoved = 0;
  readonly #hasInvoiceState: boolean;
  readonly #hasReconcileBins: boolean;
  readonly #hasSlaEntries: boolean;
  #stopped = false;

  constructor(options: RetentionPrunerOptions) {
    this.#options = options;
    const { db } = options;
    this.#chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
    this.#records = prepareRecordDeletes(db);
    this.#oldestQueued = db
      .prepare<[number], number>('SELECT sent_at_ms FROM messages WHERE queue_id = ? ORDER BY seq LIMIT 1')
      .pluck();
    this.#upsertMeta = db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.#archive = new KeyedChunkDelete(db, 'archive', 'received_at_ms < ?');
    this.#latest =
      tableExists(db, 'rollup_latest') && options.topology
        ? latestRowsOfRecords(db, options.topology)
        : undefined;
    this.#hasInvoiceState = tableExists(db, 'invoice_state');
    this.#hasReconcileBins = tableExists(db, 'reconcile_bins');
    this.#hasSlaEntries = tableExists(db, 'sla_entries');
  }

  /** Makes a running {@link prune} return after its current chunk. */
  stop(): void {
    this.#stopped = true;
  }

  /** One retention run over every target; resolves with the rows deleted per target. */
  async prune(): Promise<PruneSummary> {
    const { db, retention, clock } = this.#options;
    const now = clock.now();
    const storedBefore = this.#recordCutoff(now);
    const targets: PruneTarget[] = [
      // First, and a minute past the records' cut: every bin a pruned record was counted in goes
      // before the record does, so no kept bin turns unbalanced (the records' delete trigger
      // lowers `stored`).
      ...(this.#hasReconcileBins
        ? [
            {
              name: 'reconcile_bins',
              chunk: (limit: number) => pruneReconcileBins(db, storedBefore + 60_000, limit),
            },
          ]
        : []),
      { name: 'records', chunk: (limit) => this.#recordChunk(storedBefore, limit) },
      ...(this.#hasInvoiceState
        ? [{ name: 'invoice_state', chunk: (limit: number) => pruneInvoiceState(db, storedBefore, limit) }]
        : []),
      ...this.#slaEntriesTarget(storedBefore, now),
      {
        name: 'archive',
        chunk: (limit) => this.#archive.run([now - retention.archiveRetentionDays * DAY_MS], limit),
      },
      ...this.#tierTargets(now),
    ];
    const summary: Record<string, number> = {};
    this.#latestRemoved = 0;
    for (const target of targets) {
      if (this.#stopped) break;
      const removed = await this.#run(target);
      summary[target.name] = (summary[target.name] ?? 0) + removed;
    }
    if (this.#latest) summary.rollup_latest = this.#latestRemoved;
    if (!this.#stopped) await this.#options.batcher.run(() => this.#writeRetainedFrom(now));
    for (const [target, removed] of Object.entries(summary)) {
      if (removed > 0) this.#options.logger.info('retention pruned', { target, removed });
    }
    return summary;
  }

  /** `sla_entries` grow by one row per invoice and stage: they go with the records. */
  #slaEntriesTarget(beforeMs: number, nowMs: number): PruneTarget[] {
    const { db, topology } = this.#options;
    if (!this.#hasSlaEntries || !topology) return [];
    return [
      { name: 'sla_entries', chunk: (limit) => pruneSlaEntries(db, topology, { beforeMs, nowMs }, limit) },
    ];
  }

  /** Records first written before this are pruned: the retention, held back by queued events. */
  #recordCutoff(now: number): number {
    let cutoff = now - this.#options.retention.recordRetentionDays * DAY_MS;
    for (const id of this.#options.queueIds) {
      const sent = this.#oldestQueued.get(id);
      if (sent !== undefined && sent < cutoff) cutoff = sent;
    }
    return cutoff;
  }

  #recordChunk(storedBefore: number, limit: number): number {
    const latest = this.#latest;
    const n = deleteOldRecords(
      this.#records,
      storedBefore,
      limit,
      latest &&
        ((records) => {
          this.#latestRemoved += latest(records);
        }),
    );
    if (n > 0) {
      // A pruned record was stored before `storedBefore`, so its time was before this (time ≤
      // received + skew ≤ stored + skew): every record from here on is still stored.
      const from = storedBefore + this.#options.maxFutureSkewMs;
      const known = Number(
        readMeta(this.#options.db, META_RECORDS_COMPLETE_FROM) ?? Number.NEGATIVE_INFINITY,
      );
      if (from > known) this.#upsertMeta.run(META_RECORDS_COMPLETE_FROM, String(from));
    }
    return n;
  }

  /** Per tiered table and tier, a chunked delete of the bins before the tier's retention. */
  #tierTargets(now: number): PruneTarget[] {
    const { db } = this.#options;
    const targets: PruneTarget[] = [];
    for (const table of TIERED_TABLES) {
      if (!tableExists(db, table) || !columnsOf(db, table).includes('bin_start_ms')) continue;
      // A key column before `tier` (rollup_rows: spec_id) is walked value by value, so every
      // delete is a range of the primary key.
      const key = primaryKeyOf(db, table);
      const prefix = key.indexOf('tier') === 1 ? key[0] : undefined;
      const where = `${prefix ? `${prefix} = ? AND ` : ''}tier = ? AND bin_start_ms < ?`;
      const remove = new KeyedChunkDelete(db, table, where);
      const values = prefix ? distinctKeyValues(db, table, prefix) : [undefined];
      for (const tier of ROLLUP_TIERS) {
        const before = now - tierRetentionDays(this.#options.retention, tier) * DAY_MS;
        for (const value of values) {
          const params = value === undefined ? [tier, before] : [value, tier, before];
          targets.push({ name: table, chunk: (limit) => remove.run(params, limit) });
        }
      }
    }
    return targets;
  }

  async #run(target: PruneTarget): Promise<number> {
    const { batcher } = this.#options;
    let total = 0;
    while (!this.#stopped) {
      const n = await batcher.run(() => target.chunk(this.#chunkRows));
      total += n;
      if (n < this.#chunkRows) break;
      await yieldToLoop();
    }
    return total;
  }

  #writeRetainedFrom(now: number): void {
    const tiers = oldestRetainedMs(this.#options.retention, now);
    this.#upsertMeta.run(META_ROLLUP_RETAINED_FROM, JSON.stringify(tiers));
  }
}

/**
 * Deletes, per latest-state scope, the row of each pruned record's partition while that record
 * is still its latest: a primary-key delete per record and scope, in the records' transaction.
 * Returns the rows deleted. (Walking `rollup_latest` for old rows instead read the whole table,
 * as big as the invoices of the history, on the engine thread at every retention run.)
 */
function latestRowsOfRecords(
  db: DatabaseHandle,
  topology: CellTopology,
): (records: readonly PrunedRecord[]) => number {
  const { scopes } = cellRollups(topology);
  const remove = db.prepare<[string, string, string]>(
    'DELETE FROM rollup_latest WHERE scope_id = ? AND partition_key = ? AND event_id = ?',
  );
  return (records) => {
    let n = 0;
    for (const record of records) {
      for (const scope of scopes) {
        n += remove.run(scope.id, partitionKeyOf(scope.partition, record), record.eventId).changes;
      }
    }
    return n;
  };
}
