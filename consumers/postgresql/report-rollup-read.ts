import type { CellTopology } from '../../cells/topology.js';
import type { Panel } from '../../dashboards/panels/panel-types.js';
import { rollupDashboards } from '../../dashboards/panels/report-panels.js';
import type { RollupRow } from '../../dashboards/rollups/apply-record.js';
import { cellRollups } from '../../dashboards/rollups/cell-rollups.js';
import type { KeyValue } from '../../dashboards/rollups/contributions.js';
import { type PanelRead, type PanelReadOptions, readPanel } from '../../dashboards/rollups/read-panel.js';
import type { RollupSpec } from '../../dashboards/rollups/rollup-specs.js';
import type { RollupTier } from '../../dashboards/rollups/window-plan.js';
import { type SqlParameter, type SqlRow, sqlParam } from './sql-executor.js';

/**
 * A report panel read from the PostgreSQL `rollup_rows` (migration 0002) with the dashboards' own
 * `readPanel`: the window plan, re-binning and merging are the local cell's, only the range reads
 * differ. `readPanel` takes a synchronous {@link RollupRowReader}, and the Data API is not, so the
 * read runs in two passes: the first records the tier ranges the (pure, deterministic) window plan
 * asks for, they are fetched (keyset pages of a primary-key range:
 * `spec_id = :spec AND tier = :tier AND bin_start_ms >= :from AND < :to`), and the second pass
 * answers from what was fetched. The cost follows the rows in the window, never the history.
 *
 * @example
 * const read = await readReportRollup(query, topology, 'fin-amount-by-vendor', { fromMs, toMs });
 * read.rows; // PanelRow[], one per group over the whole window
 */

/** Runs one statement (in the report's read transaction) and answers its rows. */
export type RollupQuery = (sql: string, params: readonly SqlParameter[]) => Promise<readonly SqlRow[]>;

/** A report panel no rollup of the cell serves (the cell's rollups were derived without it). */
export class ReportRollupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportRollupError';
  }
}

/**
 * Rows per page: far below the Data API's 1 MiB answer (a row is about 100 bytes of JSON); a month
 * of a by-vendor rollup at the day tier is days x vendors x currencies rows.
 */
export const ROLLUP_PAGE_ROWS = 2_000;

const COLUMNS = 'bin_start_ms, key_values, bucket, count, money_minor, value_sum';
const RANGE = `spec_id = CAST(:spec_id AS text) AND tier = CAST(:tier AS text)
  AND bin_start_ms >= CAST(:from_ms AS bigint) AND bin_start_ms < CAST(:to_ms AS bigint)`;
const ORDER = `ORDER BY bin_start_ms, key_values, bucket LIMIT ${ROLLUP_PAGE_ROWS}`;

/** The first page of a range read. */
export const ROLLUP_RANGE_SQL = `SELECT ${COLUMNS} FROM rollup_rows WHERE ${RANGE} ${ORDER}`;

/** The next page: rows after the last one read, in primary-key order. */
export const ROLLUP_RANGE_AFTER_SQL = `SELECT ${COLUMNS} FROM rollup_rows WHERE ${RANGE}
  AND (bin_start_ms, key_values, bucket) > (CAST(:after_bin AS bigint), CAST(:after_key AS text), CAST(:after_bucket AS integer))
  ${ORDER}`;

const panelCache = new WeakMap<CellTopology, Map<string, { panel: Panel; spec: RollupSpec }>>();

/** The panel (without its bin: one row per group over the window) and the rollup that serves it. */
function servedPanel(topology: CellTopology, panelId: string): { panel: Panel; spec: RollupSpec } {
  let cache = panelCache.get(topology);
  if (!cache) {
    cache = new Map();
    panelCache.set(topology, cache);
  }
  const known = cache.get(panelId);
  if (known) return known;
  const panel = rollupDashboards(topology)
    .flatMap((d) => d.panels)
    .find((p) => p.id === panelId);
  if (panel?.query.source !== 'records') {
    throw new ReportRollupError(`report panel ${panelId} is not a records panel of this cell's rollups`);
  }
  const spec = cellRollups(topology).specs.find((s) => s.panelIds.includes(panelId));
  if (!spec) throw new ReportRollupError(`no rollup of this cell serves report panel ${panelId}`);
  const { timeBin: _bin, ...query } = panel.query;
  const served = { panel: { ...panel, query }, spec };
  cache.set(panelId, served);
  return served;
}

