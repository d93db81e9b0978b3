import { describe, expect, it } from 'vitest';
import {
  buildMonthlyReport,
  DEFAULT_TOP_VENDORS,
  endedStatuses,
  MonthlyReportError,
  REPORT_FIGURES,
  reportMoney,
} from '../../../consumers/reports/monthly-report.js';
import { OCTOBER, reportData } from './support/report-data.js';

describe('buildMonthlyReport', () => {
  it('lists the top N vendors by value and adds the rest up exactly', () => {
    // Prepare: 13 EUR vendors, V-1 smallest ... V-13 largest; V-4 appears in two rows (added up)
    const received = Array.from({ length: 13 }, (_, i) => ({
      vendorId: `V-${i + 1}`,
      currency: 'EUR',
      invoices: i + 1,
      minor: BigInt(i + 1) * 100_000_000_000_000_001n,
    }));
    received.push({ vendorId: 'V-4', currency: 'EUR', invoices: 1, minor: 1n });
    const data = reportData({ received, vendorNames: new Map([['V-13', 'Acme GmbH']]) });

    // Act
    const report = buildMonthlyReport(data, { ...OCTOBER, topVendors: 3 });

    // Assess
    const [eur] = report.currencies;
    expect(eur?.vendors.top.map((v) => v.vendorId)).toEqual(['V-13', 'V-12', 'V-11']);
    expect(eur?.vendors.top[0]).toEqual({
      vendorId: 'V-13',
      vendorName: 'Acme GmbH',
      invoices: 13,
      value: { value: '13000000000000000.13', minor: '1300000000000000013' },
    });
    expect(eur?.vendors.top[1]?.vendorName).toBeNull();
    // the other 10 vendors: invoices 1..10 (+1), value (1+...+10) x 100000000000000001 + 1
    expect(eur?.vendors.other).toEqual({
      vendors: 10,
      invoices: 56,
      value: { value: '55000000000000000.56', minor: '5500000000000000056' },
    });
    const shown = (eur?.vendors.top ?? []).reduce((n, v) => n + BigInt(v.value.minor), 0n);
    expect(shown + BigInt(eur?.vendors.other.value.minor ?? '0')).toBe(
      BigInt(eur?.received.value.minor ?? ''),
    );
    expect(eur?.received.invoices).toBe(92);
  });

  it('breaks value ties by invoices, then vendor id', () => {
    // Prepare
    const data = reportData({
      received: [
        { vendorId: 'V-b', currency: 'USD', invoices: 1, minor: 500n },
        { vendorId: 'V-a', currency: 'USD', invoices: 1, minor: 500n },
        { vendorId: 'V-c', currency: 'USD', invoices: 2, minor: 500n },
      ],
    });

    // Act
    const report = buildMonthlyReport(data, OCTOBER);

    // Assess
    expect(report.currencies[0]?.vendors.top.map((v) => v.vendorId)).toEqual(['V-c', 'V-a', 'V-b']);
    expect(report.currencies[0]?.vendors.other).toEqual({
      vendors: 0,
      invoices: 0,
      value: { value: '0.00', minor: '0' },
    });
  });

  it('keeps currencies apart and formats each with its own exponent', () => {
    // Prepare
    const data = reportData({
      received: [
        { vendorId: 'V-1', currency: 'USD', invoices: 2, minor: 123_450n },
        { vendorId: 'V-1', currency: 'JPY', invoices: 1, minor: 98_765n },
        { vendorId: 'V-2', currency: 'KWD', invoices: 1, minor: 1_234_567n },
      ],
      posted: [
        { currency: 'USD', status: 'POSTED', invoices: 1, minor: 100_000n },
        { currency: 'USD', status: 'FAILED', invoices: 1, minor: 23_450n },
        { currency: 'JPY', status: 'REVERSED', invoices: 1, minor: 5n },
      ],
      open: [{ currency: 'EUR', status: 'APPROVED', invoices: 4, minor: 10n }],
      paymentTerms: [{ currency: 'USD', paymentTermsDays: 30, invoices: 2 }],
    });

    // Act
    const report = buildMonthlyReport(data, OCTOBER);

    // Assess
    expect(report.currencies.map((c) => c.currency)).toEqual(['EUR', 'JPY', 'KWD', 'USD']);
    const byCode = new Map(report.currencies.map((c) => [c.currency, c]));
    expect(byCode.get('USD')?.received.value).toEqual({ value: '1234.50', minor: '123450' });
    expect(byCode.get('JPY')?.received.value).toEqual({ value: '98765', minor: '98765' });
    expect(byCode.get('KWD')?.received.value).toEqual({ value: '1234.567', minor: '1234567' });
    expect(byCode.get('USD')?.posted).toEqual({
      invoices: 1,
      value: { value: '1000.00', minor: '100000' },
      otherStatuses: [{ status: 'FAILED', invoices: 1, value: { value: '234.50', minor: '23450' } }],
    });
    expect(byCode.get('JPY')?.posted.invoices).toBe(0);
    expect(byCode.get('JPY')?.posted.otherStatuses.map((s) => s.status)).toEqual(['REVERSED']);
    expect(byCode.get('EUR')?.received).toEqual({ invoices: 0, value: { value: '0.00', minor: '0' } });
    expect(byCode.get('EUR')?.open).toEqual({
      invoices: 4,
      value: { value: '0.10', minor: '10' },
      statuses: [{ status: 'APPROVED', invoices: 4, value: { value: '0.10', minor: '10' } }],
    });
  });

  it('sorts the payment-terms mix by days with no terms last, adding repeated keys', () => {
    // Prepare
    const data = reportData({
      paymentTerms: [
        { currency: 'EUR', paymentTermsDays: null, invoices: 1 },
        { currency: 'EUR', paymentTermsDays: 60, invoices: 2 },
        { currency: 'EUR', paymentTermsDays: 7, invoices: 3 },
        { currency: 'EUR', paymentTermsDays: 60, invoices: 4 },
      ],
    });

    // Act
    const [eur] = buildMonthlyReport(data, OCTOBER).currencies;

    // Assess
    expect(eur?.paymentTerms).toEqual([
      { paymentTermsDays: 7, invoices: 3 },
      { paymentTermsDays: 60, invoices: 6 },
      { paymentTermsDays: null, invoices: 1 },
    ]);
  });

  it('orders stuck and reconciliation by stage and totals them', () => {
    // Prepare
    const row = (stage: string, balanced: boolean) => ({
      stage,
      accepted: 3,
      stored: 3,
      inDlqNow: 0,
      inFlightNow: 0,
      missing: 0,
      unexpected: 0,
      balanced,
    });
    const data = reportData({
      stuck: [
        { stage: 'authorization', invoices: 2 },
        { stage: 'ingestion', invoices: 5 },
      ],
      reconciliation: { complete: false, stages: [row('posting', true), row('ingestion', false)] },
    });

    // Act
    const report = buildMonthlyReport(data, OCTOBER);

    // Assess
    expect(report.stuck).toEqual({
      invoices: 7,
      stages: [
        { stage: 'ingestion', invoices: 5 },
        { stage: 'authorization', invoices: 2 },
      ],
    });
    expect(report.reconciliation?.stages.map((s) => s.stage)).toEqual(['ingestion', 'posting']);
    expect(report.reconciliation?.balanced).toBe(false);
    expect(report.reconciliation?.complete).toBe(false);
  });

  it('reports an empty month with no currencies, the window and every definition', () => {
    // Act
    const report = buildMonthlyReport(reportData(), OCTOBER);

    // Assess
    expect(report).toMatchObject({
      version: 1,
      month: '2026-10',
      timeZone: 'UTC',
      cell: 'local',
      from: '2026-10-01T00:00:00.000Z',
      to: '2026-11-01T00:00:00.000Z',
      asOf: '2026-11-01T00:00:00.000Z',
      monthComplete: true,
      generatedAt: '2026-11-01T00:05:00.000Z',
      topVendors: DEFAULT_TOP_VENDORS,
      currencies: [],
      stuck: { invoices: 0, stages: [] },
      reconciliation: { complete: true, balanced: true, stages: [] },
      notes: [],
    });
    expect(Object.keys(report.definitions).sort()).toEqual([...REPORT_FIGURES].sort());
    for (const sentence of Object.values(report.definitions)) expect(sentence).toMatch(/^[A-Z].+\.$/);
    expect(report.definitions.received).toContain('ingestion');
    expect(report.definitions.posted).toContain('posting');
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('marks a month not yet over and says when the store has no reconciliation', () => {
    // Prepare
    const { reconciliation: _r, ...data } = reportData();

    // Act
    const report = buildMonthlyReport(data, { ...OCTOBER, asOfMs: OCTOBER.fromMs + 1000 });

    // Assess
    expect(report.monthComplete).toBe(false);
    expect(report.reconciliation).toBeNull();
    expect(report.notes).toEqual([
      'this store keeps no reconciliation counters: reconciliation is not reported',
    ]);
  });

  it('keeps the data notes and names a currency it cannot format', () => {
    // Prepare
    const data = reportData({
      notes: ['value posted: bins pruned'],
      received: [{ vendorId: 'V-1', currency: 'XYZ', invoices: 1, minor: 5n }],
    });

    // Act
    const report = buildMonthlyReport(data, OCTOBER);

    // Assess
    expect(report.currencies[0]?.received.value).toEqual({ value: '5', minor: '5' });
    expect(report.notes).toEqual([
      'value posted: bins pruned',
      'currency XYZ is not an ISO 4217 code: its amounts are shown in minor units',
    ]);
  });

  it('refuses a negative or fractional topVendors and an empty window', () => {
    // Act + Assess
    expect(() => buildMonthlyReport(reportData(), { ...OCTOBER, topVendors: -1 })).toThrow(
      MonthlyReportError,
    );
    expect(() => buildMonthlyReport(reportData(), { ...OCTOBER, topVendors: 2.5 })).toThrow(
      'topVendors must be a whole number 0 or more, got 2.5',
    );
    expect(() => buildMonthlyReport(reportData(), { ...OCTOBER, toMs: OCTOBER.fromMs })).toThrow(
      'toMs must be after fromMs',
    );
  });
});

describe('endedStatuses', () => {
  it('ends invoices at POSTED and at every terminal status', () => {
    // Act
    const ended = endedStatuses([{ terminalStatuses: ['REJECTED'] }, { terminalStatuses: ['VOID'] }]);

    // Assess
    expect([...ended].sort()).toEqual(['POSTED', 'REJECTED', 'VOID']);
  });
});

describe('reportMoney', () => {
  it('writes negative and large amounts exactly', () => {
    // Act + Assess
    expect(reportMoney(-5n, 'EUR')).toEqual({ value: '-0.05', minor: '-5' });
    expect(reportMoney(123_456_789_012_345_678_901n, 'USD')).toEqual({
      value: '1234567890123456789.01',
      minor: '123456789012345678901',
    });
  });
});
