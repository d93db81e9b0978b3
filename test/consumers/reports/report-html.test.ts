import { describe, expect, it } from 'vitest';
import { buildMonthlyReport } from '../../../consumers/reports/monthly-report.js';
import { escapeHtml, groupDigits, reportHtml } from '../../../consumers/reports/report-html.js';
import { OCTOBER, reportData } from './support/report-data.js';
import { sampleReport } from './support/sample-report.js';

describe('escapeHtml', () => {
  it('escapes the five HTML-special characters', () => {
    // Act + Assess
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('groupDigits', () => {
  it('groups the whole part by three and leaves the fraction and sign', () => {
    // Act + Assess
    expect(groupDigits('1234567.50')).toBe('1,234,567.50');
    expect(groupDigits('-1000')).toBe('-1,000');
    expect(groupDigits('999.999')).toBe('999.999');
    expect(groupDigits('12345678901234567890.12')).toBe('12,345,678,901,234,567,890.12');
    expect(groupDigits('n/a')).toBe('n/a');
  });
});

describe('reportHtml', () => {
  it('is one self-contained page: inline CSS, no script, no external resource', () => {
    // Act
    const html = reportHtml(sampleReport());

    // Assess
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(html).not.toMatch(/<script|<link|<img|src=|href=|url\(/i);
  });

  it('escapes every text a producer or a note brings', () => {
    // Act
    const html = reportHtml(sampleReport());

    // Assess
    expect(html).toContain('Acme, &quot;Müller&quot; &amp; &lt;Söhne&gt;\nGmbH');
    expect(html).not.toContain('<Söhne>');
    expect(html).toContain('=HYPERLINK(&quot;http://x&quot;)');
    expect(html).toContain('reconciliation is incomplete: &lt;pruned&gt; &amp; &quot;cut&quot;');
  });

  it('shows exact grouped amounts per currency, the checks and the definitions', () => {
    // Prepare
    const report = sampleReport();

    // Act
    const html = reportHtml(report);

    // Assess
    expect(html).toContain('<h2>EUR</h2>');
    expect(html).toContain('<h2>JPY</h2>');
    expect(html).toContain('<td class="n">1,234,567.95 EUR</td>');
    expect(html).toContain('<td class="n">7,000 JPY</td>');
    expect(html).toContain('Other vendors (1)');
    expect(html).toContain('net 30 days');
    expect(html).toContain('<td>authorization</td><td class="n">2</td>');
    expect(html).toContain('Complete for the month: <span class="bad">no</span>');
    expect(html).toContain(escapeHtml(report.definitions.open));
  });

  it('says so for a month without invoices', () => {
    // Act
    const html = reportHtml(buildMonthlyReport(reportData(), OCTOBER));

    // Assess
    expect(html).toContain('No invoices in this month.');
    expect(html).toContain('complete month');
  });
});
