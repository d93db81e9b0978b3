import { DAY_MS, formatTime } from './format.js';

/**
 * Panel rows to chart series: which fields group a row, how wide a time bin is, which x labels
 * and which series a set of rows draws. Nothing here names a stage: series come from the rows.
 *
 * @example
 * const series = toSeries(rows, { spanMs: 3_600_000, fillBins: true, zeroFill: true });
 */

/**
 * A panel row as the chart and table code reads it: by field name (group fields, `binStartMs`,
 * `value`), generically over the row kinds of the contract (`RecordsPanelRow`, `QueuePanelRow`,
 * `SlaPanelRow`), which all fit this type.
 */
export type Row = Readonly<Record<string, unknown>>;

/** Group fields a row may carry; the rest (value, amountMinor, counts) are measures. */
export const GROUP_FIELDS = ['stage', 'currency', 'vendorId', 'status', 'paymentTermsDays'] as const;

/** A time axis is filled bin by bin up to this many bins; beyond, only bins with data are shown. */
const MAX_FILLED_BINS = 500;

/** One series: its plotted numbers and, for money, its currency and exact decimal strings. */
export interface SeriesData {
  label: string;
  data: (number | null)[];
  currency?: string;
  /** Money: the exact decimal string of each point (tooltips show these, not the plotted float). */
  exact?: (string | null)[];
}

/** Chart data: x labels and one data list per series (a money series carries its currency). */
export interface Series {
  readonly labels: string[];
  readonly datasets: SeriesData[];
}

/** How {@link toSeries} builds the axis and fills gaps. */
export interface SeriesOptions {
  /** Window length, for labels. */
  readonly spanMs: number;
  /** Add the empty bins between the first and last one (regular bins; not live samples). */
  readonly fillBins: boolean;
  /** A missing bin means zero (counted units), not unknown (latency, money). */
  readonly zeroFill: boolean;
  /** The bin width the answer names (else guessed from the rows). */
  readonly binMs?: number;
  /** The request's window: with `binMs`, the axis covers every bin of it, not only bins with data. */
  readonly window?: { readonly fromMs: number; readonly toMs: number };
  /** Group fields left out of series labels (the currency of a chart that holds one currency). */
  readonly omitFromLabels?: readonly string[];
}

/** A week bin starts on Monday 00:00 UTC: 4 days after the epoch (a Thursday), as the cell bins. */
const WEEK_MS = 604_800_000;
const WEEK_OFFSET_MS = 4 * DAY_MS;

/**
 * The start of the bin of width `binMs` that holds `ms` (weeks start on Monday 00:00 UTC).
 *
 * @example
 * binStartOf(90_000, 60_000); // 60_000
 */
export function binStartOf(ms: number, binMs: number): number {
  const offset = binMs === WEEK_MS ? WEEK_OFFSET_MS : 0;
  return Math.floor((ms - offset) / binMs) * binMs + offset;
}

/**
 * The bin width of sorted bin starts: the smallest gap; a lone midnight bin counts as a day.
 *
 * @example
 * binStep([0, 60_000, 180_000]); // 60_000
 */
export function binStep(starts: readonly number[]): number {
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < starts.length; i++)
    step = Math.min(step, (starts[i] as number) - (starts[i - 1] as number));
  if (Number.isFinite(step)) return step;
  return starts.length === 1 && (starts[0] as number) % DAY_MS === 0 ? DAY_MS : 0;
}

/** A group value as shown: payment terms carry their unit. */
function groupLabel(fieldName: string, value: unknown): string {
  if (value === null || value === undefined || value === 'null') return '(none)';
  return fieldName === 'paymentTermsDays' ? `${String(value)} days` : String(value);
}

function groupKey(row: Row, fields: readonly string[]): string {
  return fields.map((f) => groupLabel(f, row[f])).join(' · ');
}

/**
 * The x values of time bins (sorted) and the bin width. Filled: every bin from the first to the
 * last, the window's bins included when the answer names its bin width (an hour of 5-minute bins
 * is 12 points even when events came in the last 4 minutes).
 */
