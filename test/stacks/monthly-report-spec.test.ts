import { describe, expect, it } from 'vitest';
import { buildTopology, CELL_TOPOLOGY, STAGE_SETTINGS } from '../../cells/topology.js';
import { buildDashboards } from '../../dashboards/panels/panels.js';
import { rollupDashboards } from '../../dashboards/panels/report-panels.js';
import { timestreamRollupJobs } from '../../dashboards/renderers/timestream-rollup-jobs.js';
import { rollupsOf } from '../../dashboards/rollups/apply-record.js';
import {
  ReportSpecDerivationError,
  reportRunTime,
  timestreamReportSpec,
} from '../../stacks/monthly-report-spec.js';

/** The plan the CellStack's `TimestreamRollups` runs for a topology (its dashboards' rollups). */
function planOf(topology = CELL_TOPOLOGY) {
  return timestreamRollupJobs(rollupsOf(buildDashboards(topology)), { topology });
}

describe('timestreamReportSpec', () => {
  it("reads each figure from the latest-state scope its report panel's rollup follows, at the first or last stage", () => {
    // Prepare
    const rollups = rollupsOf(rollupDashboards(CELL_TOPOLOGY));
    const scopeOf = (panelId: string) => {
      const spec = rollups.specs.find((s) => s.panelIds.includes(panelId));
      return rollups.scopes.find((s) => s.specIds.includes(spec?.id ?? ''))?.id;
    };

    // Act
    const spec = timestreamReportSpec(CELL_TOPOLOGY, planOf());

    // Assess
    expect(spec).toEqual({
      timeZone: 'UTC',
      figures: {
        received: { scope: scopeOf('fin-amount-by-vendor'), stage: 'ingestion' },
        posted: { scope: scopeOf('fin-completed-value-trend'), stage: 'posting' },
        paymentTerms: { scope: scopeOf('report-payment-terms-by-currency'), stage: 'ingestion' },
        open: { scope: scopeOf('report-open-book') },
      },
    });
    // The per (invoice, stage) scope serves three figures, the per-invoice scope the open book.
    expect(spec.figures.received.scope).toBe(spec.figures.posted.scope);
    expect(spec.figures.open.scope).not.toBe(spec.figures.received.scope);
  });

  it("follows the topology's stages and time zone", () => {
    // Prepare: a cell of two stages, in Paris
    const topology = buildTopology(
      { timeZone: 'Europe/Paris' },
      STAGE_SETTINGS.filter((s) => s.name === 'ingestion' || s.name === 'authorization'),
      {},
    );

    // Act
    const spec = timestreamReportSpec(topology, planOf(topology));

    // Assess
    expect(spec.timeZone).toBe('Europe/Paris');
    expect(spec.figures.posted.stage).toBe('authorization');
  });

  it('refuses a scope no scheduled query of the cell keeps', () => {
    // Prepare: a plan without its latest-state jobs
    const plan = planOf();
    const withoutLatest = { ...plan, jobs: plan.jobs.filter((j) => j.target.table !== 'latest') };

    // Act + Assess
    expect(() => timestreamReportSpec(CELL_TOPOLOGY, withoutLatest)).toThrow(ReportSpecDerivationError);
    expect(() => timestreamReportSpec(CELL_TOPOLOGY, withoutLatest)).toThrow(
      /^report panel fin-amount-by-vendor: no scheduled query keeps its latest-state scope s_[0-9a-f]{10}$/,
    );
  });
});

describe('reportRunTime', () => {
  it('waits for the late tolerance, one run interval and a margin after midnight', () => {
    expect(reportRunTime({})).toEqual({ hour: 1, minute: 10 });
    expect(reportRunTime({ lateToleranceMinutes: 120, intervalMinutes: 15 })).toEqual({
      hour: 2,
      minute: 20,
    });
  });

  it('refuses a wait that would leave the 1st', () => {
    expect(() => reportRunTime({ lateToleranceMinutes: 1_440 })).toThrow(
      'the report would run 1450 minutes after midnight, past the 1st',
    );
  });
});
