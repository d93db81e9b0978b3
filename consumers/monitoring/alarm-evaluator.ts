import {
  type AlarmRule,
  type AlarmSeverity,
  breaches,
  type CompositeAlarmRule,
  ruleSignalKey,
} from '../../cells/alarm-rules.js';

/**
 * The local cell's alarm evaluation: the rules of cells/alarm-rules.ts over readings keyed by
 * `signalKey`, with CloudWatch's state model. Pure: the caller keeps the state map between calls
 * and takes the readings (each one aggregated over the rule's period) from its own stats.
 *
 * Semantics:
 * - A rule starts in INSUFFICIENT_DATA (as a new CloudWatch alarm does).
 * - A rule is evaluated at most once per `periodSec` (with a small tolerance for timer drift);
 *   calls in between keep its state, so "N evaluation periods" means N periods whatever the
 *   caller's tick.
 * - ALARM after `evaluationPeriods` consecutive breaching evaluations; one non-breaching
 *   evaluation returns it to OK (CloudWatch with M = N). While the streak builds, the state stays
 *   as it was (OK, or INSUFFICIENT_DATA for a rule that never had a good reading).
 * - A missing reading: `treatMissingData: 'missing'` → INSUFFICIENT_DATA and the streak restarts;
 *   `'notBreaching'` → counts as a good evaluation.
 *
 * @example
 * let states = new Map();
 * const { states: next, transitions } = evaluateAlarms(ALARM_RULES, readings, states, Date.now());
 * states = next;
 * await notifier.notify(transitions);
 */

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmState {
  readonly value: AlarmStateValue;
  /** Consecutive breaching evaluations so far. */
  readonly breachingStreak: number;
  /** When the rule was last evaluated; undefined before the first evaluation. */
  readonly lastEvaluatedAtMs?: number;
  /** When `value` was entered. */
  readonly sinceMs: number;
  /** The reading of the last evaluation (undefined when it was missing). */
  readonly lastReading?: number;
  readonly reason: string;
}

export interface AlarmTransition {
  readonly ruleId: string;
  readonly title: string;
  readonly severity: AlarmSeverity;
  readonly stage?: string;
  readonly from: AlarmStateValue;
  readonly to: AlarmStateValue;
  readonly atMs: number;
  readonly value: number | undefined;
  readonly threshold: number;
  readonly reason: string;
}

export interface AlarmEvaluation {
  readonly states: Map<string, AlarmState>;
  /** State changes of this call, in rule order. */
  readonly transitions: AlarmTransition[];
}

/** Readings by signal key; undefined or absent = no data. */
export type AlarmReadings = Readonly<Record<string, number | undefined>>;

/** The state of a rule never evaluated. */
export function initialAlarmState(nowMs: number): AlarmState {
  return { value: 'INSUFFICIENT_DATA', breachingStreak: 0, sinceMs: nowMs, reason: 'not evaluated yet' };
}

function periodElapsed(rule: AlarmRule, state: AlarmState, nowMs: number): boolean {
  if (state.lastEvaluatedAtMs === undefined) return true;
  const periodMs = rule.periodSec * 1000;
  // A tick that fires a little early must not skip a whole period.
  const toleranceMs = Math.min(1000, periodMs / 10);
  return nowMs - state.lastEvaluatedAtMs >= periodMs - toleranceMs;
}

function describe(rule: AlarmRule, value: number): string {
  const where = rule.stage ? ` (${rule.stage}${rule.subscriber ? `/${rule.subscriber}` : ''})` : '';
  return `${rule.signal}${where} = ${value}, threshold ${rule.comparison} ${rule.threshold}`;
}

function evaluateRule(
  rule: AlarmRule,
  reading: number | undefined,
  state: AlarmState,
  nowMs: number,
): AlarmState {
  const hasValue = reading !== undefined && Number.isFinite(reading);
  if (!hasValue && rule.treatMissingData === 'missing') {
    return {
      value: 'INSUFFICIENT_DATA',
      breachingStreak: 0,
      lastEvaluatedAtMs: nowMs,
      sinceMs: state.value === 'INSUFFICIENT_DATA' ? state.sinceMs : nowMs,
      reason: `no reading for ${ruleSignalKey(rule)}`,
    };
  }
  const base = { lastEvaluatedAtMs: nowMs, ...(hasValue ? { lastReading: reading } : {}) };
  if (!hasValue || !breaches(rule, reading)) {
    return {
      ...base,
      value: 'OK',
      breachingStreak: 0,
      sinceMs: state.value === 'OK' ? state.sinceMs : nowMs,
      reason: hasValue
        ? describe(rule, reading)
        : `no reading for ${ruleSignalKey(rule)}, treated as not breaching`,
    };
  }
  const streak = state.breachingStreak + 1;
  if (streak >= rule.evaluationPeriods) {
    return {
      ...base,
      value: 'ALARM',
      breachingStreak: streak,
      sinceMs: state.value === 'ALARM' ? state.sinceMs : nowMs,
      reason: `${describe(rule, reading)} for ${streak} consecutive period(s) of ${rule.periodSec} s`,
    };
  }
  return {
    ...base,
    value: state.value,
    breachingStreak: streak,
    sinceMs: state.sinceMs,
    reason: `${describe(rule, reading)}: breaching ${streak} of ${rule.evaluationPeriods} period(s)`,
  };
}

/** Evaluates every rule that is due; returns the new state map and the transitions. Pure. */
export function evaluateAlarms(
  rules: readonly AlarmRule[],
  readings: AlarmReadings,
  previous: ReadonlyMap<string, AlarmState>,
  nowMs: number,
): AlarmEvaluation {
  const states = new Map<string, AlarmState>();
  const transitions: AlarmTransition[] = [];
  for (const rule of rules) {
    const state = previous.get(rule.id) ?? initialAlarmState(nowMs);
    if (!periodElapsed(rule, state, nowMs)) {
      states.set(rule.id, state);
      continue;
    }
    const reading = readings[ruleSignalKey(rule)];
    const next = evaluateRule(rule, reading, state, nowMs);
    states.set(rule.id, next);
    if (next.value !== state.value) {
      transitions.push({
        ruleId: rule.id,
        title: rule.title,
        severity: rule.severity,
        ...(rule.stage ? { stage: rule.stage } : {}),
        from: state.value,
        to: next.value,
        atMs: nowMs,
        value: reading,
        threshold: rule.threshold,
        reason: next.reason,
      });
    }
  }
  return { states, transitions };
}

/** A composite's state: ALARM while any member is in ALARM (CloudWatch `ALARM(a) OR ALARM(b)`). Pure. */
export function evaluateComposite(
  composite: CompositeAlarmRule,
  states: ReadonlyMap<string, AlarmState>,
): { readonly value: 'OK' | 'ALARM'; readonly alarming: readonly string[] } {
  const alarming = composite.ruleIds.filter((id) => states.get(id)?.value === 'ALARM');
  return { value: alarming.length > 0 ? 'ALARM' : 'OK', alarming };
}
