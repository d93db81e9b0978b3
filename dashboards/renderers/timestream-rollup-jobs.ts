import type { CellTopology } from '../../cells/topology.js';
import {
  STUCK_STATE_DIMENSIONS,
  STUCK_STATE_MEASURE,
  STUCK_STATE_MEASURES,
  STUCK_STATE_TIME_COLUMN,
  timestreamStuckStateSql,
} from '../../consumers/aws/timestream-stuck-query.js';
import { TIME_BINS } from '../panels/panel-types.js';
import type { Rollups } from '../rollups/apply-record.js';
import type { LatestScope, RollupSpec } from '../rollups/rollup-specs.js';
import type { RollupTier } from '../rollups/window-plan.js';
import { LATEST_DIMENSIONS, LATEST_MEASURES, renderLatestStateSql } from './timestream-latest-sql.js';
import {
  binDimensions,
  binMeasures,
  type DerivedMeasure,
  isTimestreamSpec,
  type RollupWindow,
  renderBinsFromBinsSql,
  renderBinsFromRecordsSql,
} from './timestream-rollup-sql.js';
import { BIN_COLUMNS, TIMESTREAM_TABLE_PLACEHOLDERS } from './timestream-rollup-tables.js';

/**
 * The Timestream scheduled queries that keep a cell's rollups, derived from the rollup specs (so a
 * new panel brings its query) — what `stacks/timestream-rollups.ts` turns into
 * `AWS::Timestream::ScheduledQuery` resources:
 *
 * | job | reads | writes | schedule (UTC) | window |
 * |---|---|---|---|---|
 * | `<spec>-<finest tier>` | records | bins | every `intervalMinutes` | `lateToleranceMinutes` back |
 * | `<spec>-1h`, `<spec>-1d` | bins (finer tier) | bins | hourly at :20, daily at 00:40 | the catch-up days and the tolerance back |
 * | `<scope>-latest` | records | latest state | every `intervalMinutes` | `lateToleranceMinutes` back |
 * | `stuck-state` | records | latest state | every `intervalMinutes` | `lateToleranceMinutes` back |
 * | `<job>-catch-up` (records jobs) | records | as its job | daily at 00:07 | the last `catchUpDays` days |
 *
 * Event specs get bins; distinct-invoice specs are served by their scope's latest-state rows
 * (`timestream-latest-sql.ts`); latency specs have no Timestream form (CloudWatch serves them, see
 * {@link TimestreamRollupPlan.cloudWatchSpecs}).
 *
 * Coarser tiers are their own queries over the finer tier's rows (not sums at read time): a 30-day
 * panel then reads 30 day rows and a few dozen hour and minute rows per group, not 43,200 minute
 * rows, and each coarse run reads only narrow derived rows. Readers use a coarse row only once its
 * run has settled it ({@link COARSE_TIER_SCHEDULES}); the newest part of a window comes from the
 * finest tier.
 *
 * Lateness. A record is counted by the regular runs when it is stored at most
 * `lateToleranceMinutes` after its `occurredAt`; the daily catch-up recomputes the last
 * `catchUpDays` days, so a redrive or replay within that many days is counted by the next day.
 * Older late records (an archive replay of last month) need a manual run of the job for that time:
 * `aws timestream-query execute-scheduled-query --scheduled-query-arn <arn> --invocation-time <t>`
 * (https://docs.aws.amazon.com/timestream/latest/developerguide/scheduledqueries-patterns-latearrive.html).
 *
 * @example
 * const { jobs } = timestreamRollupJobs(rollupsOf(DASHBOARDS), { topology });
 * for (const job of jobs) new CfnScheduledQuery(this, job.id, { queryString: bind(job.queryString), ... });
 */

/** Which derived table a job writes. */
export type DerivedTable = 'bins' | 'latest';

/** How a job's rows map to the derived table (`TargetConfiguration.TimestreamConfiguration`). */
export interface RollupJobTarget {
  readonly table: DerivedTable;
  readonly timeColumn: string;
  readonly dimensions: readonly string[];
  /** The multi-measure name (spec id, scope id or the stuck-state name). */
  readonly measureName: string;
  readonly measures: readonly DerivedMeasure[];
}

export interface TimestreamRollupJob {
  /** Unique, stable while the definition is: `<spec|scope id>-<what>`. */
  readonly id: string;
  readonly description: string;
  /** SQL over placeholder tables (`bindTimestreamTables`). */
  readonly queryString: string;
  readonly scheduleExpression: string;
  readonly target: RollupJobTarget;
  /** The tables the query reads (its role's Select grants). */
  readonly reads: readonly ('records' | 'bins')[];
}

