/**
 * How the page shows numbers, money, durations and times. Money keeps its exact decimal string
 * and its currency code: it is never turned into a float, rounded or added across currencies here.
 *
 * Money reads as a finance person expects: the currency code, thousands separators and exactly the
 * currency's decimals, in the reader's locale (`USD 1,253,554.76`, `JPY 2,000,000`,
 * `KWD 1,234.567` in en-US; `1.253.554,76 USD` in de-DE). The code, not the symbol: `$` is USD in
 * en-US but CAD in en-CA, and a table lists several currencies side by side.
 *
 * @example
 * formatValue('1234.50', 'money', 'EUR', 'en-US'); // 'EUR 1,234.50' (a no-break space after the code)
 * formatDuration(7260); // '2 h 1 min'
 */

/** One day in milliseconds: the width of a day bin. */
export const DAY_MS = 86_400_000;

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/**
 * A number in the user's locale, at most one decimal.
 *
 * @example
 * formatNumber(1234.56); // '1,234.6' in en-US
 */
export function formatNumber(n: number): string {
  return numberFormat.format(n);
}

/**
 * A duration in seconds as its two largest units (`2 h 5 min`); `–` when not finite.
 *
 * @example
 * formatDuration(75); // '1 min 15 s'
 */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '–';
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** A decimal string as the server writes money (`formatMinorUnits`): sign, digits, fraction. */
const DECIMAL = /^(-?)([0-9]+)(?:\.([0-9]+))?$/;

/**
 * A money amount in its currency, exactly: `value` is the decimal string of the answer, which
 * carries exactly the currency's decimals (its ISO 4217 exponent), so no digit is ever derived
 * from a float. The whole part is formatted by Intl as a number when it is a safe integer (keeping
 * the sign of `-0.50`) and as a BigInt beyond 2^53; the fraction digits are the string's own.
 * A value or code Intl cannot format is shown as it came, with its code.
 *
 * @example
 * formatMoney('2000000', 'JPY', 'en-US'); // 'JPY 2,000,000'
 * formatMoney('92233720368547758.07', 'USD', 'en-US'); // 'USD 92,233,720,368,547,758.07'
 */
export function formatMoney(value: string, currency: string, locale?: string): string {
  const match = DECIMAL.exec(value);
  if (!match) return `${value} ${currency}`;
  const [, sign = '', whole = '0', fraction = ''] = match;
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      currencyDisplay: 'code',
      minimumFractionDigits: fraction.length,
      maximumFractionDigits: fraction.length,
    });
  } catch {
    return `${value} ${currency}`;
  }
  const big = BigInt(whole);
  const magnitude = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(whole) : big;
  const signed = sign === '-' ? -magnitude : magnitude;
  return format
    .formatToParts(signed)
    .map((part) => (part.type === 'fraction' ? fraction : part.value))
    .join('');
}

/**
 * A value with its unit; money keeps its exact decimal string and is formatted in its currency.
 *
 * @example
 * formatValue(12.34, 'ms'); // '12.3 ms'
 */
export function formatValue(value: unknown, unit: string, currency?: unknown): string {
  if (value === null || value === undefined) return '–';
  if (unit === 'money') {
    return typeof currency === 'string' ? formatMoney(String(value), currency) : String(value);
  }
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  switch (unit) {
    case '%':
      return `${numberFormat.format(n)} %`;
    case 's':
      return formatDuration(n);
    case 'ms':
      return `${numberFormat.format(n)} ms`;
    case 'days':
      return `${numberFormat.format(n)} days`;
    case 'events/min':
      return `${numberFormat.format(n)} events/min`;
    case 'events':
      return `${numberFormat.format(n)} events`;
    default:
      return numberFormat.format(n);
  }
}

/**
 * A bin label. Day or week bins (every bin on a UTC midnight, a day or more apart) show the date;
 * shorter bins show the time, with the date when the window spans days, seconds when it is short.
 *
 * @example
 * formatTime(binStartMs, 3_600_000, 60_000); // '14:05:00'
 */
export function formatTime(ms: number, spanMs: number, stepMs: number): string {
  const d = new Date(ms);
  if (stepMs >= DAY_MS)
    return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
  const time: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit' };
  if (spanMs >= DAY_MS) return d.toLocaleString(undefined, { month: 'short', day: 'numeric', ...time });
  if (spanMs < 3_600_000) return d.toLocaleTimeString(undefined, { ...time, second: '2-digit' });
  return d.toLocaleTimeString(undefined, time);
}

/**
 * A point in time (epoch ms or an RFC 3339 string) as a local time; `–` when absent, the input
 * as given when it does not parse.
 *
 * @example
 * formatSince('2024-05-01T12:00:00Z'); // '14:00:00' in CEST
 */
export function formatSince(since: unknown): string {
  if (since === undefined || since === null) return '–';
  const ms = typeof since === 'number' ? since : Date.parse(String(since));
  return Number.isFinite(ms) ? new Date(ms).toLocaleTimeString() : String(since);
}
