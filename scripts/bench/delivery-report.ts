import type { DeliveryBenchOptions } from './delivery-options.js';
import { type DeliveryFigures, latencySummary } from './delivery-tally.js';
import { fmt } from './results-table.js';

/**
 * The delivery bench's result: the figures as a Markdown table with their definitions, and whether
 * the run passed (everything delivered, in order). Pure.
 *
 * @example
 * const { lines, ok } = deliveryReport({ options, sent, sendStartMs, sendEndMs, figures, timedOut });
 * for (const line of lines) console.log(line);
 * process.exitCode = ok ? 0 : 1;
 */
export interface DeliveryRun {
  readonly options: DeliveryBenchOptions;
  /** Events the cell accepted. */
  readonly sent: number;
  readonly sendStartMs: number;
  readonly sendEndMs: number;
  readonly figures: DeliveryFigures;
  /** The drain deadline passed before every event was delivered. */
  readonly timedOut: boolean;
}

/** Events per second over `ms`; NaN for an empty interval. Pure. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : Number.NaN;
}

function share(part: number, whole: number): string {
  return whole > 0 ? `${fmt((100 * part) / whole, 2)}%` : 'n/a';
}

/** The figures of a run, what they mean, and whether it passed. */
export function deliveryReport(run: DeliveryRun): { lines: string[]; ok: boolean } {
  const f = run.figures;
  const latency = latencySummary(f.latenciesMs);
  const deliveredMs = f.lastDeliveredAtMs === undefined ? 0 : f.lastDeliveredAtMs - run.sendStartMs;
  const rows: [string, string][] = [
    ['events sent (accepted by the cell)', fmt(run.sent)],
    ['send rate (ev/s)', fmt(perSecond(run.sent, run.sendEndMs - run.sendStartMs))],
    ['delivered (distinct, 2xx)', `${fmt(f.delivered)} (${share(f.delivered, run.sent)})`],
    ['delivered ev/s', fmt(perSecond(f.delivered, deliveredMs))],
    [
      'latency p50 / p95 / p99 / max (ms)',
      [latency.p50, latency.p95, latency.p99, latency.max].map((v) => fmt(v)).join(' / '),
    ],
    ['pushes received', fmt(f.pushes)],
    [
      `answered 500 (--fail-rate ${run.options.failRate})`,
      `${fmt(f.failedPushes)} (${share(f.failedPushes, f.pushes)})`,
    ],
    ['retries seen', fmt(f.retries)],
    ['duplicates seen', fmt(f.duplicates)],
    ['per-invoice order violations', fmt(f.orderViolations)],
    ['pushes of unknown events', fmt(f.unexpected)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const valueWidth = Math.max(...rows.map(([, v]) => v.length));
  const ok = !run.timedOut && f.delivered === run.sent && f.orderViolations === 0;
  const o = run.options;
  return {
    ok,
    lines: [
      '',
      `delivery bench: ${fmt(run.sent)} events, ${o.eventsPerInvoice} per invoice, fail rate ${o.failRate}, sync ${o.synchronous}, ${o.senders} senders x ${o.batch} events`,
      '',
      `| ${'figure'.padEnd(width)} | ${'value'.padEnd(valueWidth)} |`,
      `|${'-'.repeat(width + 2)}|${'-'.repeat(valueWidth + 2)}|`,
      ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v.padEnd(valueWidth)} |`),
      '',
      'delivered ev/s = distinct messages answered 2xx / (last first-delivery - start of sending); latency = arrival of the 2xx-answered push - the cell accepting the event (backoff of retries included);',
      'retries = pushes of a message answered 500 before; duplicates = pushes of a message already answered 2xx; order violation = a first push that is not the event after its invoice’s last 2xx one.',
      ...(run.timedOut
        ? [
            `TIMED OUT after --drain-timeout-sec ${o.drainTimeoutSec}: ${fmt(run.sent - f.delivered)} event(s) not delivered`,
          ]
        : []),
      ok ? 'PASS: every event delivered, per-invoice order kept' : 'FAIL: see the figures above',
    ],
  };
}
