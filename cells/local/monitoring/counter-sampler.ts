import type { StageSignalInputs } from '../../../consumers/monitoring/alarm-readings.js';
import type { AlarmRule, AlarmSignal } from '../../alarm-rules.js';
import type { CellTopology } from '../../topology.js';
import { LATENCY_BUCKETS_SEC, type LatencyHistogram } from '../engine/engine.js';
import { type CellStats, histogramQuantile, type StageStats } from './cell-stats.js';

/**
 * Samples the cell's all-time counters at each alarm evaluation and turns them into the
 * per-period inputs `buildAlarmReadings` wants: processed messages, failures, p99 latency and API
 * answers are deltas against a baseline sample about one delta window old; queue gauges are
 * taken as they are.
 *
 * @example
 * const sampler = new CounterSampler(topology, deltaWindowMsOf(rules));
 * const { stages, apiAnswers, api5xx } = sampler.sample(await ctx.stats(), api.counts(), clock.now());
 */

/** API answers since start, and how many of them were 5xx. */
export interface ApiAnswerCounts {
  readonly answers: number;
  readonly errors5xx: number;
}

/** What one sample gives the alarm readings: stage inputs without stuck counts, and API deltas. */
export interface CounterDeltas {
  readonly stages: Record<string, StageSignalInputs>;
  readonly apiAnswers: number;
  readonly api5xx: number;
}

interface StageCounters {
  readonly processed: number;
  readonly failures: number;
  readonly latency: LatencyHistogram;
}

interface CounterSample {
  readonly atMs: number;
  readonly stages: ReadonlyMap<string, StageCounters>;
  readonly api: ApiAnswerCounts;
}

const SIGNALS_WITH_DELTAS: ReadonlySet<AlarmSignal> = new Set([
  'latencyP99Sec',
  'errorRatePct',
  'apiErrorRatePct',
]);

/** Processing failures that count against the error rate: a message held behind a failed one is not an error. */
export function failuresOf(s: StageStats): number {
  return s.failures.invalid + s.failures.rejected + s.failures.transient;
}

/** Deltas are taken over the shortest period of the rules whose signal is a rate or a latency. */
export function deltaWindowMsOf(rules: readonly AlarmRule[]): number {
  return Math.min(...rules.filter((r) => SIGNALS_WITH_DELTAS.has(r.signal)).map((r) => r.periodSec)) * 1000;
}

function latencyDelta(now: LatencyHistogram, base: LatencyHistogram | undefined): LatencyHistogram {
  if (!base) return now;
  return {
    buckets: now.buckets.map((n, i) => n - (base.buckets[i] ?? 0)),
    count: now.count - base.count,
    sumSec: now.sumSec - base.sumSec,
  };
}

/** p99 of a histogram delta; beyond the last bucket it is reported as the last bound (a lower bound). */
function p99Of(h: LatencyHistogram): number | null {
  const q = histogramQuantile(h, 0.99);
  if (q === null) return null;
  return Number.isFinite(q) ? q : (LATENCY_BUCKETS_SEC[LATENCY_BUCKETS_SEC.length - 1] as number);
}

function sampleOf(stats: CellStats, api: ApiAnswerCounts, atMs: number): CounterSample {
  return {
    atMs,
    stages: new Map(
      Object.entries(stats.stages).map(([name, s]) => [
        name,
        { processed: s.processed, failures: failuresOf(s), latency: s.latency },
      ]),
    ),
    api,
  };
}

/** Keeps the samples of the last two delta windows and answers deltas against a baseline among them. */
export class CounterSampler {
  readonly #topology: CellTopology;
  readonly #deltaWindowMs: number;
  #samples: CounterSample[] = [];

  constructor(topology: CellTopology, deltaWindowMs: number) {
    this.#topology = topology;
    this.#deltaWindowMs = deltaWindowMs;
  }

  /** Records a sample of `stats` at `nowMs` and returns the deltas since the baseline. */
  sample(stats: CellStats, api: ApiAnswerCounts, nowMs: number): CounterDeltas {
    const sample = sampleOf(stats, api, nowMs);
    // Baseline: the newest sample at least one window old, else the oldest one kept.
    const base =
      [...this.#samples].reverse().find((s) => s.atMs <= nowMs - this.#deltaWindowMs) ?? this.#samples[0];
    this.#samples = [...this.#samples.filter((s) => s.atMs >= nowMs - 2 * this.#deltaWindowMs), sample];
    const stages: Record<string, StageSignalInputs> = {};
    for (const stage of this.#topology.stages) {
      const s = stats.stages[stage.name];
      if (!s) continue;
      const now = sample.stages.get(stage.name);
      const before = base?.stages.get(stage.name);
      const latency = now ? latencyDelta(now.latency, before?.latency) : undefined;
      stages[stage.name] = {
        queueDepth: s.visible,
        oldestMessageAgeSec: s.oldestMessageAgeSec,
        dlqDepth: s.inDlq,
        latencyP99Sec: latency ? p99Of(latency) : null,
        processed: (now?.processed ?? 0) - (before?.processed ?? 0),
        failures: (now?.failures ?? 0) - (before?.failures ?? 0),
      };
    }
    return {
      stages,
      apiAnswers: api.answers - (base?.api.answers ?? 0),
      api5xx: api.errors5xx - (base?.api.errors5xx ?? 0),
    };
  }
}