export interface TimestreamRollupPlan {
  readonly jobs: readonly TimestreamRollupJob[];
  /** Specs Timestream cannot serve (latency): their panels read CloudWatch. */
  readonly cloudWatchSpecs: readonly RollupSpec[];
}

export interface RollupJobOptions {
  /** Stage order and SLAs of the stuck state. */
  readonly topology: CellTopology;
  /** Minutes between the runs that read the records; divides 60. @default 5 */
  readonly intervalMinutes?: number;
  /** How long after its `occurredAt` a record may be stored and still be counted by the regular runs. @default 60 */
  readonly lateToleranceMinutes?: number;
  /** Days the daily catch-up runs recompute; 0 for none. @default 2 */
  readonly catchUpDays?: number;
}

export const ROLLUP_JOB_DEFAULTS = {
  intervalMinutes: 5,
  lateToleranceMinutes: 60,
  catchUpDays: 2,
} as const;

/**
 * When each coarse tier is rebuilt (cron, UTC) and how long after a bin ends readers wait before
 * using it: the run's minute past the bin end plus a margin for the run itself.
 */
export const COARSE_TIER_SCHEDULES: Readonly<Record<'1h' | '1d', { cron: string; settleMinutes: number }>> = {
  '1h': { cron: 'cron(20 * * * ? *)', settleMinutes: 30 },
  '1d': { cron: 'cron(40 0 * * ? *)', settleMinutes: 60 },
};

/** After midnight, before the day tier's run, so the day rows include the corrections. */
const CATCH_UP_CRON = 'cron(7 0 * * ? *)';

/** A job option out of range; names the option and the bad value. */
export class RollupJobOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RollupJobOptionsError';
  }
}

type Settings = Required<Omit<RollupJobOptions, 'topology'>>;

function settingsOf(options: RollupJobOptions): Settings {
  const s = { ...ROLLUP_JOB_DEFAULTS, ...options };
  const { intervalMinutes: i, lateToleranceMinutes: late, catchUpDays: days } = s;
  if (!Number.isInteger(i) || i < 1 || i > 60 || 60 % i !== 0) {
    throw new RollupJobOptionsError(`rollup intervalMinutes must be a divisor of 60, got ${i}`);
  }
  if (!Number.isInteger(late) || late < i || late > 1440) {
    throw new RollupJobOptionsError(
      `rollup lateToleranceMinutes must be an integer in ${i}..1440 (at least the interval), got ${late}`,
    );
  }
  if (!Number.isInteger(days) || days < 0 || days > 14) {
    throw new RollupJobOptionsError(`rollup catchUpDays must be an integer in 0..14, got ${days}`);
  }
  return { intervalMinutes: i, lateToleranceMinutes: late, catchUpDays: days };
}

const RUNTIME = '@scheduled_runtime';

function minutesOf(tier: RollupTier): number {
  return TIME_BINS[tier] / 60_000;
}

/** The regular window: back to the tier bin `lateToleranceMinutes` ago (rounded up to whole bins). */
function regularWindow(s: Settings, tier: RollupTier): RollupWindow {
  const width = minutesOf(tier);
  const back = Math.ceil(s.lateToleranceMinutes / width) * width;
  return { from: `bin(${RUNTIME}, ${tier}) - ${back}m`, to: RUNTIME };
}

function catchUpWindow(s: Settings): RollupWindow {
  return { from: `bin(${RUNTIME}, 1d) - ${s.catchUpDays}d`, to: `bin(${RUNTIME}, 1d)` };
}

function regularCron(s: Settings): string {
  return s.intervalMinutes === 60 ? 'cron(0 * * * ? *)' : `cron(0/${s.intervalMinutes} * * * ? *)`;
}

/** A records job and, with catch-up days, its daily catch-up twin. */
function withCatchUp(
  s: Settings,
  job: Omit<TimestreamRollupJob, 'queryString' | 'scheduleExpression'>,
  sql: (window: RollupWindow) => string,
  tier: RollupTier,
): TimestreamRollupJob[] {
  const regular = { ...job, queryString: sql(regularWindow(s, tier)), scheduleExpression: regularCron(s) };
  if (s.catchUpDays === 0) return [regular];
  return [
    regular,
    {
      ...job,
      id: `${job.id}-catch-up`,
      description: `${job.description}; daily catch-up of the last ${s.catchUpDays} days`,
      queryString: sql(catchUpWindow(s)),
      scheduleExpression: CATCH_UP_CRON,
    },
  ];
}

