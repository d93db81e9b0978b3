import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { DASHBOARDS, type Dashboard } from '../../../dashboards/panels/panels.js';
import {
  COARSE_TIER_SCHEDULES,
  RollupJobOptionsError,
  type TimestreamRollupJob,
  timestreamRollupJobs,
} from '../../../dashboards/renderers/timestream-rollup-jobs.js';
import { rollupsOf } from '../../../dashboards/rollups/apply-record.js';

const ROLLUPS = rollupsOf(DASHBOARDS);
const { jobs, cloudWatchSpecs } = timestreamRollupJobs(ROLLUPS, { topology: CELL_TOPOLOGY });

function job(id: string): TimestreamRollupJob {
  const found = jobs.find((j) => j.id === id);
  if (!found) throw new Error(`no job ${id}`);
  return found;
}

describe('timestreamRollupJobs', () => {
  it('gives every event spec a job per tier, every scope and the stuck state a job, each with a daily catch-up', () => {
    // Prepare: the expected ids follow from the specs, counted without the module under test
    const events = ROLLUPS.specs.filter((s) => !s.latest && s.windowColumn === 'time');
    const expected = [
      ...events.flatMap((s) => [
        `${s.id}-${s.tiers[0]}`,
        `${s.id}-${s.tiers[0]}-catch-up`,
        ...s.tiers.slice(1).map((t) => `${s.id}-${t}`),
      ]),
      ...ROLLUPS.scopes.flatMap((s) => [`${s.id}-latest`, `${s.id}-latest-catch-up`]),
      'stuck-state',
      'stuck-state-catch-up',
    ];

    // Assess
    expect(jobs.map((j) => j.id)).toEqual(expected);
    expect(jobs).toHaveLength(14);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
  });

  it('leaves the latency rollup to CloudWatch, where the latency metric lives', () => {
    expect(cloudWatchSpecs.map((s) => s.panelIds)).toEqual([
      ['ops-latency-p50', 'ops-latency-p95', 'ops-latency-p99'],
    ]);
  });

  it('runs the record jobs every 5 minutes over the last hour, and catches up the last 2 days after midnight', () => {
    // Prepare
    const [throughput] = ROLLUPS.specs.filter((s) => s.panelIds.includes('ops-throughput'));
    const fine = job(`${throughput?.id}-1m`);
    const catchUp = job(`${throughput?.id}-1m-catch-up`);

    // Assess
    expect(fine.scheduleExpression).toBe('cron(0/5 * * * ? *)');
    expect(fine.queryString).toContain('time >= bin(@scheduled_runtime, 1m) - 60m');
    expect(catchUp.scheduleExpression).toBe('cron(7 0 * * ? *)');
    expect(catchUp.queryString).toContain('time >= bin(@scheduled_runtime, 1d) - 2d');
    expect(catchUp.queryString).toContain('time < bin(@scheduled_runtime, 1d)');
    expect(job('stuck-state').queryString).toContain('time >= bin(@scheduled_runtime, 1m) - 60m');
  });

  it('rebuilds the coarse tiers from the finer tier rows, far enough back to include every correction', () => {
    // Prepare
    const [throughput] = ROLLUPS.specs.filter((s) => s.panelIds.includes('ops-throughput'));
    const hour = job(`${throughput?.id}-1h`);
    const day = job(`${throughput?.id}-1d`);

    // Assess: 2 catch-up days + the 1 h tolerance + the hour being built
    expect(hour.reads).toEqual(['bins']);
    expect(hour.scheduleExpression).toBe(COARSE_TIER_SCHEDULES['1h'].cron);
    expect(hour.queryString).toContain("tier = '1m'");
    expect(hour.queryString).toContain('time >= bin(@scheduled_runtime, 1h) - 50h');
    expect(day.scheduleExpression).toBe(COARSE_TIER_SCHEDULES['1d'].cron);
    expect(day.queryString).toContain("tier = '1h'");
    expect(day.queryString).toContain('time >= bin(@scheduled_runtime, 1d) - 4d');
  });

  it('maps every row to VARCHAR dimensions and typed measures, money never as DOUBLE', () => {
    for (const j of jobs) {
      expect(j.target.dimensions.length).toBeGreaterThan(0);
      expect(j.target.measures.map((m) => m.type)).not.toContain('DOUBLE');
      // A job reads only the tables it declares
      const reads = [...j.queryString.matchAll(/"__cell_database__"\."(__\w+__)"/g)].map((m) => m[1]);
      const declared = j.reads.map((r) => (r === 'records' ? '__cell_table__' : '__rollup_bins__'));
      expect({ id: j.id, reads: [...new Set(reads)] }).toEqual({ id: j.id, reads: declared });
    }
    expect(job('stuck-state').target).toMatchObject({
      table: 'latest',
      timeColumn: 'entered_at',
      measureName: 'stuck_state',
      dimensions: ['invoiceId', 'stage', 'vendorId', 'eventId'],
    });
  });

  it('adds the jobs of a new panel with a new rollup, and nothing else', () => {
    // Prepare: the default views plus one panel counting every posting record by currency
    const extra: Dashboard = {
      id: 'finance',
      title: 'Extra',
      description: 'One more panel',
      panels: [
        {
          id: 'posted-count',
          title: 'Posted records',
          unit: 'count',
          chart: 'bar',
          query: {
            source: 'records',
            measure: 'events',
            aggregation: 'count',
            groupBy: ['currency'],
            filters: { stage: 'posting' },
          },
        },
      ],
    };

    // Act
    const more = timestreamRollupJobs(rollupsOf([...DASHBOARDS, extra]), { topology: CELL_TOPOLOGY }).jobs;

    // Assess
    const added = more.filter((m) => !jobs.some((j) => j.id === m.id));
    expect(added.map((j) => j.id.replace(/^r_[0-9a-f]{10}/, '<spec>'))).toEqual([
      '<spec>-1m',
      '<spec>-1m-catch-up',
      '<spec>-1h',
      '<spec>-1d',
    ]);
    expect(added[0]?.queryString).toContain("AND stage = 'posting'");
  });

  it('honours other intervals and no catch-up, and refuses options out of range', () => {
    // Act
    const hourly = timestreamRollupJobs(ROLLUPS, {
      topology: CELL_TOPOLOGY,
      intervalMinutes: 60,
      lateToleranceMinutes: 90,
      catchUpDays: 0,
    }).jobs;

    // Assess
    expect(hourly.some((j) => j.id.endsWith('-catch-up'))).toBe(false);
    expect(hourly.find((j) => j.id === 'stuck-state')?.scheduleExpression).toBe('cron(0 * * * ? *)');
    expect(hourly.find((j) => j.id === 'stuck-state')?.queryString).toContain(
      'bin(@scheduled_runtime, 1m) - 90m',
    );
    const options = (o: object) => () => timestreamRollupJobs(ROLLUPS, { topology: CELL_TOPOLOGY, ...o });
    expect(options({ intervalMinutes: 7 })).toThrow(RollupJobOptionsError);
    expect(options({ intervalMinutes: 7 })).toThrow('rollup intervalMinutes must be a divisor of 60, got 7');
    expect(options({ lateToleranceMinutes: 2 })).toThrow(
      'rollup lateToleranceMinutes must be an integer in 5..1440 (at least the interval), got 2',
    );
    expect(options({ catchUpDays: 15 })).toThrow('rollup catchUpDays must be an integer in 0..14, got 15');
  });
});
