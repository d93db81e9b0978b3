import { buildMonthlyReport, type MonthlyReport } from '../../../../consumers/reports/monthly-report.js';
import { OCTOBER, reportData } from './report-data.js';

/** A small report with text that needs escaping and quoting, two currencies and every table. */
export function sampleReport(): MonthlyReport {
  return buildMonthlyReport(
    reportData({
      received: [
        { vendorId: 'V-1', currency: 'EUR', invoices: 3, minor: 123_456_789n },
        { vendorId: 'V-2', currency: 'EUR', invoices: 1, minor: 5n },
        { vendorId: 'V-3', currency: 'EUR', invoices: 2, minor: 1n },
        { vendorId: 'V-9', currency: 'JPY', invoices: 1, minor: 7_000n },
      ],
      vendorNames: new Map([
        ['V-1', 'Acme, "Müller" & <Söhne>\nGmbH'],
        ['V-2', '=HYPERLINK("http://x")'],
      ]),
      posted: [
        { currency: 'EUR', status: 'POSTED', invoices: 2, minor: 100_000n },
        { currency: 'EUR', status: 'FAILED', invoices: 1, minor: 99n },
      ],
      open: [{ currency: 'EUR', status: 'APPROVED', invoices: 1, minor: 4_200n }],
      paymentTerms: [
        { currency: 'EUR', paymentTermsDays: 30, invoices: 5 },
        { currency: 'EUR', paymentTermsDays: null, invoices: 1 },
      ],
      stuck: [{ stage: 'authorization', invoices: 2 }],
      reconciliation: {
        complete: false,
        stages: [
          {
            stage: 'ingestion',
            accepted: 10,
            stored: 9,
            inDlqNow: 1,
            inFlightNow: 0,
            missing: 0,
            unexpected: 0,
            balanced: true,
          },
        ],
      },
      notes: ['reconciliation is incomplete: <pruned> & "cut"'],
    }),
    { ...OCTOBER, topVendors: 2 },
  );
}
