import type { CellTopology } from '../../cells/topology.js';
import { stageNameCase, stageSlaMsCase, terminalStatusCondition } from '../../consumers/sql/sql-text.js';

/**
 * SLA attainment SQL, written once for both stores; a {@link SlaSqlDialect} supplies the few parts
 * that differ (where the events come from, how "to" and "now" are spelled).
 *
 * Per invoice and stage, `entered_ms` is the first record time at that stage. An entry into stage
 * N (not the last) inside the window is judged:
 * - `met`: the invoice entered N+1 within N's `slaSec` of entering N;
 * - `missed`: it entered N+1 later, or it has not and the SLA has run out by now;
 * - `ended`: it has not entered N+1 and its latest status at N is terminal (e.g. REJECTED);
 * - `pending`: it has not entered N+1 and is still within the SLA.
 * `value` = 100 × met / (met + missed), NULL when nothing was judged.
 *
 * Events are read with no upper bound, so an invoice that entered N inside the window and N+1
 * after it still counts as met. Timestream reads them from the window start on (to keep the scan
 * bounded): an invoice that entered N before the window and had another event at N inside it is
 * judged from that later event. The local reference reads all history and bounds the entered time
 * instead (`fromMs`), as the local SLA rollups count.
 *
 * @example
 * const sql = renderSlaSql(topology, LOCAL_SLA_DIALECT);
 */
export interface SlaSqlDialect {
  /**
   * A SELECT yielding `invoice_id, stage_order, status, time_ms, tiebreak` for every record of the
   * cell from the window start on, or of all history with `fromMs` (`tiebreak` orders records of
   * equal time).
   */
  readonly eventsSelect: string;
  /**
   * Window start in epoch ms, when the judged entries' entered time is bounded by it; without it
   * the `eventsSelect` bounds the window from below.
   */
  readonly fromMs?: string;
  /** Window end in epoch ms. */
  readonly toMs: string;
  /** Now in epoch ms (for "the SLA has run out"). */
  readonly nowMs: string;
}

/** Output columns: `stage, met, missed, pending, ended, value`, in lifecycle order. */
export function renderSlaSql(topology: CellTopology, dialect: SlaSqlDialect): string {
  const lastOrder = topology.stages.length - 1;
  return `WITH events AS (
  ${dialect.eventsSelect}
),
entered AS (
  SELECT invoice_id, stage_order, min(time_ms) AS entered_ms
  FROM events
  GROUP BY invoice_id, stage_order
),
latest AS (
  SELECT invoice_id, stage_order, status
  FROM (
    SELECT invoice_id, stage_order, status,
      ROW_NUMBER() OVER (PARTITION BY invoice_id, stage_order ORDER BY time_ms DESC, tiebreak DESC) AS status_rank
    FROM events
  ) AS ranked
  WHERE status_rank = 1
),
judged AS (
  SELECT e.stage_order, e.entered_ms, n.entered_ms AS next_ms, l.status,
    ${stageSlaMsCase('e.stage_order', topology)} AS sla_ms
  FROM entered AS e
  JOIN latest AS l ON l.invoice_id = e.invoice_id AND l.stage_order = e.stage_order
  LEFT JOIN entered AS n ON n.invoice_id = e.invoice_id AND n.stage_order = e.stage_order + 1
  WHERE e.entered_ms < ${dialect.toMs} AND e.stage_order < ${lastOrder}${
    dialect.fromMs === undefined ? '' : ` AND e.entered_ms >= ${dialect.fromMs}`
  }
),
outcomes AS (
  SELECT stage_order,
    CASE
      WHEN next_ms IS NOT NULL AND next_ms - entered_ms <= sla_ms THEN 'met'
      WHEN next_ms IS NOT NULL THEN 'missed'
      WHEN ${terminalStatusCondition('stage_order', 'status', topology)} THEN 'ended'
      WHEN ${dialect.nowMs} - entered_ms > sla_ms THEN 'missed'
      ELSE 'pending'
    END AS outcome
  FROM judged
),
counts AS (
  SELECT stage_order,
    sum(CASE WHEN outcome = 'met' THEN 1 ELSE 0 END) AS met,
    sum(CASE WHEN outcome = 'missed' THEN 1 ELSE 0 END) AS missed,
    sum(CASE WHEN outcome = 'pending' THEN 1 ELSE 0 END) AS pending,
    sum(CASE WHEN outcome = 'ended' THEN 1 ELSE 0 END) AS ended
  FROM outcomes
  GROUP BY stage_order
)
SELECT ${stageNameCase('stage_order', topology)} AS stage, met, missed, pending, ended,
  CASE WHEN met + missed > 0 THEN 100.0 * met / (met + missed) END AS value
FROM counts
ORDER BY stage_order`;
}
