import { currencyExponent } from './currencies.js';

/**
 * Money arithmetic without floats: decimal strings ↔ integer minor units (bigint).
 *
 * @example
 * toMinorUnits('1234.5', 'USD'); // 123450n
 * formatMinorUnits(123450n, 'USD'); // '1234.50'
 */
export class MoneyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
  }
}

const DECIMAL = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/**
 * Why `value` is not a valid amount in `currency`, or `undefined` when it is.
 * Messages name the rule broken, for API answers.
 */
export function moneyProblem(value: string, currency: string): string | undefined {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) return `currency "${currency}" is not an ISO 4217 code`;
  const match = DECIMAL.exec(value);
  if (!match) return `amount "${value}" is not a decimal string like "1234.56"`;
  const decimals = match[3]?.length ?? 0;
  if (decimals > exponent) {
    return `amount "${value}" has ${decimals} decimals but ${currency} allows ${exponent}`;
  }
  return undefined;
}

/** Converts a validated decimal string to integer minor units. Throws {@link MoneyError}. */
export function toMinorUnits(value: string, currency: string): bigint {
  const problem = moneyProblem(value, currency);
  if (problem) throw new MoneyError(problem);
  const exponent = currencyExponent(currency) ?? 0;
  const [, sign, whole, fraction = ''] = DECIMAL.exec(value) as RegExpExecArray;
  const minor = BigInt(whole + fraction.padEnd(exponent, '0'));
  return sign === '-' ? -minor : minor;
}

/** Formats integer minor units back to a decimal string with the currency's exponent. */
export function formatMinorUnits(minor: bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) throw new MoneyError(`currency "${currency}" is not an ISO 4217 code`);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? `.${digits.slice(digits.length - exponent)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}
