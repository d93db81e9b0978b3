import { createStuckMonitorHandler, defaultStuckMonitorDeps } from './create-stuck-monitor-handler.js';

/**
 * Stuck-invoice monitor Lambda entry (bundled by the CellStack, invoked by EventBridge Scheduler).
 * Configuration and the Timestream and SNS clients are created once per execution environment,
 * at module load; an incomplete environment fails the cold start.
 *
 * @example
 * new CellFunction(this, 'Monitor', { code: lambdaCode.stuckMonitor(), ... });
 */
export const handler = createStuckMonitorHandler(defaultStuckMonitorDeps(process.env));
