import { describe, expect, it } from 'vitest';
import {
  isReportFormat,
  REPORT_CONTENT_TYPES,
  REPORT_FORMATS,
  renderReport,
} from '../../../consumers/reports/render-report.js';
import { reportCsv } from '../../../consumers/reports/report-csv.js';
import { reportHtml } from '../../../consumers/reports/report-html.js';
import { sampleReport } from './support/sample-report.js';

describe('renderReport', () => {
  it('renders json as the report object, indented', () => {
    // Prepare
    const report = sampleReport();

    // Act
    const json = renderReport(report, 'json');

    // Assess
    expect(json).toBe(JSON.stringify(report, null, 2));
    expect(JSON.parse(json)).toEqual(report);
    expect(JSON.parse(json).currencies[0].received.value).toEqual({
      value: '1234567.95',
      minor: '123456795',
    });
  });

  it('renders csv and html with their own renderers', () => {
    // Prepare
    const report = sampleReport();

    // Act + Assess
    expect(renderReport(report, 'csv')).toBe(reportCsv(report));
    expect(renderReport(report, 'html')).toBe(reportHtml(report));
  });

  it('names a content type per format and recognises the formats only', () => {
    // Act + Assess
    expect(REPORT_FORMATS).toEqual(['html', 'json', 'csv']);
    expect(Object.keys(REPORT_CONTENT_TYPES).sort()).toEqual(['csv', 'html', 'json']);
    expect(REPORT_CONTENT_TYPES.html).toBe('text/html; charset=utf-8');
    expect(isReportFormat('csv')).toBe(true);
    expect(isReportFormat('pdf')).toBe(false);
    expect(isReportFormat(undefined)).toBe(false);
  });
});
