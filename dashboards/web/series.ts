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

/** Chart data: x labels and one data list per series (a money series carries its currency). */
export interface Series {
  readonly labels: string[];
  readonly datasets: { label: string; data: (number | null)[]; currency?: string }[];
}

/** How {@link toSeries} builds the axis and fills gaps. */
export interface SeriesOptions {
  /** Window length, for labels. */
  readonly spanMs: number;
  /** Add the empty bins between the first and last one (regular bins; not live samples). */
  readonly fillBins: boolean;
  /** A missing bin means zero (counted units), not unknown (latency, money). */
  readonly zeroFill: boolean;
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

/** The x values of time bins (sorted; every bin between the first and last when filled) and the bin width. */
function binAxis(xs: readonly string[], fillBins: boolean): { xs: string[]; step: number } {
  const starts = xs.map(Number).sort((a, b) => a - b);
  const step = binStep(starts);
  const first = starts[0] as number;
  const last = starts[starts.length - 1] as number;
  if (fillBins && step > 0 && (last - first) / step <= MAX_FILLED_BINS) {
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
  const seriesFields = timed ? groups : groups.slice(1);
  const distinct = [...new Set(rows.map((r) => (xField ? String(r[xField]) : '')))];
  const { xs, step } = timed ? binAxis(distinct, options.fillBins) : { xs: distinct, step: 0 };
  const index = new Map(xs.map((x, i) => [x, i]));
  const byKey = new Map<string, { data: (number | null)[]; currency?: string }>();
  for (const row of rows) {
    const key = seriesFields.length > 0 ? groupKey(row, seriesFields) : 'value';
    let series = byKey.get(key);
    if (!series) {
      series = {
        data: xs.map(() => (options.zeroFill ? 0 : null)),
        ...(typeof row.currency === 'string' ? { currency: row.currency } : {}),
      };
      byKey.set(key, series);
    }
    const x = index.get(xField ? String(row[xField]) : '');
    if (x === undefined) continue;
    const v = row.value === null || row.value === undefined ? null : Number(row.value);
    series.data[x] = v !== null && Number.isFinite(v) ? v : null;
  }
  return {
    labels: xs.map((x) =>
      timed ? formatTime(Number(x), options.spanMs, step) : x === 'null' ? '(none)' : x,
    ),
    datasets: [...byKey].map(([label, s]) => ({ label, ...s })),
  };
}
