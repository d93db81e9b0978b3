import type { Chart as ChartClass, ChartConfiguration, ChartDataset } from 'chart.js';
import type { PanelMeta } from '../../schemas/api/index.js';
import { el } from './dom.js';
import { formatValue } from './format.js';
import type { Series } from './series.js';
import { state } from './state.js';

/**
 * chart.js wrappers: a panel's series to a chart configuration, and drawing it into a panel body
 * (updated in place on each poll, re-created when its kind changes). chart.js is the UMD build the
 * cell serves (`window.Chart`), so the page works offline; only its types are imported.
 *
 * @example
 * drawChart(panel, body, toSeries(rows, options));
 */

declare global {
  interface Window {
    Chart: typeof ChartClass;
  }
}

const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#4d7c0f'];

type ChartKind = 'line' | 'bar' | 'doughnut';

/** The chart.js type of a panel; a line through one bin is a lone dot on the axis, so that is a bar. */
function chartKind(panel: PanelMeta, series: Series): ChartKind {
  if (panel.chart === 'stacked-bar' || (panel.chart === 'line' && series.labels.length === 1)) return 'bar';
  return panel.chart === 'doughnut' ? 'doughnut' : (panel.chart as ChartKind);
}

function datasetsOf(kind: ChartKind, series: Series): ChartDataset[] {
  return series.datasets.map((s, i): ChartDataset => {
    const color = PALETTE[i % PALETTE.length] as string;
    if (kind === 'doughnut') {
      return {
        label: s.label,
        data: s.data,
        backgroundColor: series.labels.map((_, j) => PALETTE[j % PALETTE.length]),
      };
    }
    return {
      label: s.label,
      data: s.data,
      borderColor: color,
      backgroundColor: kind === 'line' ? color : `${color}cc`,
      pointRadius: kind === 'line' ? 2 : 0,
      tension: 0,
      spanGaps: true,
    } as ChartDataset;
  });
}

/** The tooltip text of a point: money with two decimals and its series' currency. */
function tooltipLabel(panel: PanelMeta, series: Series) {
  return (ctx: { dataset: { label?: string }; raw: unknown; datasetIndex: number }): string => {
    const currency = series.datasets[ctx.datasetIndex]?.currency;
    const raw = ctx.raw as number | null;
    const shown = panel.unit === 'money' && raw !== null ? raw.toFixed(2) : raw;
    return `${ctx.dataset.label ?? ''}: ${formatValue(shown, panel.unit, currency)}`;
  };
}

function scalesOf(panel: PanelMeta): Record<string, unknown> {
  const stacked = panel.chart === 'stacked-bar';
  const unitLabel = panel.unit === 'money' ? 'amount (per currency)' : panel.unit;
  return {
    x: {
      stacked,
      ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 16, maxTicksLimit: 6, font: { size: 10 } },
    },
    y: {
      stacked,
      beginAtZero: true,
      title: { display: true, text: unitLabel, font: { size: 10 } },
      ticks: {
        font: { size: 10 },
        precision: panel.unit === 'count' || panel.unit === 'events' ? 0 : undefined,
      },
    },
  };
}

/**
 * The chart.js configuration of a panel's series.
 *
 * @example
 * new window.Chart(canvas, chartConfig(panel, series));
 */
export function chartConfig(panel: PanelMeta, series: Series): ChartConfiguration {
  const kind = chartKind(panel, series);
  return {
    type: kind,
    data: { labels: series.labels, datasets: datasetsOf(kind, series) },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: {
          position: kind === 'doughnut' ? 'right' : 'bottom',
          labels: { boxWidth: 10, font: { size: 11 } },
        },
        tooltip: { callbacks: { label: tooltipLabel(panel, series) } },
      },
      ...(kind === 'doughnut' ? {} : { scales: scalesOf(panel) }),
    } as ChartConfiguration['options'],
  } as ChartConfiguration;
}

/**
 * Draws a panel's series into its body: updates its chart in place, or creates one (a new canvas)
 * when it has none or its kind changed. Marks the body empty when no series has a value.
 *
 * @example
 * drawChart(panel, body, series);
 */
export function drawChart(panel: PanelMeta, body: HTMLElement, series: Series): void {
  let canvas = body.querySelector('canvas');
  let chart = state.charts.get(panel.id);
  const next = chartConfig(panel, series);
  if (chart && (chart.config as { type?: string }).type !== next.type) {
    chart.destroy();
    chart = undefined;
  }
  if (!canvas || !chart) {
    canvas = el('canvas');
    body.replaceChildren(el('div', { class: 'chart-box' }, canvas));
    chart = new window.Chart(canvas, next);
    state.charts.set(panel.id, chart);
  } else {
    chart.data = next.data;
    chart.update('none');
  }
  const empty = series.datasets.length === 0 || series.datasets.every((d) => d.data.every((v) => v === null));
  body.classList.toggle('is-empty', empty);
  body.dataset.empty = String(empty);
}

/**
 * Destroys the chart of a panel (its body is about to show something else).
 *
 * @example
 * destroyChart('exec-invoices-by-stage');
 */
export function destroyChart(panelId: string): void {
  state.charts.get(panelId)?.destroy();
  state.charts.delete(panelId);
}

/**
 * Destroys every chart of the view (the view is rebuilt).
 *
 * @example
 * destroyAllCharts();
 */
export function destroyAllCharts(): void {
  for (const chart of state.charts.values()) chart.destroy();
  state.charts.clear();
}
