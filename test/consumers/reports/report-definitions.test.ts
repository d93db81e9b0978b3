import { describe, expect, it } from 'vitest';
import { reportDefinitions } from '../../../consumers/reports/report-definitions.js';
import { REPORT_FIGURES } from '../../../consumers/reports/report-types.js';

describe('reportDefinitions', () => {
  it('gives one sentence per figure naming the zone, the stages and the vendors listed', () => {
    // Act
    const d = reportDefinitions({
      timeZone: 'Asia/Kolkata',
      topVendors: 7,
      firstStage: 'intake',
      lastStage: 'ledger',
    });

    // Assess
    expect(Object.keys(d)).toEqual([...REPORT_FIGURES]);
    expect(d.received).toContain('latest intake event');
    expect(d.received).toContain('the calendar month in Asia/Kolkata');
    expect(d.posted).toContain('latest ledger event');
    expect(d.vendors).toContain('the 7 vendors');
    expect(d.stuck).toContain('generation time');
  });
});
