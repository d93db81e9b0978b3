import { TIMESTREAM_MEASURES } from '../../consumers/aws/timestream-record.js';
import { quoteIdentifier } from '../../consumers/sql/sql-text.js';
import type { LatestScope } from '../rollups/rollup-specs.js';
import { type DerivedMeasure, type RollupWindow, recordsWhere } from './timestream-rollup-sql.js';
import { placeholderTable } from './timestream-rollup-tables.js';

/**
 * The scheduled-query SQL of a distinct-invoice scope (`latestScopes`): for every partition (an
 * invoice, or an invoice and stage) with records passing the scope's predicate in the run's window,
 * its latest record there — by `(time, eventId)`, as `isNewer` orders them — written to the
 * latest-state table under the scope id, with the record table's own column names.
 *
 * Why not bins: a distinct-invoice panel counts each invoice once, by its latest record over all
 * history. When a newer record arrives, the invoice leaves the bin of its previous latest record,
 * which may be days old; a scheduled query cannot subtract from a bin it does not scan, so those
 * bins cannot be exact incremental sums in Timestream. The panels read the latest-state rows
 * instead (`timestream-rollup-read-sql.ts`): per partition the newest row inside the window, then
 * the panel's aggregate.
 *
 * A partition's latest row only ever moves forward in time: a run that sees an older record of a
 * partition writes that older row again (the same values, a no-op) only when it is the newest in
 * that run's window, and readers keep the newest row.
 *
 * @example
 * renderLatestStateSql(scope, { from: 'bin(@scheduled_runtime, 1m) - 60m', to: '@scheduled_runtime' });
 */

const q = quoteIdentifier;
const M = TIMESTREAM_MEASURES;

/** Dimension columns of a latest-state row (the record table's names). */
export const LATEST_DIMENSIONS = ['invoiceId', 'stage', 'currency', 'vendorId', 'eventId'] as const;

/** Measure attributes of a latest-state row (the record table's names and types). */
export const LATEST_MEASURES: readonly DerivedMeasure[] = [
  { column: M.status, type: 'VARCHAR' },
  { column: M.amountMinor, type: 'BIGINT' },
  { column: M.dueDate, type: 'TIMESTAMP' },
  { column: M.paymentTermsDays, type: 'BIGINT' },
];

/**
 * The rows one run writes for a scope: each partition's latest record in the window. Pure.
 *
 * @example
 * renderLatestStateSql({ id: 's_1', partition: 'invoiceStage', predicate: {}, specIds: [] }, window);
 */
export function renderLatestStateSql(scope: LatestScope, window: RollupWindow): string {
  const partition = [q('invoiceId'), ...(scope.partition === 'invoiceStage' ? ['stage'] : [])];
  const columns = [
    'time',
    ...LATEST_DIMENSIONS.map((d) => (d === 'stage' || d === 'currency' ? d : q(d))),
    ...LATEST_MEASURES.map((m) => q(m.column)),
  ];
  return `WITH ranked AS (
  SELECT ${columns.join(', ')},
    ROW_NUMBER() OVER (PARTITION BY ${partition.join(', ')} ORDER BY time DESC, ${q('eventId')} DESC) AS latest_rank
  FROM ${placeholderTable('records')}
  WHERE ${recordsWhere(scope.predicate, window).join('\n    AND ')}
)
SELECT ${columns.join(', ')}
FROM ranked
WHERE latest_rank = 1`;
}
