import type { CellTopology } from '../../cells/topology.js';
import { isNewer, type RollupRecord } from '../../dashboards/rollups/contributions.js';
import { stuckDeadlineMs } from './stuck.js';

/**
 * The latest-state-per-invoice rule both stores keep (the local cell's `invoice_state` table,
 * `cells/local/storage/invoice-state-writer.ts`, and the Aurora store's,
 * `consumers/postgresql/first-write-effects.ts`): one row per invoice at its furthest stage, with
 * the SLA deadline the stuck reads range over.
 */

/** An `invoice_state` row. */
export interface InvoiceStateRow {
  readonly invoice_id: string;
  readonly stage_order: number;
  readonly status: string;
  readonly status_time_ms: number;
  readonly status_event_id: string;
  readonly vendor_id: string;
  readonly entered_ms: number;
  readonly deadline_ms: number | null;
}

/**
 * The invoice's row after `record`, or undefined when the record changes nothing (an earlier
 * stage, or an older event at the same stage that does not lower its entered time). Pure.
 *
 * @example
 * nextInvoiceState(undefined, record, topology); // the record's stage, status, entered = its time
 */
export function nextInvoiceState(
  current: InvoiceStateRow | undefined,
  record: RollupRecord,
  topology: CellTopology,
): InvoiceStateRow | undefined {
  if (!current || record.stageOrder > current.stage_order)
    return rowOf(record, record, record.timeMs, topology);
  if (record.stageOrder < current.stage_order) return undefined;
  const newer = isNewer(record, { timeMs: current.status_time_ms, eventId: current.status_event_id });
  const enteredMs = Math.min(current.entered_ms, record.timeMs);
  if (!newer && enteredMs === current.entered_ms) return undefined;
  const latest = newer
    ? record
    : {
        status: current.status,
        timeMs: current.status_time_ms,
        eventId: current.status_event_id,
        vendorId: current.vendor_id,
      };
  return rowOf(record, latest, enteredMs, topology);
}

type LatestRecord = Pick<RollupRecord, 'status' | 'timeMs' | 'eventId' | 'vendorId'>;

function rowOf(
  record: RollupRecord,
  latest: LatestRecord,
  enteredMs: number,
  topology: CellTopology,
): InvoiceStateRow {
  return {
    invoice_id: record.invoiceId,
    stage_order: record.stageOrder,
    status: latest.status,
    status_time_ms: latest.timeMs,
    status_event_id: latest.eventId,
    vendor_id: latest.vendorId,
    entered_ms: enteredMs,
    deadline_ms: stuckDeadlineMs(topology, record.stageOrder, latest.status, enteredMs),
  };
}
