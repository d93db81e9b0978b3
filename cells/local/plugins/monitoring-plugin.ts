import type { FastifyInstance } from 'fastify';
import { createAlarmNotifier } from '../../../consumers/monitoring/alarm-notifier.js';
import { buildDashboards } from '../../../dashboards/panels/panels.js';
import { type AlarmRule, deriveCellUnhealthy } from '../../alarm-rules.js';
import { httpUrlProblem } from '../../http-url.js';
import type { LocalCellContext, LocalCellPlugin } from '../local-cell.js';
import { openSubscriberQueues } from '../messaging/subscriber-queues.js';
import { AlarmLoop, localAlarmRules } from '../monitoring/alarm-loop.js';
import { AlarmTransitionStore } from '../monitoring/alarm-store.js';
import { alarmsAnswer } from '../monitoring/alarms-answer.js';
import type { DashboardDataSources } from '../monitoring/dashboard-data.js';
import { registerMonitoringRoutes } from '../monitoring/monitoring-routes.js';
import { reconcileAnswer } from '../monitoring/reconcile-answer.js';
import { StuckReport } from '../monitoring/stuck-answer.js';

/**
 * The local cell's monitoring routes and its alarm loop, over the pure monitoring core
 * (consumers/monitoring, cells/alarm-rules.ts, dashboards/): `GET /stuck`, `GET /reconcile`,
 * `GET /alarms`, `GET /dashboards` and `GET /dashboards/:view/data`. `npm start` runs it
 * (`DEFAULT_PLUGINS`); `--alarm-webhook <url>` adds a webhook to the log notifier.
 *
 * This file only checks options and wires the parts of `cells/local/monitoring/`: the alarm loop
 * (`alarm-loop.ts`, evaluated every `evaluationIntervalMs` and once while the plugin registers, so
 * `/alarms` always has states), its transitions table (`alarm-store.ts`, a cell-database
 * migration), the counter deltas (`counter-sampler.ts`) and the routes (`monitoring-routes.ts`).
 *
 * @example
 * await startLocalCell({ dataDir, plugins: [monitoringPlugin({ webhookUrl: 'https://hooks.example.com/a' })] });
 * // GET /alarms -> { cellUnhealthy: 'OK', alarms: [...], transitions: [...] }
 */
export interface MonitoringPluginOptions {
  /** http(s) URL that receives `POST {cell, transitions}` on every alarm state change. */
  readonly webhookUrl?: string;
  /** Between alarm evaluations. @default 10000 */
  readonly evaluationIntervalMs?: number;
  /**
   * Evaluates every rule with this period (seconds) instead of its own (60 s; the stuck-invoice
   * rules: the evaluation interval). The evaluator judges a rule at most once per period, so tests
   * that want an alarm within a second set it; a running cell leaves it unset.
   */
  readonly rulePeriodSecOverride?: number;
  /**
   * `/stuck` and the stuck-invoice alarm leave out invoices that entered their stage longer ago
   * than this (abandoned invoices stop alarming). @default 7 days
   */
  readonly stuckLookbackSec?: number;
  /** Injected for tests; the global `fetch` otherwise. */
  readonly fetch?: typeof fetch;
}

/** Bad monitoring plugin options (a webhook that is not http(s), a zero interval). */
export class MonitoringOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MonitoringOptionsError';
  }
}

const DEFAULT_EVALUATION_INTERVAL_MS = 10_000;
const DEFAULT_STUCK_LOOKBACK_SEC = 7 * 86_400;

type CheckedOptions = MonitoringPluginOptions & { readonly intervalMs: number; readonly lookbackSec: number };

/** Throws {@link MonitoringOptionsError} unless `url` is an absolute http(s) URL. */
export function assertWebhookUrl(url: string): void {
  const problem = httpUrlProblem(url, 'alarm webhook');
  if (problem !== undefined) throw new MonitoringOptionsError(problem);
}

