import type { QueueMetric, RecordsQuery } from '../../../dashboards/panels/panels.js';
import type { SlaPanelRow } from '../../../schemas/api/index.js';
import type { CellTopology, StageName } from '../../topology.js';

/**
 * Why a dashboard panel is empty, in words a reader acts on ("No invoices reached Posting in the
 * last 24 h.", "This panel reads Ingestion only; the stage filter is Posting."): the `emptyReason`
 * of the panel data. Pure functions of the query, the request and the rows.
 *
 * @example
 * recordsEmptyReason(query, { fromMs, toMs, nowMs, cell: undefined }, topology);
 */

/** The request's window and cell filter, as the reasons describe them. */
export interface ReasonWindow {
  readonly fromMs: number;
  readonly toMs: number;
  readonly nowMs: number;
  readonly cell: string | undefined;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * A window length as people say it: `15 min`, `1 h`, `24 h`, `7 d`.
 *
 * @example
 * windowLength(86_400_000); // '24 h'
 */
export function windowLength(ms: number): string {
  if (ms >= 2 * DAY_MS && ms % DAY_MS === 0) return `${ms / DAY_MS} d`;
  if (ms >= HOUR_MS && ms % HOUR_MS === 0) return `${ms / HOUR_MS} h`;
  return `${Math.max(1, Math.round(ms / MINUTE_MS))} min`;
}

/**
 * "in the last 24 h" for a window that ends now (within a minute), else its bounds in UTC.
 *
 * @example
 * windowPhrase({ fromMs: now - 3_600_000, toMs: now, nowMs: now, cell: undefined }); // 'in the last 1 h'
 */
export function windowPhrase(window: ReasonWindow): string {
  const { fromMs, toMs, nowMs } = window;
  if (Math.abs(nowMs - toMs) <= MINUTE_MS) return `in the last ${windowLength(toMs - fromMs)}`;
  const utc = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  return `between ${utc(fromMs)} and ${utc(toMs)} UTC`;
}

function stageTitle(topology: CellTopology, stage: string): string {
  return topology.stages.find((s) => s.name === stage)?.title ?? stage;
}

function subject(query: RecordsQuery): string {
  switch (query.measure) {
    case 'events':
      return query.distinctInvoices ? 'invoices' : 'events';
    case 'amount':
      return 'invoice amounts';
    case 'dueAmount':
      return 'invoices with a due date';
    case 'paymentTermsDays':
      return 'invoices with payment terms';
    case 'latency':
      return 'records stored';
  }
}

/**
 * Why a `records` panel has no value: what it counts, where (stage, status, cell) and when.
 *
 * @example
 * recordsEmptyReason(query, window, topology); // 'No invoices reached Posting in the last 24 h.'
 */
export function recordsEmptyReason(
  query: RecordsQuery,
  window: ReasonWindow,
  topology: CellTopology,
): string {
  const { stage, status } = query.filters ?? {};
  const reached = stage !== undefined && (query.measure === 'amount' || subject(query) === 'invoices');
  const what = reached
    ? `No invoices reached ${stageTitle(topology, stage)}`
    : `No ${subject(query)}${stage === undefined ? '' : ` at ${stageTitle(topology, stage)}`}`;
  const withStatus = status === undefined ? '' : ` with status ${status}`;
  const inCell = window.cell === undefined ? '' : ` in cell ${window.cell}`;
  return `${what}${withStatus}${inCell} ${windowPhrase(window)}.`;
}

/**
 * A panel fixed to one stage under a stage filter naming another: it cannot have rows.
 *
 * @example
 * stageFilterReason('ingestion', 'posting', topology); // 'This panel reads Ingestion only; the stage filter is Posting.'
 */
export function stageFilterReason(own: StageName, filter: StageName, topology: CellTopology): string {
  return `This panel reads ${stageTitle(topology, own)} only; the stage filter is ${stageTitle(topology, filter)}.`;
}

/**
 * Why SLA attainment has no value: no stage with an SLA under the filter, invoices still within
 * their SLA, or no invoice at all.
 *
 * @example
 * slaEmptyReason(rows, 'posting', window, topology); // 'Posting has no SLA: …'
 */
export function slaEmptyReason(
  rows: readonly SlaPanelRow[],
  stage: StageName | undefined,
  window: ReasonWindow,
  topology: CellTopology,
): string | undefined {
  if (rows.some((r) => r.value !== null)) return undefined;
  if (rows.length === 0 && stage !== undefined) {
    return `${stageTitle(topology, stage)} has no SLA: attainment is judged at the stages before it.`;
  }
  const pending = rows.reduce((sum, r) => sum + r.pending, 0);
  if (pending > 0) {
    return `No invoice judged yet ${windowPhrase(window)}: ${pending} still within their stage SLA.`;
  }
  return `No invoice entered a stage with an SLA ${windowPhrase(window)}${window.cell === undefined ? '' : ` in cell ${window.cell}`}.`;
}

/**
 * Why a live queue panel has no value: the metric has no per-stage number in the local cell.
 *
 * @example
 * queueEmptyReason('apiErrors'); // 'The local cell counts API 5xx answers …'
 */
export function queueEmptyReason(metric: QueueMetric): string {
  return metric === 'apiErrors'
    ? 'The local cell counts API 5xx answers for the whole API, not per stage: see /metrics.'
    : 'The cell has no per-stage value for this metric.';
}
