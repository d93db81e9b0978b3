import { describe, expect, it } from 'vitest';
import { parseDeliveryOptions } from '../../../scripts/bench/delivery-options.js';
import { deliveryReport, perSecond } from '../../../scripts/bench/delivery-report.js';
import type { DeliveryFigures } from '../../../scripts/bench/delivery-tally.js';

const OPTIONS = parseDeliveryOptions(['--events', '4', '--fail-rate', '0.05']);
const FIGURES: DeliveryFigures = {
  delivered: 4,
  pushes: 5,
  failedPushes: 1,
  retries: 1,
  duplicates: 0,
  orderViolations: 0,
  unexpected: 0,
  latenciesMs: [10, 20, 30, 40],
  lastDeliveredAtMs: 2_000,
};
const RUN = {
  options: OPTIONS,
  sent: 4,
  sendStartMs: 0,
  sendEndMs: 1_000,
  figures: FIGURES,
  timedOut: false,
};

/** The value of a figure row of the report. */
function row(lines: readonly string[], figure: string): string | undefined {
  return lines
    .find((l) => l.startsWith(`| ${figure}`))
    ?.split('|')[2]
    ?.trim();
}

describe('deliveryReport', () => {
  it('prints events/s delivered over the time from the first send to the last delivery, and the latency percentiles', () => {
    // Act
    const { lines, ok } = deliveryReport(RUN);

    // Assess
    expect(ok).toBe(true);
    expect(row(lines, 'delivered ev/s')).toBe('2');
    expect(row(lines, 'send rate (ev/s)')).toBe('4');
    expect(row(lines, 'latency p50 / p95 / p99 / max (ms)')).toBe('30 / 40 / 40 / 40');
    expect(row(lines, 'answered 500 (--fail-rate 0.05)')).toBe('1 (20.00%)');
    expect(row(lines, 'retries seen')).toBe('1');
    expect(row(lines, 'per-invoice order violations')).toBe('0');
    expect(lines.at(-1)).toBe('PASS: every event delivered, per-invoice order kept');
  });

  it('fails a run with an order violation, a missing delivery or a timeout', () => {
    expect(deliveryReport({ ...RUN, figures: { ...FIGURES, orderViolations: 1 } }).ok).toBe(false);
    expect(deliveryReport({ ...RUN, figures: { ...FIGURES, delivered: 3 } }).ok).toBe(false);
    const timedOut = deliveryReport({ ...RUN, figures: { ...FIGURES, delivered: 3 }, timedOut: true });
    expect(timedOut.ok).toBe(false);
    expect(timedOut.lines).toContain('TIMED OUT after --drain-timeout-sec 900: 1 event(s) not delivered');
  });

  it('shows n/a for rates and latencies of a run that delivered nothing', () => {
    // Act
    const { lines } = deliveryReport({
      ...RUN,
      figures: { ...FIGURES, delivered: 0, latenciesMs: [], lastDeliveredAtMs: undefined },
    });

    // Assess
    expect(row(lines, 'delivered ev/s')).toBe('n/a');
    expect(row(lines, 'latency p50 / p95 / p99 / max (ms)')).toBe('n/a / n/a / n/a / n/a');
    expect(perSecond(5, 0)).toBeNaN();
  });
});
