import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY, findStage, type StageTopology } from '../../../cells/topology.js';
import { readExampleEvent } from '../../../schemas/files.js';
import { parseEventLines, planBatches } from '../../../scripts/ops/event-input.js';

const INGESTION = findStage(CELL_TOPOLOGY, 'ingestion') as StageTopology;
const example = (stage: string): Record<string, unknown> => readExampleEvent(stage);

function ingestion(n: number, invoiceId = `INV-${n}`): string {
  const eventId = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return JSON.stringify({ ...example('ingestion'), eventId, invoiceId });
}

describe('parseEventLines', () => {
  it('reads one event per line with --stage and skips blank lines', () => {
    // Act
    const parsed = parseEventLines(`${ingestion(1)}\n\n${ingestion(2)}\n`, CELL_TOPOLOGY, INGESTION);

    // Assess
    expect(parsed.problems).toEqual([]);
    expect(parsed.events.map((e) => [e.line, e.stage.name, e.event.invoiceId])).toEqual([
      [1, 'ingestion', 'INV-1'],
      [3, 'ingestion', 'INV-2'],
    ]);
  });

  it('reads {"stage", "event"} lines without --stage', () => {
    // Prepare
    const text = CELL_TOPOLOGY.stages
      .map((s) => JSON.stringify({ stage: s.name, event: example(s.name) }))
      .join('\n');

    // Act
    const parsed = parseEventLines(text, CELL_TOPOLOGY);

    // Assess
    expect(parsed.problems).toEqual([]);
    expect(parsed.events.map((e) => e.stage.name)).toEqual(CELL_TOPOLOGY.stages.map((s) => s.name));
  });

  it('names the line and every offending field of an invalid event', () => {
    // Prepare
    const bad = JSON.stringify({
      ...example('ingestion'),
      amount: { value: 12.5, currency: 'USD' },
      channel: 'FAX',
    });

    // Act
    const parsed = parseEventLines(`${ingestion(1)}\n${bad}\nnot json`, CELL_TOPOLOGY, INGESTION);

    // Assess
    expect(parsed.events).toHaveLength(1);
    expect(parsed.problems.map((p) => p.line)).toEqual([2, 3]);
    expect(parsed.problems[0]?.errors.map((e) => e.path).sort()).toEqual(['/amount/value', '/channel']);
    expect(parsed.problems[0]?.message).toMatch(/money is never a JSON number/);
    expect(parsed.problems[1]?.message).toMatch(/not valid JSON/);
  });

  it('refuses a line without a known stage when no --stage is given', () => {
    // Act
    const parsed = parseEventLines(
      JSON.stringify({ stage: 'shipping', event: example('ingestion') }),
      CELL_TOPOLOGY,
    );

    // Assess
    expect(parsed.problems[0]?.message).toMatch(/without --stage a line must be/);
  });

  it('reports empty input as a problem', () => {
    // Act + Assess
    expect(parseEventLines('\n  \n', CELL_TOPOLOGY, INGESTION).problems[0]?.message).toMatch(/no events/);
  });
});

describe('planBatches', () => {
  it('cuts runs of one stage at the request limit and at a stage change, keeping order', () => {
    // Prepare
    const lines = Array.from({ length: 12 }, (_, i) => ingestion(i)).join('\n');
    const posting = JSON.stringify({ stage: 'posting', event: example('posting') });
    const wrapped = lines
      .split('\n')
      .map((l) => JSON.stringify({ stage: 'ingestion', event: JSON.parse(l) }))
      .concat(posting)
      .join('\n');
    const { events } = parseEventLines(wrapped, CELL_TOPOLOGY);

    // Act
    const batches = planBatches(events, 10);

    // Assess
    expect(batches.map((b) => b.length)).toEqual([10, 2, 1]);
    expect(batches.flat().map((e) => e.line)).toEqual(events.map((e) => e.line));
    expect(batches[2]?.[0]?.stage.name).toBe('posting');
  });

  it('never puts the same eventId twice in one request', () => {
    // Prepare
    const { events } = parseEventLines(
      `${ingestion(1)}\n${ingestion(1)}\n${ingestion(2)}`,
      CELL_TOPOLOGY,
      INGESTION,
    );

    // Act
    const batches = planBatches(events, 10);

    // Assess
    expect(batches.map((b) => b.map((e) => e.line))).toEqual([[1], [2, 3]]);
  });
});
