import { type Static, Type } from 'typebox';
import { EpochMsSchema, IsoTimeSchema, List, LiteralUnion, Nullable, StageNameSchema } from './common.js';
import {
  AlarmSchema,
  AlarmTransitionSchema,
  CellUnhealthySchema,
  RECONCILE_FIELDS,
  STUCK_FIELDS,
  StageReconciliationSchema,
} from './monitoring.js';

/**
 * `GET /dashboards` (the panel metadata of the three views) and `GET /dashboards/{view}/data`
 * (every panel's data). The value lists below are the one source of the panel definitions'
 * vocabulary (`dashboards/panels/panel-types.ts` re-exports them as `PANEL_UNITS`, `PANEL_CHARTS`,
 * `DASHBOARD_IDS`); a test keeps the query sources (`PanelQuery['source']`) equal to
 * {@link API_PANEL_SOURCES}.
 *
 * @example
 * const data = (await res.json()) as DashboardDataAnswer;
 * for (const [id, panel] of Object.entries(data.panels)) if ('error' in panel) console.warn(id, panel.error);
 */

/** Units a panel's values are shown in. */
export const API_PANEL_UNITS = ['events', 'events/min', 'money', 'ms', 's', '%', 'count', 'days'] as const;
/** Chart kinds of a panel. */
export const API_PANEL_CHARTS = ['line', 'bar', 'stacked-bar', 'table', 'stat', 'doughnut'] as const;
/** Where a panel's data comes from (`PanelQuery['source']`). */
export const API_PANEL_SOURCES = ['records', 'queue', 'sla', 'stuck', 'alarms', 'reconcile'] as const;
/** The dashboards (views). */
export const API_DASHBOARD_IDS = ['executive', 'operations', 'finance'] as const;
/** Time bins a panel can be drawn with (`TIME_BINS` of `dashboards/panels/panel-types.ts`). */
export const API_TIME_BINS = ['1m', '5m', '1h', '1d', '1w'] as const;

/** One of {@link API_PANEL_UNITS}. */
export const PanelUnitSchema = LiteralUnion(API_PANEL_UNITS);
/** One of {@link API_PANEL_CHARTS}. */
export const PanelChartSchema = LiteralUnion(API_PANEL_CHARTS);
/** One of {@link API_PANEL_SOURCES}. */
export const PanelSourceSchema = LiteralUnion(API_PANEL_SOURCES);
/** One of {@link API_TIME_BINS}. */
export const TimeBinSchema = LiteralUnion(API_TIME_BINS);
/** One of {@link API_DASHBOARD_IDS}. */
export const DashboardIdSchema = LiteralUnion(API_DASHBOARD_IDS);
/** `executive` | `operations` | `finance`. */
export type DashboardIdValue = Static<typeof DashboardIdSchema>;

// ---- GET /dashboards ------------------------------------------------------------------------

/** A panel's metadata (its query is not sent, only the query's `source`). */
export const PanelMetaSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  unit: PanelUnitSchema,
  chart: PanelChartSchema,
  source: PanelSourceSchema,
  description: Type.Optional(Type.String()),
});
/** A panel's metadata. */
export type PanelMeta = Static<typeof PanelMetaSchema>;

/** A dashboard's metadata. */
export const DashboardMetaSchema = Type.Object({
  id: DashboardIdSchema,
  title: Type.String(),
  description: Type.String(),
  panels: List(PanelMetaSchema),
});
/** A dashboard's metadata. */
export type DashboardMeta = Static<typeof DashboardMetaSchema>;

/** The body of `GET /dashboards`: every view in order. */
export const DashboardsAnswerSchema = List(DashboardMetaSchema);
/** The body of `GET /dashboards`. */
export type DashboardsAnswer = Static<typeof DashboardsAnswerSchema>;

// ---- panel data -----------------------------------------------------------------------------

/**
 * One row of a `records` panel (`RecordsPanelRow` of `cells/local/monitoring/panel-runner.ts`).
 * Precise, not open: a row carries `binStartMs` when the query bins by time, each `groupBy`
 * field it groups by, and the value.
 */
export const RecordsPanelRowSchema = Type.Object({
  binStartMs: Type.Optional(EpochMsSchema),
  stage: Type.Optional(StageNameSchema),
  currency: Type.Optional(Type.String()),
  vendorId: Type.Optional(Type.String()),
  /** With `vendorId`: the vendor's latest name (by record time), when the cell knows it. */
  vendorName: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
  paymentTermsDays: Type.Optional(Nullable(Type.Number())),
  /** Money: a decimal string in the row's currency. Otherwise a number, or null (average of nothing). */
  value: Type.Union([Type.String(), Type.Number(), Type.Null()]),
  /** Money only: the exact sum in integer minor units, as a decimal string. */
  amountMinor: Type.Optional(Type.String()),
});
/** One row of a `records` panel. */
export type RecordsPanelRow = Static<typeof RecordsPanelRowSchema>;

/** One row of an `sla` panel: attainment per judged stage (zeros included). */
export const SlaPanelRowSchema = Type.Object({
  stage: StageNameSchema,
  met: Type.Number(),
  missed: Type.Number(),
  pending: Type.Number(),
  ended: Type.Number(),
  /** Attainment in percent; null when nothing was judged. */
  value: Nullable(Type.Number()),
});
/** One row of an `sla` panel. */
export type SlaPanelRow = Static<typeof SlaPanelRowSchema>;

/** One row of a `queue` panel: the live metric of a stage; null where the cell has no per-stage value. */
export const QueuePanelRowSchema = Type.Object({
  stage: StageNameSchema,
  value: Nullable(Type.Number()),
});
/** One row of a `queue` panel. */
export type QueuePanelRow = Static<typeof QueuePanelRowSchema>;

