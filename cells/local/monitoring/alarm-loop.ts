import {
  type AlarmState,
  type AlarmTransition,
  evaluateAlarms,
} from '../../../consumers/monitoring/alarm-evaluator.js';
import type { AlarmNotifier } from '../../../consumers/monitoring/alarm-notifier.js';
import { buildAlarmReadings, type StageSignalInputs } from '../../../consumers/monitoring/alarm-readings.js';
import { countStuckByStage, type StuckInvoice } from '../../../consumers/monitoring/stuck.js';
import type { AlarmRule } from '../../alarm-rules.js';
import type { CellTopology, StageName } from '../../topology.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { AlarmTransitionStore, TransitionRow } from './alarm-store.js';
import type { CellStats } from './cell-stats.js';
import { type ApiAnswerCounts, CounterSampler, deltaWindowMsOf } from './counter-sampler.js';
import { errorText } from './error-text.js';

/**
 * The local cell's alarm loop: every `intervalMs` the cell's live stats, per-period deltas of its
 * counters and the stuck-invoice counts become readings (`buildAlarmReadings`), `evaluateAlarms`
 * applies the rules, and the transitions are stored, then notified.
 *
 * A batch of transitions that cannot be stored (database busy for too long) stays in memory
 * ({@link AlarmLoop.pending}) and is retried on the next tick; `/alarms` shows it meanwhile. On
 * construction the latest stored state of each rule is restored, so a restart does not
 * re-announce every rule going from INSUFFICIENT_DATA to OK; on a first start, each rule's first
 * evaluation finding it OK is stored but logged at debug only (the notifier is told which rules
 * are evaluated for the first time).
 *
 * @example
 * const loop = new AlarmLoop({ topology, rules, store, notifier, logger, clock, intervalMs: 10_000,
 *   stats: () => ctx.stats(), apiCounts: () => counts, stuckInvoices: (nowMs) => stuck.invoices(nowMs) });
 * await loop.start();
 * app.addHook('onClose', () => loop.close());
 */

/** What the loop reads and where it sends transitions. */
export interface AlarmLoopOptions {
  readonly topology: CellTopology;
  readonly rules: readonly AlarmRule[];
  readonly store: AlarmTransitionStore;
  readonly notifier: AlarmNotifier;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Between evaluations. */
  readonly intervalMs: number;
  /** The cell's live stats. */
  stats(): Promise<CellStats>;
  /** API answers since start (the 5xx rate). */
  apiCounts(): ApiAnswerCounts;
  /** Unfinished invoices past their stage SLA at `nowMs` (a store scan). */
  stuckInvoices(nowMs: number): StuckInvoice[];
}

/** How long a batch of transitions may wait for the write lock before it is kept for the next tick. */
const STORE_MAX_WAIT_MS = 2_000;

/** The stored state of each known rule; without a lastEvaluatedAtMs a rule is evaluated at once. */
export function restoreAlarmStates(
  rows: readonly TransitionRow[],
  rules: readonly AlarmRule[],
): Map<string, AlarmState> {
  const ruleById = new Map(rules.map((r) => [r.id, r]));
  const states = new Map<string, AlarmState>();
  for (const row of rows) {
    const rule = ruleById.get(row.rule_id);
    if (!rule) continue;
    states.set(rule.id, {
      value: row.to_state,
      breachingStreak: row.to_state === 'ALARM' ? rule.evaluationPeriods : 0,
      sinceMs: row.at_ms,
      ...(row.value !== null ? { lastReading: row.value } : {}),
      reason: row.reason,
    });
  }
  return states;
}

/** Evaluates the rules on a timer, keeps their states, stores and notifies their transitions. */
export class AlarmLoop {
  readonly #options: AlarmLoopOptions;
  readonly #sampler: CounterSampler;
  readonly #stuckRule: AlarmRule | undefined;
  #states: Map<string, AlarmState>;
  #pending: AlarmTransition[] = [];
  #stuckCache: { atMs: number; counts: Map<StageName, number> } | undefined;
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: AlarmLoopOptions) {
    this.#options = options;
    this.#sampler = new CounterSampler(options.topology, deltaWindowMsOf(options.rules));
    this.#stuckRule = options.rules.find((r) => r.signal === 'stuckInvoices');
    this.#states = restoreAlarmStates(options.store.latestPerRule(), options.rules);
  }

  /** The current state of each evaluated (or restored) rule. */
  get states(): ReadonlyMap<string, AlarmState> {
    return this.#states;
  }

  /** Transitions not stored yet, oldest first. */
  get pending(): readonly AlarmTransition[] {
    return this.#pending;
  }

  /** Evaluates once (so `/alarms` always has states), then every `intervalMs`. */
  async start(): Promise<void> {
    await this.#evaluate();
    this.#timer = setInterval(() => {
      if (!this.#closed) void this.#evaluate();
    }, this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a running evaluation. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One evaluation at a time: a tick that finds one running joins it. */
  #evaluate(): Promise<void> {
    this.#running ??= this.#evaluateOnce()
      .catch((error: unknown) =>
        this.#options.logger.error('alarm evaluation failed', { error: errorText(error) }),
      )
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  async #evaluateOnce(): Promise<void> {
    const { topology, rules, clock, notifier } = this.#options;
    const stats = await this.#options.stats();
    const nowMs = clock.now();
    const deltas = this.#sampler.sample(stats, this.#options.apiCounts(), nowMs);
    const stuckCounts = this.#stuckCounts(nowMs);
    const stages: Record<string, StageSignalInputs> = {};
    for (const [name, inputs] of Object.entries(deltas.stages)) {
      const stuck = stuckCounts.get(name as StageName);
      stages[name] = { ...inputs, ...(stuck !== undefined ? { stuckInvoices: stuck } : {}) };
    }
    const readings = buildAlarmReadings(topology, {
      stages,
      // The local relay and bus run inside the ingest transaction: a failure fails the request.
      relayDlqDepth: 0,
      busDlqDepth: 0,
      apiAnswers: deltas.apiAnswers,
      api5xx: deltas.api5xx,
    });
    // Rules with no state yet (not even a restored one): their first transition is the boot's.
    const firstEvaluation = new Set(rules.filter((r) => !this.#states.has(r.id)).map((r) => r.id));
    const evaluation = evaluateAlarms(rules, readings, this.#states, nowMs);
    this.#states = evaluation.states;
    await this.#persist(evaluation.transitions);
    await notifier.notify(evaluation.transitions, { firstEvaluation });
  }

  /** Stuck invoices by stage; the check is a store scan, so it runs at most once per stuck-rule period. */
  #stuckCounts(nowMs: number): ReadonlyMap<StageName, number> {
    const cache = this.#stuckCache;
    const rule = this.#stuckRule;
    if (!cache || !rule || nowMs - cache.atMs >= rule.periodSec * 1000 - 1) {
      const counts = countStuckByStage(this.#options.stuckInvoices(nowMs), this.#options.topology);
      this.#stuckCache = { atMs: nowMs, counts };
      return counts;
    }
    return cache.counts;
  }

  async #persist(transitions: readonly AlarmTransition[]): Promise<void> {
    this.#pending = [...this.#pending, ...transitions];
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    try {
      await this.#options.store.append(batch, STORE_MAX_WAIT_MS);
      this.#pending = this.#pending.slice(batch.length);
    } catch (error) {
      this.#options.logger.error('could not store alarm transitions; kept in memory and retried', {
        error: errorText(error),
        pending: this.#pending.length,
      });
    }
  }
}
