import type { LocalCellPlugin } from '../local-cell.js';
import { reportsPlugin } from '../reports/reports-plugin.js';
import { dashboardPlugin } from './dashboard-plugin.js';
import { monitoringPlugin } from './monitoring-plugin.js';

/** The monitoring plugin with its defaults (log notifier only, evaluation every 10 s). */
export const DEFAULT_MONITORING_PLUGIN: LocalCellPlugin = monitoringPlugin();

/** The monthly reports with their defaults (routes, the schedule on, no webhook). */
export const DEFAULT_REPORTS_PLUGIN: LocalCellPlugin = reportsPlugin();

/**
 * The plugins `npm start` runs the cell with: monitoring routes, the web dashboard and the monthly
 * reports. Tests that need a bare cell call `startLocalCell` without them; the CLI entry passes these.
 *
 * @example
 * await startLocalCell({ ...options, plugins: DEFAULT_PLUGINS });
 */
export const DEFAULT_PLUGINS: readonly LocalCellPlugin[] = [
  DEFAULT_MONITORING_PLUGIN,
  dashboardPlugin(),
  DEFAULT_REPORTS_PLUGIN,
];

export interface DefaultPluginOptions {
  /** http(s) URL that receives alarm transitions (`--alarm-webhook`). */
  readonly alarmWebhookUrl?: string;
  /** Store each month's report on the 1st (`--no-monthly-report` turns it off). @default true */
  readonly monthlyReport?: boolean;
  /** http(s) URL told when a monthly report is stored (`--report-webhook`). */
  readonly reportWebhookUrl?: string;
}

/**
 * {@link DEFAULT_PLUGINS} with the CLI's options applied: the monitoring plugin is swapped for one
 * with the alarm webhook, the reports plugin for one with the schedule off or the report webhook,
 * every other plugin is kept as is.
 *
 * @example
 * await startLocalCell({ ...options, plugins: defaultPlugins({ alarmWebhookUrl: 'https://hooks.example.com/a' }) });
 */
export function defaultPlugins(options: DefaultPluginOptions = {}): readonly LocalCellPlugin[] {
  const monitoring =
    options.alarmWebhookUrl === undefined
      ? DEFAULT_MONITORING_PLUGIN
      : monitoringPlugin({ webhookUrl: options.alarmWebhookUrl });
  const reports =
    options.monthlyReport === false || options.reportWebhookUrl !== undefined
      ? reportsPlugin({
          schedule: options.monthlyReport !== false,
          ...(options.reportWebhookUrl !== undefined ? { webhookUrl: options.reportWebhookUrl } : {}),
        })
      : DEFAULT_REPORTS_PLUGIN;
  return DEFAULT_PLUGINS.map((p) =>
    p === DEFAULT_MONITORING_PLUGIN ? monitoring : p === DEFAULT_REPORTS_PLUGIN ? reports : p,
  );
}
