import { describe, expect, it } from 'vitest';
import {
  failureOf,
  READ_WINDOWS,
  readPaths,
  summarizeLatencies,
} from '../../../scripts/bench/scale-reads.js';

const NOW_MS = Date.parse('2026-11-20T12:00:00Z');

describe('readPaths', () => {
  it('reads every view over 24 h, 7 d and 30 d ending now, then reconcile, stuck, stats, alarms, a timeline', () => {
    // Act
    const paths = readPaths(['executive', 'finance'], NOW_MS, () => 'INV-1');

    // Assess
    expect(paths.map((p) => p.name)).toEqual([
      'executive 24 h',
      'executive 7 d',
      'executive 30 d',
      'finance 24 h',
      'finance 7 d',
      'finance 30 d',
      'reconcile 24 h',
      'stuck',
      'stats',
      'alarms',
      'invoice timeline',
    ]);
    expect(paths[1]?.path()).toBe(
      '/dashboards/executive/data?from=2026-11-13T12%3A00%3A00.000Z&to=2026-11-20T12%3A00%3A00.000Z',
    );
    expect(paths[6]?.path()).toBe(
      '/reconcile?from=2026-11-19T12%3A00%3A00.000Z&to=2026-11-20T12%3A00%3A00.000Z',
    );
    expect(READ_WINDOWS.map((w) => w.label)).toEqual(['24 h', '7 d', '30 d']);
  });

  it('asks for a fresh random invoice on every timeline read', () => {
    // Prepare
    let n = 0;
    const timeline = readPaths([], NOW_MS, () => `INV-${++n}`).find((p) => p.name === 'invoice timeline');

    // Act / Assess
    expect(timeline?.path()).toBe('/invoices/INV-1');
    expect(timeline?.path()).toBe('/invoices/INV-2');
  });
});

describe('failureOf', () => {
  it('passes a 200 answer and a dashboard whose panels all answered', () => {
    expect(failureOf(200, '{"totals":{}}')).toBeUndefined();
    expect(failureOf(200, '{"view":"executive","panels":{"a":{"rows":[]}}}')).toBeUndefined();
  });

  it('names a status other than 200 and the panels that answered an error', () => {
    expect(failureOf(503, '{"message":"draining"}')).toBe('503 {"message":"draining"}');
    expect(
      failureOf(
        200,
        '{"view":"finance","panels":{"a":{"rows":[]},"b":{"error":"timeout"},"c":{"error":"x"}}}',
      ),
    ).toBe('2 panel(s) failed, e.g. b: timeout');
  });
});

describe('summarizeLatencies', () => {
  it('answers count, p50, p95 (nearest rank) and max of the timed requests, and the first failure', () => {
    // Act
    const figures = summarizeLatencies('stats', 40, [5, 1, 4, 2, 3], ['503 busy']);

    // Assess
    expect(figures).toEqual({
      name: 'stats',
      n: 5,
      coldMs: 40,
      p50Ms: 3,
      p95Ms: 5,
      maxMs: 5,
      failures: 1,
      firstFailure: '503 busy',
    });
  });

  it('answers NaN figures when no request was timed', () => {
    const figures = summarizeLatencies('stuck', Number.NaN, [], []);
    expect([figures.n, figures.p50Ms, figures.maxMs, figures.failures]).toEqual([
      0,
      Number.NaN,
      Number.NaN,
      0,
    ]);
  });
});
