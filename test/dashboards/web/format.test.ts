import { describe, expect, it } from 'vitest';
import { formatMoney, formatValue } from '../../../dashboards/web/format.js';

/** Intl puts a no-break space between a currency code and the amount. */
const NBSP = '\u00a0';

describe('formatMoney', () => {
  it("formats each currency with its code, thousands separators and exactly the string's decimals", () => {
    // Act
    const shown = [
      formatMoney('2000000', 'JPY', 'en-US'),
      formatMoney('1234.567', 'KWD', 'en-US'),
      formatMoney('1253554.76', 'CAD', 'en-US'),
      formatMoney('12.3456', 'CLF', 'en-US'),
    ];

    // Assess
    expect(shown).toEqual([
      `JPY${NBSP}2,000,000`,
      `KWD${NBSP}1,234.567`,
      `CAD${NBSP}1,253,554.76`,
      `CLF${NBSP}12.3456`,
    ]);
  });

  it('keeps every digit of amounts beyond 2^53 minor units', () => {
    // Prepare: 2^63 - 1 minor units, far beyond what a float holds exactly.
    const max = '92233720368547758.07';

    // Act
    const positive = formatMoney(max, 'USD', 'en-US');
    const negative = formatMoney(`-${max}`, 'USD', 'en-US');
    const yen = formatMoney('9223372036854775807', 'JPY', 'en-US');

    // Assess
    expect(positive).toBe(`USD${NBSP}92,233,720,368,547,758.07`);
    expect(negative).toBe(`-USD${NBSP}92,233,720,368,547,758.07`);
    expect(yen).toBe(`JPY${NBSP}9,223,372,036,854,775,807`);
  });

  it('keeps the sign of an amount below one unit', () => {
    // Act / Assess
    expect(formatMoney('-0.50', 'EUR', 'en-US')).toBe(`-EUR${NBSP}0.50`);
  });

  it("follows the reader's locale for separators and the code's place", () => {
    // Act / Assess
    expect(formatMoney('1253554.76', 'EUR', 'de-DE')).toBe(`1.253.554,76${NBSP}EUR`);
  });

  it('shows a value or code it cannot format as it came, with its code', () => {
    // Act / Assess
    expect(formatMoney('12,5', 'EUR', 'en-US')).toBe('12,5 EUR');
    expect(formatMoney('12.50', 'NOT-A-CODE', 'en-US')).toBe('12.50 NOT-A-CODE');
  });
});

describe('formatValue', () => {
  it('formats money in its currency and other units with their unit', () => {
    // Act / Assess
    expect(formatValue('99.50', 'money', 'EUR')).toMatch(/99\.50|99,50/);
    expect(formatValue('99.50', 'money', 'EUR')).toContain('EUR');
    expect(formatValue(null, 'money', 'EUR')).toBe('–');
    expect(formatValue(75, 's')).toBe('1 min 15 s');
  });
});
