import type { MonthlyReportData } from '../../../../consumers/reports/monthly-report.js';

/** An empty month's data of the default four stages; tests override what they care about. */
export function reportData(overrides: Partial<MonthlyReportData> = {}): MonthlyReportData {
  return {
    stages: ['ingestion', 'reconciliation', 'authorization', 'posting'],
    received: [],
    vendorNames: new Map(),
    posted: [],
    paymentTerms: [],
    open: [],
    stuck: [],
    reconciliation: { complete: true, stages: [] },
    notes: [],
    ...overrides,
  };
}

/** October 2026 in UTC, reported after its end. */
export const OCTOBER = {
  month: '2026-10',
  timeZone: 'UTC',
  cell: 'local',
  fromMs: Date.parse('2026-10-01T00:00:00Z'),
  toMs: Date.parse('2026-11-01T00:00:00Z'),
  asOfMs: Date.parse('2026-11-01T00:00:00Z'),
  generatedAtMs: Date.parse('2026-11-01T00:05:00Z'),
} as const;
