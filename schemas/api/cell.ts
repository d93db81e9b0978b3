import { type Static, Type } from 'typebox';
import { List, Nullable } from './common.js';

/**
 * `GET /health` and `GET /stats`: readiness, and the counts per stage with the reconciliation
 * of `cells/local/monitoring/cell-stats.ts` (`unaccounted = accepted − stored − visible −
 * inFlight − inDlq`).
 *
 * @example
 * const stats = (await res.json()) as StatsAnswer;
 * const lost = Object.values(stats.stages).some((s) => s.unaccounted > 0);
 */

/** The cell's lifecycle state. */
export const CellStateSchema = Type.Union([
  Type.Literal('starting'),
  Type.Literal('ready'),
  Type.Literal('draining'),
]);
/** `starting` | `ready` | `draining`. */
export type CellStateValue = Static<typeof CellStateSchema>;

/** The body of `GET /health`: 200 when `ready`, 503 (same body) otherwise. */
export const HealthAnswerSchema = Type.Object({ status: CellStateSchema });
/** The body of `GET /health`. */
export type HealthAnswer = Static<typeof HealthAnswerSchema>;

/** Processing failures by kind (`FailureKind` of `consumers/stage-processor.ts`); every kind is present. */
export const FailureCountsSchema = Type.Object({
  invalid: Type.Number(),
  rejected: Type.Number(),
  transient: Type.Number(),
  'group-blocked': Type.Number(),
});
/** Processing failures by kind. */
export type FailureCounts = Static<typeof FailureCountsSchema>;

/** The ingest-to-store latency histogram of a stage, with its estimated quantiles. */
export const LatencyStatsSchema = Type.Object({
  /** Cumulative counts, one per bound of `LATENCY_BUCKETS_SEC` (`cells/local/engine/engine.ts`). */
  buckets: List(Type.Number()),
  count: Type.Number(),
  sumSec: Type.Number(),
  /**
   * Upper bound of the bucket holding the quantile; null without observations. Beyond the last
   * bucket the server computes Infinity, which JSON (and the serializer) writes as null too.
   */
  p50Sec: Nullable(Type.Number()),
  p99Sec: Nullable(Type.Number()),
});
/** The ingest-to-store latency histogram of a stage. */
export type LatencyStats = Static<typeof LatencyStatsSchema>;

/** One stage's counts (`StageStats`). */
export const StageStatsSchema = Type.Object({
  accepted: Type.Number(),
  duplicates: Type.Number(),
  conflicts: Type.Number(),
  stored: Type.Number(),
  processed: Type.Number(),
  visible: Type.Number(),
  inFlight: Type.Number(),
  inDlq: Type.Number(),
  oldestMessageAgeSec: Nullable(Type.Number()),
  unaccounted: Type.Number(),
  deadLettered: Type.Number(),
  failures: FailureCountsSchema,
  storeRetries: Type.Number(),
  batchesInFlight: Type.Number(),
  latency: LatencyStatsSchema,
});
/** One stage's counts. */
export type StageStatsAnswer = Static<typeof StageStatsSchema>;

/** Sums over the stages. */
export const StatsTotalsSchema = Type.Object({
  accepted: Type.Number(),
  stored: Type.Number(),
  visible: Type.Number(),
  inFlight: Type.Number(),
  inDlq: Type.Number(),
  unaccounted: Type.Number(),
});

/** The body of `GET /stats` (`CellStats`). */
export const StatsAnswerSchema = Type.Object({
  status: CellStateSchema,
  cell: Type.String(),
  /** Keyed by stage name, in topology order (a record because its keys are the topology's stages). */
  stages: Type.Record(Type.String(), StageStatsSchema),
  totals: StatsTotalsSchema,
  /** Engine group commits so far, and the most jobs one commit carried. */
  commits: Type.Object({ total: Type.Number(), largest: Type.Number() }),
});
/** The body of `GET /stats`. */
export type StatsAnswer = Static<typeof StatsAnswerSchema>;
