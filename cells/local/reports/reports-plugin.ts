import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { previousMonth } from '../../../consumers/reports/report-month.js';
import { registerReportRoutes } from '../api/report-routes.js';
import type { LocalCellContext, LocalCellPlugin } from '../local-cell.js';
import type { Logger } from '../logger.js';
import { localReportSource } from './local-report-source.js';
import { MonthlyReports } from './monthly-reports.js';
import { REPORTS_DIR_NAME, ReportFiles } from './report-files.js';
import { ReportSchedule, reportsSinceMs } from './report-schedule.js';
import { assertReportWebhookUrl, ReportWebhook, type ReportWebhookPolicy } from './report-webhook.js';

/**
 * The local cell's monthly reports as a {@link LocalCellPlugin}: the routes `GET /reports` and
 * `GET /reports/{month}` (`api/report-routes.ts`), the schedule that stores the previous month's
 * report into `<data dir>/reports/` at 00:05 on the 1st in the topology's time zone and catches up
 * on start (`report-schedule.ts`), and the optional webhook told when one is stored
 * (`report-webhook.ts`). `npm start` runs it (`DEFAULT_PLUGINS`); `--no-monthly-report` keeps the
 * routes and turns the schedule off, `--report-webhook <url>` adds the webhook.
 *
 * Reports read the store on the API thread's connection (rollups and indexed lookups, no scan of
 * raw records), so generating one holds the API thread for about as long as a dashboard read;
 * the engine's writes go on meanwhile in their own thread.
 *
 * @example
 * await startLocalCell({ dataDir, plugins: [reportsPlugin({ webhookUrl: 'https://hooks.example.com/reports' })] });
 */
export interface ReportsPluginOptions {
  /** Store each month's report on the 1st (and catch up on start). @default true */
  readonly schedule?: boolean;
  /** http(s) URL POSTed a `monthly-report.ready` notification when last month's report is stored. */
  readonly webhookUrl?: string;
  /** Overrides parts of the webhook's retry policy (tests use short delays). */
  readonly webhookPolicy?: Partial<ReportWebhookPolicy>;
  /** Injected for tests; the global `fetch` otherwise. */
  readonly fetch?: typeof fetch;
  /** Vendors listed by name per currency (the report builder's default when absent). */
  readonly topVendors?: number;
}

/** The routes, and the schedule unless turned off; throws `ReportWebhookUrlError` for a bad URL. */
export function reportsPlugin(options: ReportsPluginOptions = {}): LocalCellPlugin {
  if (options.webhookUrl !== undefined) assertReportWebhookUrl(options.webhookUrl);
  return (app, ctx) => registerReports(app, ctx, options);
}

function registerReports(app: FastifyInstance, ctx: LocalCellContext, options: ReportsPluginOptions): void {
  const { db, topology, clock, cellName } = ctx;
  const { timeZone } = topology.settings;
  const logger = ctx.logger.child({ component: 'reports' });
  const webhook = reportWebhookOf(options, logger);
  const files = new ReportFiles(path.join(ctx.dataDir, REPORTS_DIR_NAME));
  const reports = new MonthlyReports({
    source: localReportSource(db, topology, { now: () => clock.now() }),
    files,
    timeZone,
    cellName,
    clock,
    logger,
    ...(options.topVendors !== undefined ? { topVendors: options.topVendors } : {}),
    // The month the schedule owes is announced once, by whoever stores it first (the schedule, the
    // catch-up, or a request a moment before the schedule ran); older months asked for are not.
    // Not awaited: retries may take a minute, and nothing waits for a receiver.
    onStored: ({ report }) => {
      if (webhook && report.month === previousMonth(clock.now(), timeZone)) {
        void webhook.notify(report, app.listeningOrigin);
      }
    },
  });
  registerReportRoutes(app, { reports, files, cellName });
  if (options.schedule === false) {
    logger.info(
      'monthly report schedule off (--no-monthly-report); GET /reports/{month} still generates on demand',
    );
    app.addHook('onClose', async () => webhook?.stop());
    return;
  }
  const schedule = new ReportSchedule({
    timeZone,
    clock,
    logger,
    sinceMs: reportsSinceMs(db, clock.now()),
    has: (month) => reports.has(month),
    store: (month, reason) => reports.store(month, reason),
  });
  // After listen: the webhook's links name the address the cell listens on.
  app.addHook('onListen', async () => schedule.start());
  app.addHook('onClose', async () => {
    // A report being written finishes (and starts its notification) before the webhook stops.
    await schedule.stop();
    await webhook?.stop();
  });
}

function reportWebhookOf(options: ReportsPluginOptions, logger: Logger): ReportWebhook | undefined {
  if (options.webhookUrl === undefined) return undefined;
  return new ReportWebhook({
    url: options.webhookUrl,
    logger,
    ...(options.webhookPolicy ? { policy: options.webhookPolicy } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}
