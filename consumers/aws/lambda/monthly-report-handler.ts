import { createMonthlyReportHandler, defaultMonthlyReportDeps } from './create-monthly-report-handler.js';

/**
 * Monthly report Lambda entry (bundled by the CellStack, invoked by EventBridge Scheduler on the
 * 1st of each month in the cell's time zone, or by an operator with `{"month": "YYYY-MM"}`).
 * Configuration and the Timestream, CloudWatch, SQS, SNS and S3 clients are created once per
 * execution environment, at module load; an incomplete environment fails the cold start.
 *
 * @example
 * new CellFunction(this, 'Function', { code: lambdaCode.monthlyReport(), ... });
 */
export const handler = createMonthlyReportHandler(defaultMonthlyReportDeps(process.env));