/**
 * Why a panel has nothing to draw (no rows, or no value in any row), in words for the reader:
 * "No invoices reached Posting in the last 24 h.", "This panel reads Ingestion; the stage filter
 * is Posting." Present only when the panel is empty. Every rows branch of {@link PanelDataSchema}
 * carries it, so the serializer keeps it whichever branch it picks for an empty `rows`.
 */
const EMPTY_REASON = { emptyReason: Type.Optional(Type.String()) };

/** A panel that failed: its error message (the other panels of the view still answer). */
export const PanelErrorSchema = Type.Object({ error: Type.String() });
/** A panel that failed. */
export type PanelError = Static<typeof PanelErrorSchema>;

/** `stuck` panel: the `/stuck` answer with `invoices` named `rows` and without `notes`. */
export const StuckPanelDataSchema = Type.Object({
  rows: STUCK_FIELDS.invoices,
  messages: STUCK_FIELDS.messages,
  generatedAt: STUCK_FIELDS.generatedAt,
});
/** `stuck` panel data. */
export type StuckPanelData = Static<typeof StuckPanelDataSchema>;

/** `alarms` panel: the `/alarms` answer with `alarms` named `rows` and without `generatedAt`. */
export const AlarmsPanelDataSchema = Type.Object({
  rows: List(AlarmSchema),
  cellUnhealthy: CellUnhealthySchema,
  cellUnhealthyAlarming: List(Type.String()),
  transitions: List(AlarmTransitionSchema),
});
/** `alarms` panel data. */
export type AlarmsPanelData = Static<typeof AlarmsPanelDataSchema>;

/** `reconcile` panel: the `/reconcile` answer plus `rows` (its stages, filtered by `?stage=`). */
export const ReconcilePanelDataSchema = Type.Object({
  ...RECONCILE_FIELDS,
  rows: List(StageReconciliationSchema),
});
/** `reconcile` panel data. */
export type ReconcilePanelData = Static<typeof ReconcilePanelDataSchema>;

/**
 * The window a rollup-read panel's rows cover: the requested window snapped outward to the
 * rollup bins it was read from (minute edges while minute bins are kept, hour or day edges for
 * older windows). Absent when the panel is not read from rollups.
 */
const EFFECTIVE_WINDOW = {
  effectiveFromMs: Type.Optional(EpochMsSchema),
  effectiveToMs: Type.Optional(EpochMsSchema),
};

/** `sla` panel: one row per judged stage. */
export const SlaPanelDataSchema = Type.Object(
  { rows: List(SlaPanelRowSchema), ...EFFECTIVE_WINDOW, ...EMPTY_REASON },
  // Closed, so an empty `records` answer that names its time bin does not fit here (see PanelDataSchema).
  { additionalProperties: false },
);
/** `sla` panel data. */
export type SlaPanelData = Static<typeof SlaPanelDataSchema>;

/**
 * `records` panel: one row per group (and time bin). A binned panel names the bin it was drawn
 * with: the panel declares one, and the cell picks another when the declared one would draw too
 * many or too few points for the window (`binForRange` in `dashboards/panels/bin-for-range.ts`).
 */
export const RecordsPanelDataSchema = Type.Object({
  rows: List(RecordsPanelRowSchema),
  /** The bin the rows are grouped by (binned panels only). */
  timeBin: Type.Optional(TimeBinSchema),
  /** Its width in ms (a week bin starts on Monday 00:00 UTC). */
  binMs: Type.Optional(Type.Number()),
  /** The bin the panel declares, when the cell chose another one for this window. */
  declaredTimeBin: Type.Optional(TimeBinSchema),
  ...EFFECTIVE_WINDOW,
  ...EMPTY_REASON,
});
/** `records` panel data. */
export type RecordsPanelData = Static<typeof RecordsPanelDataSchema>;

/** `queue` panel: one row per stage (of `?stage=`). */
export const QueuePanelDataSchema = Type.Object(
  { rows: List(QueuePanelRowSchema), ...EMPTY_REASON },
  { additionalProperties: false },
);
/** `queue` panel data. */
export type QueuePanelData = Static<typeof QueuePanelDataSchema>;

/**
 * One panel's data. The answer does not name the panel's source, so this is a union without a
 * discriminant. fastify's serializer writes an `anyOf` value with the first branch that
 * validates, so the order matters: the branches with extra required fields come first, `sla` rows
 * (which require `met`…) before `records` rows, and `records` rows (all optional but `value`)
 * before `queue` rows, which they include; an empty `rows` serialises the same in every branch.
 * `sla` and `queue` data are closed objects, so an empty `records` answer with its time bin falls
 * through to the `records` branch instead of losing the bin.
 */
export const PanelDataSchema = Type.Union([
  PanelErrorSchema,
  StuckPanelDataSchema,
  AlarmsPanelDataSchema,
  ReconcilePanelDataSchema,
  SlaPanelDataSchema,
  RecordsPanelDataSchema,
  QueuePanelDataSchema,
]);
/** One panel's data. */
export type PanelData = Static<typeof PanelDataSchema>;

/** The body of `GET /dashboards/{view}/data?from=&to=&stage=&cell=`. */
export const DashboardDataAnswerSchema = Type.Object({
  view: DashboardIdSchema,
  from: IsoTimeSchema,
  to: IsoTimeSchema,
  /** Keyed by panel id (a record because the ids depend on the view). */
  panels: Type.Record(Type.String(), PanelDataSchema),
});
/** The body of `GET /dashboards/{view}/data`. */
export type DashboardDataAnswer = Static<typeof DashboardDataAnswerSchema>;
