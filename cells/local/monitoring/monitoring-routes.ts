import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../../consumers/clock.js';
import type { Dashboard } from '../../../dashboards/panels/panels.js';
import { contractApp, contractRoute } from '../api/contract-route.js';
import { HttpError } from '../api/http-error.js';
import { type DashboardDataSources, dashboardData, dashboardSummaries } from './dashboard-data.js';
import { cellParam, historySecParam, queryOf, stageParam, windowParam } from './query-params.js';

/**
 * The five monitoring routes of the local cell: `GET /stuck`, `GET /reconcile`, `GET /alarms`,
 * `GET /dashboards` and `GET /dashboards/:view/data`. Each parses its query (a bad one answers 400
 * naming the parameter, an unknown view 404) and answers what the sources build.
 *
 * @example
 * registerMonitoringRoutes(app, { clock, dashboards: buildDashboards(topology), sources });
 */

/** What the routes answer from. */
export interface MonitoringRoutesOptions {
  readonly clock: Clock;
  readonly dashboards: readonly Dashboard[];
  readonly sources: DashboardDataSources;
}

/** Registers the monitoring routes on the cell's root instance. */
export function registerMonitoringRoutes(app: FastifyInstance, options: MonitoringRoutesOptions): void {
  const { clock, dashboards, sources } = options;
  const { topology } = sources;

  const api = contractApp(app);

  api.route({
    ...contractRoute('stuck'),
    handler: async (request) => sources.stuck(stageParam(queryOf(request), topology)),
  });

  api.route({
    ...contractRoute('reconcile'),
    handler: async (request) => {
      const { fromMs, toMs } = windowParam(queryOf(request), clock.now());
      return sources.reconcile(fromMs, toMs);
    },
  });

  api.route({
    ...contractRoute('alarms'),
    handler: async (request) => {
      const historySec = historySecParam(queryOf(request));
      return sources.alarms(historySec === undefined ? 0 : clock.now() - historySec * 1000);
    },
  });

  api.route({ ...contractRoute('dashboards'), handler: async () => dashboardSummaries(dashboards) });

  api.route({
    ...contractRoute('dashboardData'),
    handler: async (request) => {
      const view = (request.params as { view?: string }).view ?? '';
      const dashboard = dashboards.find((d) => d.id === view);
      if (!dashboard) {
        throw new HttpError(
          404,
          `unknown dashboard ${JSON.stringify(view)}; known: ${dashboards.map((d) => d.id).join(', ')}`,
        );
      }
      const query = queryOf(request);
      const nowMs = clock.now();
      const { fromMs, toMs } = windowParam(query, nowMs);
      const stage = stageParam(query, topology);
      const cell = cellParam(query);
      return dashboardData(dashboard, { fromMs, toMs, nowMs, stage, cell }, sources);
    },
  });
}
