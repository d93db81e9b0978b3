import { describe, expect, it } from 'vitest';
import { buildTopology, CELL_TOPOLOGY, STAGE_SETTINGS } from '../../../cells/topology.js';
import { buildDashboards } from '../../../dashboards/panels/panels.js';
import {
  REPORT_PANEL_IDS,
  reportPanelSet,
  rollupDashboards,
} from '../../../dashboards/panels/report-panels.js';
import { deriveRollupSpecs, latestScopes } from '../../../dashboards/rollups/rollup-specs.js';

describe('reportPanelSet', () => {
  it('adds two rollup specs and no latest-state scope to the dashboards', () => {
    // Act
    const base = deriveRollupSpecs(buildDashboards(CELL_TOPOLOGY));
    const withReport = deriveRollupSpecs(rollupDashboards(CELL_TOPOLOGY));

    // Assess
    expect(withReport).toHaveLength(base.length + 2);
    expect(latestScopes(withReport).map((s) => s.id)).toEqual(latestScopes(base).map((s) => s.id));
    const terms = withReport.find((s) => s.panelIds.includes(REPORT_PANEL_IDS.paymentTermsByCurrency));
    const open = withReport.find((s) => s.panelIds.includes(REPORT_PANEL_IDS.openBook));
    expect(terms).toMatchObject({
      latest: 'invoiceStage',
      predicate: { stage: 'ingestion' },
      keys: ['currency', 'paymentTermsDays'],
      value: 'count',
    });
    expect(open).toMatchObject({
      latest: 'invoice',
      predicate: {},
      keys: ['currency', 'status'],
      value: 'money',
    });
  });

  it('is not one of the dashboards the routes list', () => {
    // Act
    const ids = buildDashboards(CELL_TOPOLOGY).flatMap((d) => d.panels.map((p) => p.id));

    // Assess
    expect(ids).not.toContain(REPORT_PANEL_IDS.openBook);
    expect(ids).toContain(REPORT_PANEL_IDS.receivedByVendor);
    expect(ids).toContain(REPORT_PANEL_IDS.postedByStatus);
    expect(reportPanelSet(CELL_TOPOLOGY).id).toBe('report');
  });

  it('names the first stage of the topology it is built for', () => {
    // Prepare
    const topology = buildTopology({}, STAGE_SETTINGS.slice(1));

    // Act
    const [terms] = reportPanelSet(topology).panels;

    // Assess
    expect(terms?.query).toMatchObject({ filters: { stage: 'reconciliation' } });
  });
});
