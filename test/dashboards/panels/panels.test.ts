import { describe, expect, it } from 'vitest';
import { buildTopology, CELL_TOPOLOGY, STAGE_SETTINGS } from '../../../cells/topology.js';
import {
  buildDashboards,
  DASHBOARDS,
  DashboardDefinitionError,
  findPanel,
  MONEY_MEASURES,
  type Panel,
  panelProblems,
  validatePanel,
} from '../../../dashboards/panels/panels.js';

function allPanels(): Panel[] {
  return DASHBOARDS.flatMap((d) => [...d.panels]);
}

describe('Dashboards', () => {
  describe('DASHBOARDS', () => {
    it('defines the executive, operations and finance dashboards', () => {
      // Act
      const ids = DASHBOARDS.map((d) => d.id);

      // Assess
      expect(ids).toEqual(['executive', 'operations', 'finance']);
    });

    it('gives every panel a unique id and no definition problem', () => {
      // Prepare
      const panels = allPanels();

      // Act
      const problems = panels.flatMap((p) =>
        panelProblems(p, CELL_TOPOLOGY).map((problem) => `${p.id}: ${problem}`),
      );

      // Assess
      expect(problems).toEqual([]);
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    });

    it('groups every money panel by currency', () => {
      // Prepare
      const moneyPanels = allPanels().filter(
        (p) => p.query.source === 'records' && MONEY_MEASURES.has(p.query.measure),
      );

      // Act
      const withoutCurrency = moneyPanels.filter(
        (p) => p.query.source === 'records' && !p.query.groupBy.includes('currency'),
      );

      // Assess
      expect(moneyPanels.length).toBeGreaterThanOrEqual(5);
      expect(withoutCurrency).toEqual([]);
    });

    it('covers what the design asks of each dashboard', () => {
      // Act
      const sources = (id: string) =>
        DASHBOARDS.find((d) => d.id === id)?.panels.map((p) =>
          p.query.source === 'queue' ? `queue:${p.query.metric}` : p.query.source,
        );

      // Assess
      expect(sources('executive')).toEqual(expect.arrayContaining(['records', 'sla']));
      expect(sources('operations')).toEqual(
        expect.arrayContaining([
          'records',
          'queue:queueDepth',
          'queue:oldestMessageAgeSec',
          'queue:dlqDepth',
          'stuck',
          'alarms',
          'reconcile',
        ]),
      );
      const cashFlow = findPanel(DASHBOARDS, 'fin-cash-flow-by-week');
      expect(cashFlow?.query).toMatchObject({ measure: 'dueAmount', timeField: 'dueDate', timeBin: '1w' });
    });
  });

  describe('buildDashboards', () => {
    it('names the first and last stage of the topology it is given', () => {
      // Prepare
      const threeStages = buildTopology({}, STAGE_SETTINGS.slice(0, 3));

      // Act
      const panel = findPanel(buildDashboards(threeStages), 'exec-outcomes');

      // Assess
      expect(panel?.query).toMatchObject({ filters: { stage: threeStages.stages[2]?.name } });
      expect(findPanel(buildDashboards(CELL_TOPOLOGY), 'exec-outcomes')?.query).toMatchObject({
        filters: { stage: CELL_TOPOLOGY.stages[3]?.name },
      });
    });
  });

  describe('validatePanel', () => {
    const base = { id: 'test-panel', title: 'Test', unit: 'money', chart: 'table' } as const;

    it('refuses a money sum that is not grouped by currency', () => {
      // Prepare
      const panel: Panel = {
        ...base,
        query: { source: 'records', measure: 'amount', aggregation: 'sum', groupBy: ['stage'] },
      };

      // Act
      const act = () => validatePanel(panel, CELL_TOPOLOGY);

      // Assess
      expect(act).toThrow(DashboardDefinitionError);
      expect(act).toThrow(/groupBy must include currency/);
    });

    it('refuses a percentile or an average of money', () => {
      // Prepare
      const panel: Panel = {
        ...base,
        query: { source: 'records', measure: 'amount', aggregation: 'p95', groupBy: ['currency'] },
      };

      // Act
      const problems = panelProblems(panel, CELL_TOPOLOGY);

      // Assess
      expect(problems).toEqual([expect.stringMatching(/aggregation p95 does not apply to amount/)]);
    });

    it('refuses a doughnut of money, which would add currencies together', () => {
      // Prepare
      const panel: Panel = {
        ...base,
        chart: 'doughnut',
        query: { source: 'records', measure: 'amount', aggregation: 'sum', groupBy: ['currency'] },
      };

      // Act
      const problems = panelProblems(panel, CELL_TOPOLOGY);

      // Assess
      expect(problems).toEqual([expect.stringMatching(/add amounts of different currencies/)]);
    });

    it('refuses a stage filter the topology does not have', () => {
      // Prepare
      const panel: Panel = {
        id: 'test-panel',
        title: 'Test',
        unit: 'count',
        chart: 'bar',
        query: {
          source: 'records',
          measure: 'events',
          aggregation: 'count',
          groupBy: [],
          filters: { stage: 'posting' },
        },
      };

      // Act
      const act = () => validatePanel(panel, buildTopology({}, STAGE_SETTINGS.slice(0, 2)));

      // Assess
      expect(act).toThrow(/filter stage "posting" is not in the topology/);
    });
  });
});
