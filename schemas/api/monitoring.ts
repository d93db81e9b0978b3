import { type Static, Type } from 'typebox';
import { EpochMsSchema, IsoTimeSchema, List, Nullable, StageNameSchema } from './common.js';

/**
 * The monitoring answers of the local cell (`cells/local/plugins/monitoring-plugin.ts`):
 * `GET /stuck`, `GET /reconcile` and `GET /alarms`. The dashboard panels of the same sources
 * reuse these shapes (`./dashboards.ts`).
 *
 * @example
 * const alarms = (await res.json()) as AlarmsAnswer;
 * if (alarms.cellUnhealthy === 'ALARM') console.error(alarms.cellUnhealthyAlarming.join(', '));
 */

// ---- GET /stuck -----------------------------------------------------------------------------

/** An invoice past its stage SLA that has not reached the next stage (`findStuckInvoices`). */
export const StuckInvoiceSchema = Type.Object({
  invoiceId: Type.String(),
  stage: StageNameSchema,
  /** The stage the invoice has not reached. */
  nextStage: StageNameSchema,
  lastStatus: Type.String(),
  /** When the invoice entered `stage` (its record time), as RFC 3339 and epoch ms. */
  enteredAt: IsoTimeSchema,
  enteredAtMs: EpochMsSchema,
  /** Whole seconds since the invoice entered `stage`. */
  ageSec: Type.Number(),
  /** `ageSec − slaSec`; above 0 for every stuck invoice. */
  overdueSec: Type.Number(),
  slaSec: Type.Number(),
  vendorId: Type.Optional(Type.String()),
});
/** A business-stuck invoice. */
export type StuckInvoiceAnswer = Static<typeof StuckInvoiceSchema>;

/** One dead-lettered message of a stage whose DLQ is not empty. */
export const StuckDlqMessageSchema = Type.Object({
  stage: StageNameSchema,
  kind: Type.Literal('dlq'),
  messageId: Type.String(),
  invoiceId: Type.String(),
  eventId: Type.String(),
  receiveCount: Type.Number(),
  sentAt: IsoTimeSchema,
  deadLetteredAt: Nullable(IsoTimeSchema),
  /** Since the message was sent to the stage queue. */
  ageSec: Type.Number(),
  count: Type.Literal(1),
});

/** A stage whose oldest queued message is older than its alarm threshold. */
export const StuckOldestMessageSchema = Type.Object({
  stage: StageNameSchema,
  kind: Type.Literal('oldest-message'),
  ageSec: Type.Number(),
  /** The same age as `ageSec`: the reading the threshold applies to. */
  value: Type.Number(),
  threshold: Type.Number(),
  count: Type.Literal(1),
  message: Type.String(),
});

/** A technical stuck item: a DLQ message, or a stage whose oldest message is too old (by `kind`). */
export const StuckMessageSchema = Type.Union([StuckDlqMessageSchema, StuckOldestMessageSchema]);
/** A technical stuck item. */
export type StuckMessageAnswer = Static<typeof StuckMessageSchema>;

/** The shared fields of `GET /stuck` and of a `stuck` panel. */
export const STUCK_FIELDS = {
  generatedAt: IsoTimeSchema,
  /** Most overdue first. */
  invoices: List(StuckInvoiceSchema),
  messages: List(StuckMessageSchema),
} as const;

/** The body of `GET /stuck?stage=`. */
export const StuckAnswerSchema = Type.Object({
  ...STUCK_FIELDS,
  /** E.g. that a DLQ holds more messages than are listed. */
  notes: List(Type.String()),
});
/** The body of `GET /stuck`. */
export type StuckAnswer = Static<typeof StuckAnswerSchema>;

// ---- GET /reconcile -------------------------------------------------------------------------

/** One stage's reconciliation (`BinnedStageReconciliation` of `consumers/monitoring/reconcile-bins.ts`). */
export const StageReconciliationSchema = Type.Object({
  stage: StageNameSchema,
  accepted: Type.Number(),
  stored: Type.Number(),
  inDlq: Type.Number(),
  inFlight: Type.Number(),
  /** Accepted events found stored, in the DLQ or in flight. */
  accounted: Type.Number(),
  /** Event ids accepted but found nowhere, sorted. (The report's top-level `missing` is a count.) */
  missing: List(Type.String()),
  /** Event ids stored or queued but not accepted in the window, sorted. */
  unexpected: List(Type.String()),
  /**
   * Events that do not balance but could not be named: in bins older than the archive's retention,
   * beyond the listing limits, or records stored without acceptance beyond those named. 0 when
   * balanced; the report's `notes` say why.
   */
  unnamed: Type.Number(),
  balanced: Type.Boolean(),
});
/** One stage's reconciliation. */
export type StageReconciliationAnswer = Static<typeof StageReconciliationSchema>;

