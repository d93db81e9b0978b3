import type { Chart as ChartClass, ChartConfiguration, ChartDataset } from 'chart.js';
import type { PanelMeta } from '../../schemas/api/index.js';
import { el } from './dom.js';
import { formatMoney, formatValue } from './format.js';
import type { Series } from './series.js';
import { state } from './state.js';

/**
 * chart.js wrappers: a panel's chart parts to chart configurations, and drawing them into a panel
 * body (updated in place on each poll, re-created when their kinds or parts change). A money panel
 * draws one small chart per currency (each part one currency, its axis titled with the code), so
 * no numeric axis ever holds two currencies; other panels draw one part. chart.js is the UMD build
 * the cell serves (`window.Chart`), so the page works offline; only its types are imported.
 *
 * @example
 * drawCharts(panel, body, [{ key: '', series, xTitle: 'stage', yTitle: 'count' }]);
 */

declare global {
  interface Window {
    Chart: typeof ChartClass;
  }
}

/** One chart of a panel: its series and axis titles; money parts name their one currency. */
export interface ChartPart {
  /** Identifies the part across polls: the currency for money, '' for a panel's only chart. */
  readonly key: string;
  readonly series: Series;
  readonly xTitle: string;
  readonly yTitle: string;
  readonly currency?: string;
}

const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#4d7c0f'];

/** Axis tick labels: short (`2M`, `1.5K`) so large amounts fit a small chart; tooltips are exact. */
const compactNumber = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

type ChartKind = 'line' | 'bar' | 'doughnut';

/** The chart.js type of a panel; a line through one bin is a lone dot on the axis, so that is a bar. */
function chartKind(panel: PanelMeta, series: Series): ChartKind {
  if (panel.chart === 'stacked-bar' || (panel.chart === 'line' && series.labels.length === 1)) return 'bar';
  return panel.chart === 'doughnut' ? 'doughnut' : (panel.chart as ChartKind);
}

function datasetsOf(kind: ChartKind, series: Series): ChartDataset[] {
  return series.datasets.map((s, i): ChartDataset => {
    const color = PALETTE[i % PALETTE.length] as string;
    // `currency` is not a chart.js option: it marks the dataset for readers and tests of the config.
    const money = s.currency === undefined ? {} : { currency: s.currency };
    if (kind === 'doughnut') {
      return {
        label: s.label,
        data: s.data,
        backgroundColor: series.labels.map((_, j) => PALETTE[j % PALETTE.length]),
        ...money,
      } as ChartDataset;
    }
    return {
      label: s.label,
      data: s.data,
      borderColor: color,
      backgroundColor: kind === 'line' ? color : `${color}cc`,
      pointRadius: kind === 'line' ? 2 : 0,
      tension: 0,
      spanGaps: true,
      ...money,
    } as ChartDataset;
  });
}

/** The tooltip text of a point: money exactly, from its decimal string, in its series' currency. */
function tooltipLabel(panel: PanelMeta, series: Series) {
  return (ctx: {
    dataset: { label?: string };
    raw: unknown;
    datasetIndex: number;
    dataIndex: number;
  }): string => {
    const s = series.datasets[ctx.datasetIndex];
    const exact = s?.exact?.[ctx.dataIndex];
    const shown =
      exact !== undefined && exact !== null && s?.currency !== undefined
        ? formatMoney(exact, s.currency)
        : formatValue(ctx.raw, panel.unit, s?.currency);
    return `${ctx.dataset.label ?? ''}: ${shown}`;
  };
}

function scalesOf(panel: PanelMeta, part: ChartPart): Record<string, unknown> {
  const stacked = panel.chart === 'stacked-bar';
  const title = (text: string) => ({ display: true, text, font: { size: 10 } });
  return {
    x: {
      stacked,
      title: title(part.xTitle),
      ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 16, maxTicksLimit: 6, font: { size: 10 } },
    },
    y: {
      stacked,
      beginAtZero: true,
      title: title(part.yTitle),
      ticks: {
        font: { size: 10 },
        precision: panel.unit === 'count' || panel.unit.startsWith('events') ? 0 : undefined,
        ...(panel.unit === 'money'
          ? { callback: (v: number | string) => compactNumber.format(Number(v)) }
          : {}),
      },
    },
  };
}

