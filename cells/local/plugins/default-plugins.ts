import type { LocalCellPlugin } from '../local-cell.js';
import { dashboardPlugin } from './dashboard-plugin.js';
import { monitoringPlugin } from './monitoring-plugin.js';

/** The monitoring plugin with its defaults (log notifier only, evaluation every 10 s). */
export const DEFAULT_MONITORING_PLUGIN: LocalCellPlugin = monitoringPlugin();

/**
 * The plugins `npm start` runs the cell with: monitoring routes and the web dashboard. Tests that
 * need a bare cell call `startLocalCell` without them; the CLI entry passes these.
 *
 * @example
 * await startLocalCell({ ...options, plugins: DEFAULT_PLUGINS });
 */
export const DEFAULT_PLUGINS: readonly LocalCellPlugin[] = [DEFAULT_MONITORING_PLUGIN, dashboardPlugin()];

export interface DefaultPluginOptions {
  /** http(s) URL that receives alarm transitions (`--alarm-webhook`). */
  readonly alarmWebhookUrl?: string;
}

/**
 * {@link DEFAULT_PLUGINS} with the CLI's options applied: the monitoring plugin is swapped for one
 * with the webhook, every other plugin is kept as is.
 *
 * @example
 * await startLocalCell({ ...options, plugins: defaultPlugins({ alarmWebhookUrl: 'https://hooks.example.com/a' }) });
 */
export function defaultPlugins(options: DefaultPluginOptions = {}): readonly LocalCellPlugin[] {
  if (options.alarmWebhookUrl === undefined) return DEFAULT_PLUGINS;
  const monitoring = monitoringPlugin({ webhookUrl: options.alarmWebhookUrl });
  return DEFAULT_PLUGINS.map((p) => (p === DEFAULT_MONITORING_PLUGIN ? monitoring : p));
}
