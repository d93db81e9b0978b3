import { describe, expect, it } from 'vitest';
import type { HttpSendResult } from '../../../scripts/bench/scale-fill.js';
import { medianProbe } from '../../../scripts/bench/scale-probe.js';

function probe(eventsPerSec: number, sec = 20_000 / eventsPerSec): HttpSendResult {
  return { events: 20_000, requests: 2_000, retries: 0, sec, eventsPerSec, stored: 20_000 };
}

describe('medianProbe', () => {
  it('reports the middle probe whole, with every rate in the order the probes ran', () => {
    // Act
    const median = medianProbe([probe(3_710), probe(2_675, 7.5), probe(3_364, 5.9)]);

    // Assess
    expect(median).toEqual({ ...probe(3_364, 5.9), rounds: [3_710, 2_675, 3_364] });
  });

  it('takes the lower middle probe of an even count, and a single probe as it is', () => {
    expect(medianProbe([probe(4_000), probe(3_000)]).eventsPerSec).toBe(3_000);
    expect(medianProbe([probe(2_500)])).toEqual({ ...probe(2_500), rounds: [2_500] });
  });

  it('refuses an empty list', () => {
    expect(() => medianProbe([])).toThrow('medianProbe: no probe ran');
  });
});
