import { signalKey } from '../../cells/alarm-rules.js';
import type { CellTopology } from '../../cells/topology.js';
import type { AlarmReadings } from './alarm-evaluator.js';

/**
 * Turns what the local cell measures into the readings `evaluateAlarms` takes, one per signal key,
 * so the mapping from cell stats to alarm signals lives next to the evaluator and not in the
 * runtime. Counters must already be *deltas over the evaluation period* (failures and processed
 * messages since the previous evaluation; API answers likewise); gauges are current values.
 *
 * A value the cell does not have is left undefined (no data). An empty queue reports an oldest
 * message age of 0; a period without traffic has no error rate and no latency.
 *
 * @example
 * const readings = buildAlarmReadings(topology, {
 *   stages: { posting: { queueDepth: 3, oldestMessageAgeSec: 12, dlqDepth: 0, processed: 40, failures: 1 } },
 *   relayDlqDepth: 0, busDlqDepth: 0, apiAnswers: 120, api5xx: 0,
 * });
 */
export interface StageSignalInputs {
  readonly queueDepth?: number;
  /** `null` when the queue is empty. */
  readonly oldestMessageAgeSec?: number | null;
  readonly dlqDepth?: number;
  /** p99 of ingest-to-store latency over the period, seconds; `null` without samples. */
  readonly latencyP99Sec?: number | null;
  /** Messages processed successfully in the period. */
  readonly processed?: number;
  /** Messages failed in the period. */
  readonly failures?: number;
  readonly stuckInvoices?: number;
}

export interface CellSignalInputs {
  readonly stages: Readonly<Partial<Record<string, StageSignalInputs>>>;
  /** Messages in each declared subscriber's DLQ, by `<stage>/<subscriber id>`. */
  readonly subscriberDlqDepths?: Readonly<Partial<Record<string, number>>>;
  readonly relayDlqDepth?: number;
  readonly busDlqDepth?: number;
  /** API answers in the period, and how many of them were 5xx. */
  readonly apiAnswers?: number;
  readonly api5xx?: number;
}

function rate(part: number | undefined, whole: number | undefined): number | undefined {
  if (part === undefined || whole === undefined || whole <= 0) return undefined;
  return (100 * part) / whole;
}

/** Readings for every signal of every stage of the topology, and the cell signals. Pure. */
export function buildAlarmReadings(topology: CellTopology, input: CellSignalInputs): AlarmReadings {
  const readings: Record<string, number | undefined> = {};
  for (const stage of topology.stages) {
    const s = input.stages[stage.name] ?? {};
    const key = (signal: Parameters<typeof signalKey>[0]) => signalKey(signal, stage.name);
    readings[key('queueDepth')] = s.queueDepth;
    readings[key('oldestMessageAgeSec')] =
      s.oldestMessageAgeSec === null
        ? 0
        : s.oldestMessageAgeSec === undefined
          ? undefined
          : s.oldestMessageAgeSec;
    readings[key('dlqDepth')] = s.dlqDepth;
    readings[key('latencyP99Sec')] = s.latencyP99Sec ?? undefined;
    const handled =
      s.processed === undefined && s.failures === undefined
        ? undefined
        : (s.processed ?? 0) + (s.failures ?? 0);
    readings[key('errorRatePct')] = rate(s.failures ?? 0, handled);
    readings[key('stuckInvoices')] = s.stuckInvoices;
    for (const sub of stage.subscribers) {
      readings[signalKey('subscriberDlqDepth', stage.name, sub.id)] =
        input.subscriberDlqDepths?.[`${stage.name}/${sub.id}`];
    }
  }
  readings[signalKey('relayDlqDepth')] = input.relayDlqDepth;
  readings[signalKey('busDlqDepth')] = input.busDlqDepth;
  readings[signalKey('apiErrorRatePct')] = rate(input.api5xx ?? 0, input.apiAnswers);
  return readings;
}
