import { type CellTopology, findStage, type StageTopology } from '../../cells/topology.js';
import { type FieldError, validateEvent } from '../../schemas/index.js';
import type { InvoiceEvent } from '../../schemas/types.js';

/**
 * The `send` verb's input: JSON lines, validated locally with the same contract the API applies
 * (`validateEvent`), so a bad file is refused with every problem named before anything is sent.
 *
 * A line is one event when `--stage` is given, or `{"stage": "<stage>", "event": {...}}` otherwise
 * (a whole lifecycle in one file). Blank lines are skipped.
 *
 * @example
 * const { events, problems } = parseEventLines(text, CELL_TOPOLOGY, stage);
 * if (problems.length === 0) for (const batch of planBatches(events, 10)) await backend.send(...);
 */
export interface InputEvent {
  /** 1-based line number in the input. */
  readonly line: number;
  readonly stage: StageTopology;
  readonly event: InvoiceEvent;
}

export interface LineProblem {
  readonly line: number;
  readonly message: string;
  readonly errors: readonly FieldError[];
}

export interface ParsedInput {
  readonly events: readonly InputEvent[];
  readonly problems: readonly LineProblem[];
}

export function parseEventLines(text: string, topology: CellTopology, stage?: StageTopology): ParsedInput {
  const events: InputEvent[] = [];
  const problems: LineProblem[] = [];
  const stageNames = topology.stages.map((s) => s.name).join(', ');
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      problems.push({ line, message: `not valid JSON: ${(error as Error).message}`, errors: [] });
      return;
    }
    let lineStage = stage;
    let event = value;
    if (!lineStage) {
      const wrapper = value as { stage?: unknown; event?: unknown } | null;
      const named = typeof wrapper?.stage === 'string' ? findStage(topology, wrapper.stage) : undefined;
      if (!named || typeof wrapper?.event !== 'object' || wrapper.event === null) {
        problems.push({
          line,
          message: `without --stage a line must be {"stage": "<${stageNames}>", "event": {...}}`,
          errors: [],
        });
        return;
      }
      lineStage = named;
      event = wrapper.event;
    }
    const errors = validateEvent(lineStage.name, event);
    if (errors.length > 0) {
      const shown = errors.map((e) => `${e.path || '(event)'} ${e.message}`).join('; ');
      problems.push({ line, message: `invalid ${lineStage.name} event: ${shown}`, errors });
      return;
    }
    events.push({ line, stage: lineStage, event: event as InvoiceEvent });
  });
  if (events.length === 0 && problems.length === 0) {
    problems.push({ line: 0, message: 'the input holds no events', errors: [] });
  }
  return { events, problems };
}

/**
 * Cuts the events into requests: consecutive events of one stage, at most `maxPerRequest`, never
 * two events with the same eventId in one request (the API refuses such a batch whole). Order is
 * kept, so an invoice's events are sent in the order of the input.
 */
export function planBatches(events: readonly InputEvent[], maxPerRequest: number): InputEvent[][] {
  const batches: InputEvent[][] = [];
  let current: InputEvent[] = [];
  let ids = new Set<string>();
  for (const e of events) {
    const first = current[0];
    if (
      first &&
      (first.stage.name !== e.stage.name || current.length >= maxPerRequest || ids.has(e.event.eventId))
    ) {
      batches.push(current);
      current = [];
      ids = new Set();
    }
    current.push(e);
    ids.add(e.event.eventId);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
