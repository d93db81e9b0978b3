import {
  type AlarmState,
  type AlarmStateValue,
  type AlarmTransition,
  evaluateComposite,
  initialAlarmState,
} from '../../../consumers/monitoring/alarm-evaluator.js';
import type { AlarmAnswer, AlarmsAnswer, AlarmTransitionAnswer } from '../../../schemas/api/index.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { AlarmRule, CompositeAlarmRule } from '../../alarm-rules.js';
import { TRANSITIONS_LISTED, type TransitionRow } from './alarm-store.js';

/**
 * `GET /alarms` from the loop's states and transitions: every rule with its state, the composite
 * "cell unhealthy" alarm, and the transitions since `sinceMs`, newest first (those not stored yet
 * ahead of the stored ones). Pure.
 *
 * @example
 * const answer = alarmsAnswer({ rules, composite, states: loop.states, pending: loop.pending,
 *   stored: store.since(sinceMs), sinceMs, nowMs: clock.now() });
 */

/** What {@link alarmsAnswer} reads. */
export interface AlarmsAnswerInput {
  readonly rules: readonly AlarmRule[];
  readonly composite: CompositeAlarmRule;
  readonly states: ReadonlyMap<string, AlarmState>;
  /** Transitions not stored yet, oldest first. */
  readonly pending: readonly AlarmTransition[];
  /** Stored transitions since `sinceMs`, newest first. */
  readonly stored: readonly TransitionRow[];
  readonly sinceMs: number;
  readonly nowMs: number;
}

interface TransitionFields {
  readonly ruleId: string;
  readonly from: AlarmStateValue;
  readonly to: AlarmStateValue;
  readonly atMs: number;
  readonly value: number | null;
  readonly threshold: number;
  readonly reason: string;
}

function alarmAnswer(rule: AlarmRule, state: AlarmState): AlarmAnswer {
  return {
    id: rule.id,
    title: rule.title,
    ...(rule.stage !== undefined ? { stage: rule.stage } : {}),
    severity: rule.severity,
    state: state.value,
    value: state.lastReading ?? null,
    threshold: rule.threshold,
    since: isoFromMs(state.sinceMs),
    reason: state.reason,
  };
}

/** A transition with its rule's title, severity and stage; fields keep the order they come in. */
function transitionAnswer(t: TransitionFields, rule: AlarmRule | undefined): AlarmTransitionAnswer {
  return {
    ...t,
    ...(rule ? { title: rule.title, severity: rule.severity } : {}),
    ...(rule?.stage !== undefined ? { stage: rule.stage } : {}),
    at: isoFromMs(t.atMs),
  };
}

function fieldsOfRow(r: TransitionRow): TransitionFields {
  return {
    ruleId: r.rule_id,
    from: r.from_state,
    to: r.to_state,
    atMs: r.at_ms,
    value: r.value,
    threshold: r.threshold,
    reason: r.reason,
  };
}

/** The `/alarms` answer; at most {@link TRANSITIONS_LISTED} transitions. */
export function alarmsAnswer(input: AlarmsAnswerInput): AlarmsAnswer {
  const { rules, states, nowMs } = input;
  const ruleById = new Map(rules.map((r) => [r.id, r]));
  const cell = evaluateComposite(input.composite, states);
  const alarms = rules.map((rule) => alarmAnswer(rule, states.get(rule.id) ?? initialAlarmState(nowMs)));
  // A pending transition keeps all its fields (title, severity and stage come first).
  const unstored = input.pending
    .filter((t) => t.atMs >= input.sinceMs)
    .map((t) => transitionAnswer({ ...t, value: t.value ?? null }, ruleById.get(t.ruleId)))
    .reverse();
  const stored = input.stored.map((r) => transitionAnswer(fieldsOfRow(r), ruleById.get(r.rule_id)));
  return {
    generatedAt: isoFromMs(nowMs),
    cellUnhealthy: cell.value,
    cellUnhealthyAlarming: cell.alarming,
    alarms,
    transitions: [...unstored, ...stored].slice(0, TRANSITIONS_LISTED),
  };
}