/** The fields of `GET /reconcile`, shared with the `reconcile` panel. */
export const RECONCILE_FIELDS = {
  /** The window, as epoch ms (from the report) and as RFC 3339 (added by the route). */
  fromMs: EpochMsSchema,
  toMs: EpochMsSchema,
  stages: List(StageReconciliationSchema),
  balanced: Type.Boolean(),
  /** Count of missing event ids over all stages (each stage's `missing` lists them). */
  missing: Type.Number(),
  /** Count of unexpected event ids over all stages. */
  unexpected: Type.Number(),
  /** Bin width of the counters (60000): `fromMs`/`toMs` are the asked window widened to whole bins. */
  binMs: Type.Number(),
  /** Bins (one stage, one minute) with counters in the window. */
  binsChecked: Type.Number(),
  /** Bins the counters alone do not balance (a difference, or something queued). */
  unbalancedBins: Type.Number(),
  /** Bins whose accepted event ids were read to name the differences. */
  listedBins: Type.Number(),
  /** Bins that do not balance and whose events could not be named (stage `unnamed`). */
  unlistedBins: Type.Number(),
  /** Why something could not be named, or why the window was clipped. */
  notes: List(Type.String()),
  from: IsoTimeSchema,
  to: IsoTimeSchema,
} as const;

/** The body of `GET /reconcile?from=&to=` (last 24 h by default). */
export const ReconcileAnswerSchema = Type.Object(RECONCILE_FIELDS);
/** The body of `GET /reconcile`. */
export type ReconcileAnswer = Static<typeof ReconcileAnswerSchema>;

// ---- GET /alarms ----------------------------------------------------------------------------

/** A rule's state (`AlarmStateValue` of `consumers/monitoring/alarm-evaluator.ts`). */
export const AlarmStateSchema = Type.Union([
  Type.Literal('OK'),
  Type.Literal('ALARM'),
  Type.Literal('INSUFFICIENT_DATA'),
]);
/** `OK` | `ALARM` | `INSUFFICIENT_DATA`. */
export type AlarmStateValue = Static<typeof AlarmStateSchema>;

/** `critical` (counts toward "cell unhealthy") or `warning` (`AlarmSeverity` of `cells/alarm-rules.ts`). */
export const AlarmSeveritySchema = Type.Union([Type.Literal('critical'), Type.Literal('warning')]);

/** The composite "cell unhealthy" alarm: never `INSUFFICIENT_DATA`, never a boolean. */
export const CellUnhealthySchema = Type.Union([Type.Literal('OK'), Type.Literal('ALARM')]);

/** One alarm rule with its current state. */
export const AlarmSchema = Type.Object({
  /** The rule id, e.g. `ingestion-dlq-not-empty`. */
  id: Type.String(),
  title: Type.String(),
  /** Absent for cell-wide rules. */
  stage: Type.Optional(StageNameSchema),
  severity: AlarmSeveritySchema,
  state: AlarmStateSchema,
  /** The last reading; null when it was missing or the rule was not evaluated yet. */
  value: Nullable(Type.Number()),
  threshold: Type.Number(),
  /** When the rule entered `state`. */
  since: IsoTimeSchema,
  reason: Type.String(),
});
/** One alarm rule with its current state. */
export type AlarmAnswer = Static<typeof AlarmSchema>;

/** One state change of a rule. */
export const AlarmTransitionSchema = Type.Object({
  /** The rule id (named `id` in {@link AlarmSchema}). */
  ruleId: Type.String(),
  /** Absent only for a stored transition of a rule that no longer exists. */
  title: Type.Optional(Type.String()),
  severity: Type.Optional(AlarmSeveritySchema),
  stage: Type.Optional(StageNameSchema),
  from: AlarmStateSchema,
  to: AlarmStateSchema,
  /** When it happened, as epoch ms and as RFC 3339. */
  atMs: EpochMsSchema,
  at: IsoTimeSchema,
  value: Nullable(Type.Number()),
  threshold: Type.Number(),
  reason: Type.String(),
});
/** One state change of a rule. */
export type AlarmTransitionAnswer = Static<typeof AlarmTransitionSchema>;

/** The body of `GET /alarms?historySec=`. */
export const AlarmsAnswerSchema = Type.Object({
  generatedAt: IsoTimeSchema,
  cellUnhealthy: CellUnhealthySchema,
  /** Critical rules in ALARM (what makes the cell unhealthy). */
  cellUnhealthyAlarming: List(Type.String()),
  alarms: List(AlarmSchema),
  /** Newest first, at most 200. */
  transitions: List(AlarmTransitionSchema),
});
/** The body of `GET /alarms`. */
export type AlarmsAnswer = Static<typeof AlarmsAnswerSchema>;
