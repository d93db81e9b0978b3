import { describe, expect, it } from 'vitest';
import { formatBytes, reportDownloads } from '../../../dashboards/web/views/reports.js';

/** The Reports tab's pure parts: the download links of a stored report and sizes for people. */

describe('reportDownloads', () => {
  it('gives one link per stored format, in the answer’s order, with its size', () => {
    // Act
    const links = reportDownloads({
      month: '2026-10',
      generatedAt: '2026-11-01T00:05:01.000Z',
      formats: ['html', 'csv'],
      bytes: { html: 14_336, csv: 2_150 },
    });

    // Assess
    expect(links).toEqual([
      { format: 'html', href: '/reports/2026-10?format=html', label: 'HTML (14.0 KiB)' },
      { format: 'csv', href: '/reports/2026-10?format=csv', label: 'CSV (2.1 KiB)' },
    ]);
  });

  it('leaves the size out when the answer has none for a format', () => {
    const links = reportDownloads({
      month: '2026-09',
      generatedAt: '2026-10-01T00:05:01.000Z',
      formats: ['json'],
      bytes: {},
    });

    expect(links.map((l) => l.label)).toEqual(['JSON']);
  });
});

describe('formatBytes', () => {
  it('shows bytes, then KiB and MiB with one decimal', () => {
    expect([0, 1023, 1024, 1536, 5 * 1024 * 1024].map(formatBytes)).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '1.5 KiB',
      '5.0 MiB',
    ]);
  });
});
