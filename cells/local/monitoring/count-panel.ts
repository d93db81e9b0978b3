import type { GroupByField, RecordsQuery } from '../../../dashboards/panels/panel-types.js';
import type { KeyValue } from '../../../dashboards/rollups/contributions.js';
import {
  type PanelRead,
  type PanelReadOptions,
  type PanelRow,
  panelRowOrder,
  planPanelWindow,
} from '../../../dashboards/rollups/read-panel.js';
import type { RollupSpec } from '../../../dashboards/rollups/rollup-specs.js';
import { segmentRuns } from '../../../dashboards/rollups/window-plan.js';
import { readCounts } from '../storage/count-reader.js';
import type { DatabaseHandle } from '../storage/db.js';

/**
 * Count panels (throughput, events trend, invoices by stage, outcomes, payment-terms mix) from
 * SQLite's grouped sum (`storage/count-reader.ts`) instead of `readPanel`'s merge of every stored
 * row in JS: the same window plan, bins, groups, values and row order.
 *
 * @example
 * if (servesCounts(spec, query)) read = readCountPanel(db, spec, query, options);
 */

/**
 * Whether the SQL path answers this panel exactly as `readPanel` would: a count of a count rollup,
 * binned by the window column (not the due date), grouped by fields the rollup keeps.
 */
export function servesCounts(spec: RollupSpec, query: RecordsQuery): boolean {
  return (
    spec.value === 'count' &&
    query.aggregation === 'count' &&
    query.timeField !== 'dueDate' &&
    !spec.keys.some((key) => key.startsWith('dueBin:')) &&
    query.groupBy.every((field) => spec.keys.includes(field))
  );
}

/**
 * The panel's rows over `options`' window, as `readPanel(spec, panel, options, …)` answers them.
 * The caller checks {@link servesCounts} first.
 */
export function readCountPanel(
  db: DatabaseHandle,
  spec: RollupSpec,
  query: RecordsQuery,
  options: Omit<PanelReadOptions, 'mergeCache'>,
): PanelRead {
  const panelBin = query.timeBin ? options.panelBin : undefined;
  if (query.timeBin && panelBin === undefined) throw new Error('panelBin is required for a binned panel');
  const plan = planPanelWindow(spec, options, panelBin);
  const keyIndexes = query.groupBy.map((field) => spec.keys.indexOf(field));
  const rows: PanelRow[] = readCounts(db, spec, segmentRuns(plan.segments), panelBin, keyIndexes).map((g) => {
    const groups: Partial<Record<GroupByField, KeyValue>> = {};
    query.groupBy.forEach((field, i) => {
      groups[field] = JSON.parse(g.valueTexts[i] as string) as KeyValue;
    });
    return { ...(query.timeBin ? { binStartMs: g.binStartMs } : {}), groups, count: g.count, value: g.count };
  });
  rows.sort(panelRowOrder(query, options.stageOrder));
  return { rows, fromMs: plan.fromMs, toMs: plan.toMs };
}
