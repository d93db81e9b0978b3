import type { CellTopology } from '../cells/topology.js';
import type {
  ReportFigureSource,
  ReportSourceFigure,
  TimestreamReportSpec,
} from '../consumers/aws/timestream-report-spec.js';
import { REPORT_PANEL_IDS, rollupDashboards } from '../dashboards/panels/report-panels.js';
import {
  ROLLUP_JOB_DEFAULTS,
  type RollupJobOptions,
  type TimestreamRollupPlan,
} from '../dashboards/renderers/timestream-rollup-jobs.js';
import { rollupsOf } from '../dashboards/rollups/apply-record.js';
import type { RollupKey, RollupValueKind } from '../dashboards/rollups/rollup-specs.js';

/**
 * What the AWS monthly report needs from the rollup definitions, derived where `dashboards/` may be
 * read (the Lambda's `consumers/aws` may not): per figure, the latest-state scope the report panel's
 * rollup follows and its stage, checked against the scheduled queries the cell runs. Pure (no CDK
 * import), so the ops CLI can use it too.
 *
 * @example
 * const spec = timestreamReportSpec(topology, rollups.plan);
 * environment: { [LAMBDA_ENV.reportSpec]: reportSpecText(spec) }
 */

/** The report panel whose rollup each figure reads (`dashboards/panels/report-panels.ts`). */
const FIGURE_PANELS: Readonly<Record<ReportSourceFigure, string>> = {
  received: REPORT_PANEL_IDS.receivedByVendor,
  posted: REPORT_PANEL_IDS.postedByStatus,
  paymentTerms: REPORT_PANEL_IDS.paymentTermsByCurrency,
  open: REPORT_PANEL_IDS.openBook,
};

/**
 * The rollup shape the Timestream queries are written for (`consumers/aws/timestream-report-sql.ts`):
 * the keys in `GROUP_BY_FIELDS` order, the value, and whether the rows are of one stage.
 */
const EXPECTED: Readonly<
  Record<ReportSourceFigure, { keys: readonly RollupKey[]; value: RollupValueKind; oneStage: boolean }>
> = {
  received: { keys: ['currency', 'vendorId'], value: 'money', oneStage: true },
  posted: { keys: ['currency', 'status'], value: 'money', oneStage: true },
  paymentTerms: { keys: ['currency', 'paymentTermsDays'], value: 'count', oneStage: true },
  open: { keys: ['currency', 'status'], value: 'money', oneStage: false },
};

/** A report panel whose rollup the Timestream report cannot read as written; names the panel. */
export class ReportSpecDerivationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportSpecDerivationError';
  }
}

function figureSource(
  figure: ReportSourceFigure,
  rollups: ReturnType<typeof rollupsOf>,
  keptScopes: ReadonlySet<string>,
): ReportFigureSource {
  const panelId = FIGURE_PANELS[figure];
  const spec = rollups.specs.find((s) => s.panelIds.includes(panelId));
  const scope = spec && rollups.scopes.find((s) => s.specIds.includes(spec.id));
  if (!spec || !scope) {
    throw new ReportSpecDerivationError(
      `report panel ${panelId} has no distinct-invoice rollup with a latest-state scope`,
    );
  }
  const expected = EXPECTED[figure];
  const stage = spec.predicate.stage;
  const shape = JSON.stringify({ keys: spec.keys, value: spec.value, oneStage: stage !== undefined });
  if (shape !== JSON.stringify(expected)) {
    throw new ReportSpecDerivationError(
      `report panel ${panelId}: the Timestream report reads ${JSON.stringify(expected)}, the rollup is ${shape}; update consumers/aws/timestream-report-sql.ts with the panel`,
    );
  }
  if (!keptScopes.has(scope.id)) {
    throw new ReportSpecDerivationError(
      `report panel ${panelId}: no scheduled query keeps its latest-state scope ${scope.id}`,
    );
  }
  return stage === undefined ? { scope: scope.id } : { scope: scope.id, stage };
}

/**
 * The report spec of a cell: its time zone and, per figure, the latest-state scope and stage —
 * each scope one the cell's rollup plan keeps (a `<scope>-latest` job). Throws
 * {@link ReportSpecDerivationError} naming the panel otherwise. Pure.
 *
 * @example
 * timestreamReportSpec(CELL_TOPOLOGY, timestreamRollupJobs(rollupsOf(DASHBOARDS), { topology: CELL_TOPOLOGY }));
 */
export function timestreamReportSpec(
  topology: CellTopology,
  plan: TimestreamRollupPlan,
): TimestreamReportSpec {
  const rollups = rollupsOf(rollupDashboards(topology));
  const keptScopes = new Set(
    plan.jobs.filter((j) => j.target.table === 'latest').map((j) => j.target.measureName),
  );
  const source = (figure: ReportSourceFigure) => figureSource(figure, rollups, keptScopes);
  return {
    timeZone: topology.settings.timeZone,
    figures: {
      received: source('received'),
      posted: source('posted'),
      paymentTerms: source('paymentTerms'),
      open: source('open'),
    },
  };
}

/** Margin for a rollup run itself (its query and write) after its scheduled time. */
const RUN_MARGIN_MINUTES = 5;

/**
 * When, after midnight on the 1st in the cell's time zone, the report runs: once the latest-state
 * runs have seen every event of the month stored within their late tolerance — the tolerance, plus
 * one run interval, plus a margin. With the default rollup options (60 + 5 + 5) that is 01:10. An
 * hour past midnight also keeps the run clear of the zones that change to daylight-saving time at
 * midnight (America/Santiago on the first Sunday of September), where Scheduler would skip a run
 * at a local time that does not exist
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#daylist-savings-time).
 * Pure.
 *
 * @example
 * reportRunTime({}); // { hour: 1, minute: 10 }
 */
export function reportRunTime(options: Pick<RollupJobOptions, 'intervalMinutes' | 'lateToleranceMinutes'>): {
  readonly hour: number;
  readonly minute: number;
} {
  const interval = options.intervalMinutes ?? ROLLUP_JOB_DEFAULTS.intervalMinutes;
  const tolerance = options.lateToleranceMinutes ?? ROLLUP_JOB_DEFAULTS.lateToleranceMinutes;
  const minutes = tolerance + interval + RUN_MARGIN_MINUTES;
  if (minutes >= 24 * 60) {
    throw new ReportSpecDerivationError(
      `the report would run ${minutes} minutes after midnight, past the 1st`,
    );
  }
  return { hour: Math.floor(minutes / 60), minute: minutes % 60 };
}