function binAxis(xs: readonly string[], options: SeriesOptions): { xs: string[]; step: number } {
  const starts = xs.map(Number).sort((a, b) => a - b);
  const step = options.binMs ?? binStep(starts);
  let first = starts[0] as number;
  let last = starts[starts.length - 1] as number;
  if (options.binMs !== undefined && options.window && options.window.toMs > options.window.fromMs) {
    first = Math.min(first, binStartOf(options.window.fromMs, options.binMs));
    last = Math.max(last, binStartOf(options.window.toMs - 1, options.binMs));
  }
  if (options.fillBins && step > 0 && (last - first) / step <= MAX_FILLED_BINS) {
    const filled: string[] = [];
    for (let t = first; t <= last; t += step) filled.push(String(t));
    return { xs: filled, step };
  }
  return { xs: starts.map(String), step };
}

/**
 * Rows to chart series. Time-binned rows: x = bins, one series per group key. Otherwise x = the
 * first group field and one series per the remaining fields. A money series always carries its
 * currency in the key (money panels group by currency), so no series mixes currencies.
 *
 * @example
 * toSeries([{ stage: 'ingest', value: 3 }], { spanMs: 0, fillBins: false, zeroFill: true });
 * // { labels: ['ingest'], datasets: [{ label: 'value', data: [3] }] }
 */
export function toSeries(rows: readonly Row[], options: SeriesOptions): Series {
  if (rows.length === 0) return { labels: [], datasets: [] };
  const groups = GROUP_FIELDS.filter((f) => rows.some((r) => f in r));
  const timed = rows.some((r) => typeof r.binStartMs === 'number');
  const xField = timed ? 'binStartMs' : (groups[0] ?? '');
  const omitted = new Set(options.omitFromLabels ?? []);
  const seriesFields = (timed ? groups : groups.slice(1)).filter((f) => !omitted.has(f));
  const distinct = [...new Set(rows.map((r) => (xField ? String(r[xField]) : '')))];
  const { xs, step } = timed ? binAxis(distinct, options) : { xs: distinct, step: 0 };
  const index = new Map(xs.map((x, i) => [x, i]));
  const byKey = new Map<string, Omit<SeriesData, 'label'>>();
  for (const row of rows) {
    const single = typeof row.currency === 'string' ? row.currency : 'value';
    const key = seriesFields.length > 0 ? groupKey(row, seriesFields) : single;
    let series = byKey.get(key);
    if (!series) {
      series = {
        data: xs.map(() => (options.zeroFill ? 0 : null)),
        ...(typeof row.currency === 'string'
          ? { currency: row.currency, exact: xs.map((): string | null => null) }
          : {}),
      };
      byKey.set(key, series);
    }
    const x = index.get(xField ? String(row[xField]) : '');
    if (x === undefined) continue;
    const v = row.value === null || row.value === undefined ? null : Number(row.value);
    series.data[x] = v !== null && Number.isFinite(v) ? v : null;
    if (series.exact && typeof row.value === 'string') series.exact[x] = row.value;
  }
  return {
    labels: xs.map((x) => (timed ? formatTime(Number(x), options.spanMs, step) : groupLabel(xField, x))),
    datasets: [...byKey].map(([label, s]) => ({ label, ...s })),
  };
}

/**
 * Money rows split by currency, codes in alphabetical order: one chart per currency, so a numeric
 * axis never holds two currencies (two million yen is not two million dollars).
 *
 * @example
 * splitByCurrency([{ currency: 'USD', value: '1.00' }, { currency: 'JPY', value: '5' }]);
 * // [['JPY', [...]], ['USD', [...]]]
 */
export function splitByCurrency(rows: readonly Row[]): [string, Row[]][] {
  const byCurrency = new Map<string, Row[]>();
  for (const row of rows) {
    const code = typeof row.currency === 'string' ? row.currency : '';
    const list = byCurrency.get(code);
    if (list) list.push(row);
    else byCurrency.set(code, [row]);
  }
  return [...byCurrency].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
