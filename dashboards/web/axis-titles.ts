/**
 * The titles of a chart's axes: every axis says its unit. A value axis names the panel's unit per
 * time bin ("events per hour", "JPY per day"), a money axis its one currency; a time axis names
 * its bin ("time (5 min bins)") or that it is live; a category axis the field it lists.
 *
 * @example
 * valueAxisTitle('events/min', { binMs: 3_600_000 }); // 'events per hour'
 * timeAxisTitle({ binMs: 300_000 }); // 'time (5 min bins)'
 */

/** What the titles depend on beyond the panel's unit. */
export interface AxisContext {
  /** The bin width the rows were grouped by (time-binned panels). */
  readonly binMs?: number;
  /** Money: the one currency of the chart. */
  readonly currency?: string;
  /** Live samples (queue panels): one point per poll. */
  readonly liveEverySec?: number;
}

const BIN_WORDS: Readonly<Record<number, { per: string; short: string }>> = {
  60000: { per: 'minute', short: '1 min' },
  300000: { per: '5 minutes', short: '5 min' },
  3600000: { per: 'hour', short: '1 h' },
  86400000: { per: 'day', short: '1 d' },
  604800000: { per: 'week', short: '1 week' },
};

function binWords(binMs: number): { per: string; short: string } {
  const known = BIN_WORDS[binMs];
  if (known) return known;
  const minutes = Math.round(binMs / 60_000);
  return { per: `${minutes} minutes`, short: `${minutes} min` };
}

/** What a unit's values are called on an axis. */
function unitWords(unit: string, context: AxisContext): string {
  switch (unit) {
    case 'money':
      return context.currency ?? 'amount';
    case 'events':
    case 'events/min':
      return 'events';
    case 'ms':
      return 'milliseconds';
    case 's':
      return 'seconds';
    case '%':
      return 'percent';
    default:
      return unit;
  }
}

/** Units whose binned values are totals per bin (a latency percentile or an average is not). */
const PER_BIN_UNITS: ReadonlySet<string> = new Set(['money', 'events', 'events/min', 'count']);

/**
 * The title of a value (y) axis: the unit, per bin for totals, the currency for money.
 *
 * @example
 * valueAxisTitle('money', { currency: 'JPY', binMs: 86_400_000 }); // 'JPY per day'
 */
export function valueAxisTitle(unit: string, context: AxisContext = {}): string {
  const words = unitWords(unit, context);
  if (context.binMs !== undefined && PER_BIN_UNITS.has(unit))
    return `${words} per ${binWords(context.binMs).per}`;
  // A rate without a bin (a live sample) keeps its own time unit.
  return unit === 'events/min' ? 'events per minute' : words;
}

/**
 * The title of a time (x) axis: its bin width, or that it is sampled live.
 *
 * @example
 * timeAxisTitle({ liveEverySec: 5 }); // 'time (live, every 5 s)'
 */
export function timeAxisTitle(context: AxisContext): string {
  if (context.liveEverySec !== undefined) return `time (live, every ${context.liveEverySec} s)`;
  return context.binMs === undefined ? 'time' : `time (${binWords(context.binMs).short} bins)`;
}

/**
 * The title of a category (x) axis: the group field it lists.
 *
 * @example
 * categoryAxisTitle('paymentTermsDays'); // 'payment terms (days)'
 */
export function categoryAxisTitle(field: string): string {
  switch (field) {
    case 'paymentTermsDays':
      return 'payment terms (days)';
    case 'vendorId':
      return 'vendor';
    default:
      return field;
  }
}
