import { describe, expect, it } from 'vitest';
import { formatMinorUnits, MoneyError, moneyProblem, toMinorUnits } from '../../schemas/money.js';

describe('money', () => {
  describe('toMinorUnits', () => {
    it.each([
      ['1234.5', 'USD', 123450n],
      ['1234.56', 'USD', 123456n],
      ['0.01', 'USD', 1n],
      ['-45.10', 'EUR', -4510n],
      ['0', 'GBP', 0n],
      ['125000', 'JPY', 125000n],
      ['12.345', 'BHD', 12345n],
      ['12.3', 'BHD', 12300n],
      ['0.0001', 'CLF', 1n],
    ])('converts %s %s to %s minor units', (value, currency, expected) => {
      // Act
      const minor = toMinorUnits(value, currency);

      // Assess
      expect(minor).toBe(expected);
    });

    it('keeps amounts beyond 2^53 exact (no float on the way)', () => {
      // Prepare: 99,999,999,999,999,999 cents is not representable as a double.
      const value = '999999999999999.99';

      // Act
      const minor = toMinorUnits(value, 'USD');

      // Assess
      expect(minor).toBe(99_999_999_999_999_999n);
      expect(Number.isSafeInteger(Number(minor))).toBe(false);
    });

    it.each([
      ['1.005', 'USD', 'has 3 decimals but USD allows 2'],
      ['1.5', 'JPY', 'has 1 decimals but JPY allows 0'],
      ['1e3', 'USD', 'is not a decimal string'],
      ['01.50', 'USD', 'is not a decimal string'],
      [' 1.50', 'USD', 'is not a decimal string'],
      ['1.', 'USD', 'is not a decimal string'],
      ['+1.50', 'USD', 'is not a decimal string'],
      ['1.50', 'XYZ', 'not an ISO 4217 code'],
    ])('refuses %s %s with a MoneyError naming the rule', (value, currency, message) => {
      // Act
      const act = () => toMinorUnits(value, currency);

      // Assess
      expect(act).toThrow(MoneyError);
      expect(act).toThrow(message);
    });
  });

  describe('formatMinorUnits', () => {
    it.each([
      [123450n, 'USD', '1234.50'],
      [5n, 'USD', '0.05'],
      [-5n, 'USD', '-0.05'],
      [0n, 'USD', '0.00'],
      [125000n, 'JPY', '125000'],
      [1n, 'BHD', '0.001'],
      [1n, 'CLF', '0.0001'],
    ])('formats %s %s as %s', (minor, currency, expected) => {
      // Act
      const text = formatMinorUnits(minor, currency);

      // Assess
      expect(text).toBe(expected);
    });

    it.each([
      ['1234.56', 'USD'],
      ['-0.07', 'EUR'],
      ['999999999999999.99', 'USD'],
      ['42', 'KRW'],
      ['7.125', 'KWD'],
    ])('round-trips %s %s', (value, currency) => {
      // Act
      const back = formatMinorUnits(toMinorUnits(value, currency), currency);

      // Assess
      expect(back).toBe(value);
    });

    it('refuses an unknown currency', () => {
      // Assess
      expect(() => formatMinorUnits(1n, 'ABC')).toThrow(MoneyError);
    });
  });

  describe('moneyProblem', () => {
    it('returns undefined for a valid amount', () => {
      // Assess
      expect(moneyProblem('10.05', 'USD')).toBeUndefined();
    });

    it('names the value, the decimals and the currency rule', () => {
      // Assess
      expect(moneyProblem('10.005', 'USD')).toBe('amount "10.005" has 3 decimals but USD allows 2');
    });
  });
});
