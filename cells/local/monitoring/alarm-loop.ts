import type { Clock } from '../../../consumers/clock.js';
import {
  type AlarmState,
  type AlarmTransition,
  evaluateAlarms,
} from '../../../consumers/monitoring/alarm-evaluator.js';
import type { AlarmNotifier } from '../../../consumers/monitoring/alarm-notifier.js';
import { buildAlarmReadings, type StageSignalInputs } from '../../../consumers/monitoring/alarm-readings.js';
import { type AlarmRule, DEFAULT_CELL_ALARM_SETTINGS, deriveAlarmRules } from '../../alarm-rules.js';
import type { CellTopology, StageName } from '../../topology.js';
import type { Logger } from '../logger.js';
import type { AlarmTransitionStore, TransitionRow } from './alarm-store.js';
import type { CellStats } from './cell-stats.js';
import { type ApiAnswerCounts, CounterSampler, deltaWindowMsOf } from './counter-sampler.js';
import { errorText } from './error-text.js';

/**
 * The local cell's alarm loop: every `intervalMs` the cell's live stats, per-period deltas of its
 * counters, the stuck-invoice counts and the subscriber DLQ depths become readings (`buildAlarmReadings`), `evaluateAlarms`
 * applies the rules, and the transitions are stored, then notified. The stuck-invoice counts are
 * read on every evaluation (a range read of the invoice state table's deadline index), and the
 * local stuck rule's period is the evaluation interval ({@link localAlarmRules}), so an invoice is
 * alarmed at the first evaluation after it passes its stage SLA (within 10 s by default).
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
 *   stats: () => ctx.stats(), apiCounts: () => counts, stuckCounts: (nowMs) => stuck.counts(nowMs) });
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
  /** Unfinished invoices past their stage SLA at `nowMs`, per stage (an indexed count). */
  stuckCounts(nowMs: number): ReadonlyMap<StageName, number>;
  /** Messages in each declared subscriber's DLQ, by `<stage>/<subscriber id>`; none without subscribers. */
  subscriberDlqDepths?(): Readonly<Record<string, number>>;
}

/** How long a batch of transitions may wait for the write lock before it is kept for the next tick. */
const STORE_MAX_WAIT_MS = 2_000;

/** How the local loop evaluates the rules ({@link localAlarmRules}). */
export interface LocalAlarmRuleOptions {
  /** Between evaluations. */
  readonly intervalMs: number;
  /** Every rule's period in seconds instead of its own (tests that want an alarm at once). */
  readonly rulePeriodSecOverride?: number;
}

/**
 * The rules the local cell evaluates: `deriveAlarmRules` with the stuck-invoice check's period set
 * to the evaluation interval. On AWS the stuck monitor is a scheduled query, hence its 300 s
 * period; here the count is an indexed read, so every evaluation is a period and an invoice past
 * its SLA is alarmed at the next evaluation (10 s by default, well within a minute). Pure.
 *
 * @example
 * localAlarmRules(topology, { intervalMs: 10_000 }).find((r) => r.signal === 'stuckInvoices')?.periodSec; // 10
 */
export function localAlarmRules(topology: CellTopology, options: LocalAlarmRuleOptions): AlarmRule[] {
  const settings = { ...DEFAULT_CELL_ALARM_SETTINGS, stuckCheckPeriodSec: options.intervalMs / 1000 };
  const override = options.rulePeriodSecOverride;
  return deriveAlarmRules(topology, settings).map((r) =>
    override === undefined ? r : { ...r, periodSec: override },
  );
}

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
  #states: Map<string, AlarmState>;
  #pending: AlarmTransition[] = [];
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: AlarmLoopOptions) {
    this.#options = options;
    this.#sampler = new CounterSampler(options.topology, deltaWindowMsOf(options.rules));
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
    const stuckCounts = this.#options.stuckCounts(nowMs);
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
      subscriberDlqDepths: this.#options.subscriberDlqDepths?.() ?? {},
    });
    // Rules with no state yet (not even a restored one): their first transition is the boot's.
    const firstEvaluation = new Set(rules.filter((r) => !this.#states.has(r.id)).map((r) => r.id));
    const evaluation = evaluateAlarms(rules, readings, this.#states, nowMs);
    this.#states = evaluation.states;
    await this.#persist(evaluation.transitions);
    await notifier.notify(evaluation.transitions, { firstEvaluation });
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