function checkOptions(options: MonitoringPluginOptions): CheckedOptions {
  if (options.webhookUrl !== undefined) assertWebhookUrl(options.webhookUrl);
  const intervalMs = options.evaluationIntervalMs ?? DEFAULT_EVALUATION_INTERVAL_MS;
  if (!Number.isInteger(intervalMs) || intervalMs < 10) {
    throw new MonitoringOptionsError(`evaluationIntervalMs must be an integer ≥ 10, got ${intervalMs}`);
  }
  const override = options.rulePeriodSecOverride;
  if (override !== undefined && !(Number.isFinite(override) && override > 0)) {
    throw new MonitoringOptionsError(`rulePeriodSecOverride must be a positive number, got ${override}`);
  }
  const lookbackSec = options.stuckLookbackSec ?? DEFAULT_STUCK_LOOKBACK_SEC;
  if (!Number.isInteger(lookbackSec) || lookbackSec <= 0) {
    throw new MonitoringOptionsError(`stuckLookbackSec must be a positive integer, got ${lookbackSec}`);
  }
  return { ...options, intervalMs, lookbackSec };
}

/**
 * The monitoring routes and alarm loop as a {@link LocalCellPlugin}. Throws
 * {@link MonitoringOptionsError} for bad options.
 */
export function monitoringPlugin(options: MonitoringPluginOptions = {}): LocalCellPlugin {
  const checked = checkOptions(options);
  return (app, ctx) => registerMonitoring(app, ctx, checked);
}

/** API answers for the 5xx rate: the plugin's own hook, on the cell's root instance. */
function countApiAnswers(app: FastifyInstance): () => { answers: number; errors5xx: number } {
  let answers = 0;
  let errors5xx = 0;
  app.addHook('onResponse', async (_request, reply) => {
    answers++;
    if (reply.statusCode >= 500) errors5xx++;
  });
  return () => ({ answers, errors5xx });
}

async function registerMonitoring(
  app: FastifyInstance,
  ctx: LocalCellContext,
  options: CheckedOptions,
): Promise<void> {
  const { topology, db, clock } = ctx;
  const logger = ctx.logger.child({ component: 'monitoring' });
  const rules: AlarmRule[] = localAlarmRules(topology, {
    intervalMs: options.intervalMs,
    ...(options.rulePeriodSecOverride !== undefined
      ? { rulePeriodSecOverride: options.rulePeriodSecOverride }
      : {}),
  });
  const composite = deriveCellUnhealthy(rules);
  const store = new AlarmTransitionStore(db);
  const stuck = new StuckReport(db, topology, options.lookbackSec);
  const notifier = createAlarmNotifier({
    logger,
    cell: ctx.cellName,
    ...(options.webhookUrl !== undefined ? { webhookUrl: options.webhookUrl } : {}),
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
  });
  const apiCounts = countApiAnswers(app);
  // The subscriber DLQ rules read the queues' tables (a count each); nothing is received here.
  const subscriberQueues = openSubscriberQueues(db, topology, clock);
  const loop = new AlarmLoop({
    topology,
    rules,
    store,
    notifier,
    logger,
    clock,
    intervalMs: options.intervalMs,
    stats: () => ctx.stats(),
    apiCounts,
    stuckCounts: (nowMs) => stuck.counts(nowMs),
    subscriberDlqDepths: () =>
      Object.fromEntries([...subscriberQueues].map(([key, queue]) => [key, queue.dlqDepth()])),
  });
  await loop.start();
  app.addHook('onClose', async () => {
    await loop.close();
  });

  const sources: DashboardDataSources = {
    db,
    topology,
    cellName: ctx.cellName,
    logger,
    stats: () => ctx.stats(),
    stuck: (stage) => stuck.answer(stage, clock.now(), () => ctx.stats()),
    reconcile: (fromMs, toMs) => reconcileAnswer(db, topology, fromMs, toMs),
    alarms: (sinceMs) => {
      const { states, pending } = loop;
      const nowMs = clock.now();
      return alarmsAnswer({
        rules,
        composite,
        states,
        pending,
        stored: store.since(sinceMs),
        sinceMs,
        nowMs,
      });
    },
  };
  registerMonitoringRoutes(app, { clock, dashboards: buildDashboards(topology), sources });
}