/**
 * Stored rows of one page as `RollupRow`s, a histogram's bucket rows (adjacent in key order) merged
 * into one row with their buckets, as the SQLite reader does. Money: `numeric` arrives as a decimal
 * string, read exactly with `BigInt`.
 */
function rollupRowsOf(spec: RollupSpec, stored: readonly SqlRow[]): RollupRow[] {
  const histogram = spec.value === 'histogram';
  const money = spec.value === 'money';
  const parsed = new Map<string, KeyValue[]>();
  const rows: RollupRow[] = [];
  let last: { binStartMs: number; keyText: string; row: RollupRow } | undefined;
  for (const r of stored) {
    const binStartMs = Number(r.bin_start_ms);
    const keyText = String(r.key_values);
    const bucket = Number(r.bucket);
    const count = Number(r.count);
    if (histogram && last && last.binStartMs === binStartMs && last.keyText === keyText) {
      last.row.cell.count += count;
      last.row.cell.buckets.set(bucket, count);
      continue;
    }
    let keyValues = parsed.get(keyText);
    if (!keyValues) {
      keyValues = JSON.parse(keyText) as KeyValue[];
      parsed.set(keyText, keyValues);
    }
    const row: RollupRow = {
      binStartMs,
      keyValues,
      cell: {
        count,
        sumMinor: money ? BigInt(String(r.money_minor)) : 0n,
        sum: Number(r.value_sum),
        buckets: histogram ? new Map([[bucket, count]]) : new Map<number, number>(),
      },
    };
    rows.push(row);
    last = { binStartMs, keyText, row };
  }
  return rows;
}

/** Every stored row of `spec`'s `tier` with a bin start in `[fromMs, toMs)`, page by page. */
async function rangeRows(
  query: RollupQuery,
  spec: RollupSpec,
  tier: RollupTier,
  fromMs: number,
  toMs: number,
): Promise<RollupRow[]> {
  const range = [
    sqlParam('spec_id', spec.id),
    sqlParam('tier', tier),
    sqlParam('from_ms', fromMs),
    sqlParam('to_ms', toMs),
  ];
  const stored: SqlRow[] = [];
  let page = await query(ROLLUP_RANGE_SQL, range);
  stored.push(...page);
  while (page.length === ROLLUP_PAGE_ROWS) {
    const last = page[page.length - 1] as SqlRow;
    page = await query(ROLLUP_RANGE_AFTER_SQL, [
      ...range,
      sqlParam('after_bin', Number(last.bin_start_ms)),
      sqlParam('after_key', String(last.key_values)),
      sqlParam('after_bucket', Number(last.bucket)),
    ]);
    stored.push(...page);
  }
  // A histogram's buckets of one bin and key may straddle two pages: merged over the whole range.
  return rollupRowsOf(spec, stored);
}

/**
 * Reads report panel `panelId` over `[options.fromMs, options.toMs)` from the PostgreSQL rollups:
 * exactly `readPanel` over the stored rows (see the module comment). Throws
 * {@link ReportRollupError} when no rollup of the cell serves the panel.
 *
 * @example
 * const { rows, fromMs, toMs } = await readReportRollup(query, topology, REPORT_PANEL_IDS.openBook, { fromMs: 0, toMs });
 */
export async function readReportRollup(
  query: RollupQuery,
  topology: CellTopology,
  panelId: string,
  options: Omit<PanelReadOptions, 'mergeCache' | 'panelBin'>,
): Promise<PanelRead> {
  const { panel, spec } = servedPanel(topology, panelId);
  const key = (tier: RollupTier, fromMs: number, toMs: number) => `${tier}:${fromMs}:${toMs}`;
  const wanted = new Map<string, { tier: RollupTier; fromMs: number; toMs: number }>();
  readPanel(spec, panel, options, (tier, fromMs, toMs) => {
    wanted.set(key(tier, fromMs, toMs), { tier, fromMs, toMs });
    return [];
  });
  const fetched = new Map<string, RollupRow[]>();
  for (const [k, w] of wanted) fetched.set(k, await rangeRows(query, spec, w.tier, w.fromMs, w.toMs));
  return readPanel(spec, panel, options, (tier, fromMs, toMs) => {
    const rows = fetched.get(key(tier, fromMs, toMs));
    // The plan is a pure function of the window: the second pass asks what the first did.
    if (!rows)
      throw new ReportRollupError(`rollup ${spec.id}: range ${tier} ${fromMs}..${toMs} was not read`);
    return rows;
  });
}
