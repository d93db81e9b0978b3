import type { HttpSendResult } from './scale-fill.js';

/**
 * The ingest figure of one size: the median of several probes, and every probe's rate. One probe
 * of 20,000 events on this 2-core machine swings by ±20 % from run to run (three empty-cell probes
 * within an hour on 2026-11-30: 2,675, 3,364 and 3,710 events/s), more than the 10 % the issue
 * allows, so a single probe cannot tell a slower cell from a noisy minute.
 *
 * @example
 * medianProbe([a, b, c]).eventsPerSec; // the middle rate of the three
 */
export interface IngestProbe extends HttpSendResult {
  /** Every probe's events/s, in the order they ran. */
  readonly rounds: readonly number[];
}

/** The probe with the median rate (the lower middle one for an even count), with all rates. */
export function medianProbe(probes: readonly HttpSendResult[]): IngestProbe {
  if (probes.length === 0) throw new Error('medianProbe: no probe ran');
  const sorted = [...probes].sort((a, b) => a.eventsPerSec - b.eventsPerSec);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as HttpSendResult;
  return { ...median, rounds: probes.map((p) => p.eventsPerSec) };
}