function coarseWindow(s: Settings, tier: '1h' | '1d'): RollupWindow {
  if (tier === '1h') {
    const hours = 24 * s.catchUpDays + Math.ceil(s.lateToleranceMinutes / 60) + 1;
    return { from: `bin(${RUNTIME}, 1h) - ${hours}h`, to: RUNTIME };
  }
  return { from: `bin(${RUNTIME}, 1d) - ${s.catchUpDays + 2}d`, to: RUNTIME };
}

function binJobs(s: Settings, spec: RollupSpec): TimestreamRollupJob[] {
  const [finest, ...coarser] = spec.tiers;
  if (!finest) throw new RollupJobOptionsError(`rollup ${spec.id} has no tier`);
  const target: RollupJobTarget = {
    table: 'bins',
    timeColumn: BIN_COLUMNS.time,
    dimensions: binDimensions(spec),
    measureName: spec.id,
    measures: binMeasures(spec),
  };
  const panels = spec.panelIds.join(', ');
  const jobs = withCatchUp(
    s,
    {
      id: `${spec.id}-${finest}`,
      description: `Rollup ${spec.id} (${panels}): ${finest} bins from the records`,
      target,
      reads: ['records'],
    },
    (window) => renderBinsFromRecordsSql(spec, finest, window),
    finest,
  );
  let from: RollupTier = finest;
  for (const tier of coarser) {
    if (tier !== '1h' && tier !== '1d') {
      throw new RollupJobOptionsError(`rollup ${spec.id}: coarse tier ${tier} has no schedule (1h, 1d)`);
    }
    jobs.push({
      id: `${spec.id}-${tier}`,
      description: `Rollup ${spec.id} (${panels}): ${tier} bins from its ${from} bins`,
      queryString: renderBinsFromBinsSql(spec, tier, from, coarseWindow(s, tier)),
      scheduleExpression: COARSE_TIER_SCHEDULES[tier].cron,
      target,
      reads: ['bins'],
    });
    from = tier;
  }
  return jobs;
}

function scopeJobs(s: Settings, scope: LatestScope): TimestreamRollupJob[] {
  return withCatchUp(
    s,
    {
      id: `${scope.id}-latest`,
      description: `Latest state ${scope.id} (per ${scope.partition === 'invoice' ? 'invoice' : 'invoice and stage'}; rollups ${scope.specIds.join(', ')})`,
      target: {
        table: 'latest',
        timeColumn: 'time',
        dimensions: LATEST_DIMENSIONS,
        measureName: scope.id,
        measures: LATEST_MEASURES,
      },
      reads: ['records'],
    },
    (window) => renderLatestStateSql(scope, window),
    '1m',
  );
}

function stuckJobs(s: Settings, topology: CellTopology): TimestreamRollupJob[] {
  const { database, records } = TIMESTREAM_TABLE_PLACEHOLDERS;
  return withCatchUp(
    s,
    {
      id: 'stuck-state',
      description: 'Stuck state: per invoice and stage the entry, the latest status and the SLA deadline',
      target: {
        table: 'latest',
        timeColumn: STUCK_STATE_TIME_COLUMN,
        dimensions: STUCK_STATE_DIMENSIONS,
        measureName: STUCK_STATE_MEASURE,
        measures: STUCK_STATE_MEASURES,
      },
      reads: ['records'],
    },
    (window) => timestreamStuckStateSql({ database, table: records, ...window }, topology),
    '1m',
  );
}

/**
 * Every scheduled query of a cell's rollups, bins first, then the latest-state scopes and the stuck
 * state. Throws {@link RollupJobOptionsError} for options out of range. Pure.
 *
 * @example
 * timestreamRollupJobs(rollupsOf(DASHBOARDS), { topology: CELL_TOPOLOGY }).jobs.map((j) => j.id);
 * // ['r_3ae3b4924d-1m', 'r_3ae3b4924d-1m-catch-up', 'r_3ae3b4924d-1h', 'r_3ae3b4924d-1d', 's_…-latest', ...]
 */
export function timestreamRollupJobs(rollups: Rollups, options: RollupJobOptions): TimestreamRollupPlan {
  const s = settingsOf(options);
  const events = rollups.specs.filter((spec) => !spec.latest);
  return {
    jobs: [
      ...events.filter(isTimestreamSpec).flatMap((spec) => binJobs(s, spec)),
      ...rollups.scopes.flatMap((scope) => scopeJobs(s, scope)),
      ...stuckJobs(s, options.topology),
    ],
    cloudWatchSpecs: rollups.specs.filter((spec) => !isTimestreamSpec(spec)),
  };
}