/**
 * The chart.js configuration of one chart part of a panel.
 *
 * @example
 * new window.Chart(canvas, chartConfig(panel, part));
 */
export function chartConfig(panel: PanelMeta, part: ChartPart): ChartConfiguration {
  const kind = chartKind(panel, part.series);
  return {
    type: kind,
    data: { labels: part.series.labels, datasets: datasetsOf(kind, part.series) },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: {
          // One unnamed series needs no legend: the axis titles say what it is.
          display: !(part.series.datasets.length === 1 && part.series.datasets[0]?.label === 'value'),
          position: kind === 'doughnut' ? 'right' : 'bottom',
          labels: { boxWidth: 10, font: { size: 11 } },
        },
        tooltip: { callbacks: { label: tooltipLabel(panel, part.series) } },
      },
      ...(kind === 'doughnut' ? {} : { scales: scalesOf(panel, part) }),
    } as ChartConfiguration['options'],
  } as ChartConfiguration;
}

/** A part's box: its caption (the currency), a canvas, and data attributes naming its axes. */
function partBox(part: ChartPart, canvas: HTMLCanvasElement): HTMLElement {
  return el(
    'figure',
    {
      class: 'chart-part',
      'data-testid': 'chart',
      'data-x-title': part.xTitle,
      'data-y-title': part.yTitle,
      ...(part.currency === undefined ? {} : { 'data-currency': part.currency }),
    },
    ...(part.currency === undefined ? [] : [el('figcaption', {}, part.currency)]),
    el('div', { class: 'chart-box' }, canvas),
  );
}

/**
 * Draws a panel's chart parts into its body: updates its charts in place when the parts and their
 * kinds are unchanged, else rebuilds them (new canvases).
 *
 * @example
 * drawCharts(panel, body, parts);
 */
export function drawCharts(panel: PanelMeta, body: HTMLElement, parts: readonly ChartPart[]): void {
  const configs = parts.map((part) => chartConfig(panel, part));
  const existing = state.charts.get(panel.id);
  const same =
    existing !== undefined &&
    existing.size === parts.length &&
    body.querySelector('.chart-parts') !== null &&
    parts.every((part, i) => {
      const chart = existing.get(part.key);
      return chart !== undefined && (chart.config as { type?: string }).type === configs[i]?.type;
    });
  if (same) {
    parts.forEach((part, i) => {
      const chart = existing.get(part.key) as ChartClass;
      chart.data = (configs[i] as ChartConfiguration).data;
      chart.options = (configs[i] as ChartConfiguration).options ?? {};
      chart.update('none');
    });
    return;
  }
  destroyChart(panel.id);
  const canvases = parts.map(() => el('canvas'));
  const boxes = parts.map((part, i) => partBox(part, canvases[i] as HTMLCanvasElement));
  body.replaceChildren(
    el('div', { class: parts.length > 1 ? 'chart-parts multiple' : 'chart-parts' }, ...boxes),
  );
  // chart.js sizes a canvas from its parent: create the charts once their boxes are in the page.
  const charts = new Map<string, ChartClass>();
  parts.forEach((part, i) => {
    charts.set(
      part.key,
      new window.Chart(canvases[i] as HTMLCanvasElement, configs[i] as ChartConfiguration),
    );
  });
  state.charts.set(panel.id, charts);
}

/**
 * Destroys the charts of a panel (its body is about to show something else).
 *
 * @example
 * destroyChart('exec-invoices-by-stage');
 */
export function destroyChart(panelId: string): void {
  for (const chart of state.charts.get(panelId)?.values() ?? []) chart.destroy();
  state.charts.delete(panelId);
}

/**
 * Destroys every chart of the view (the view is rebuilt).
 *
 * @example
 * destroyAllCharts();
 */
export function destroyAllCharts(): void {
  for (const charts of state.charts.values()) for (const chart of charts.values()) chart.destroy();
  state.charts.clear();
}
