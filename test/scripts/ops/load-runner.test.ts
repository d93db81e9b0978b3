import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import type { InvoiceEvent } from '../../../schemas/types.js';
import { OpsError, type SendEntryResult, TransientSendError } from '../../../scripts/ops/backend.js';
import { LatencyRecorder } from '../../../scripts/ops/latency-recorder.js';
import { createLoadGenerator } from '../../../scripts/ops/load-generator.js';
import { runLoad } from '../../../scripts/ops/load-runner.js';

const BASE_TIME_MS = Date.parse('2026-11-20T12:00:00Z');
const generator = (seed = 1) =>
  createLoadGenerator({
    seed,
    topology: CELL_TOPOLOGY,
    baseTimeMs: BASE_TIME_MS,
    failureRate: 0,
    stallRate: 0,
  });

type Send = (stage: StageTopology, events: readonly InvoiceEvent[]) => Promise<SendEntryResult[]>;

/** A fake cell: answers every event with `answer(event)`, after a microtask, recording the order. */
function fakeCell(
  answer: (event: InvoiceEvent, stage: StageTopology) => SendEntryResult['status'] = () => 'accepted',
) {
  const acceptedOrder: { invoiceId: string; stage: string }[] = [];
  const requests: number[] = [];
  const send: Send = async (stage, events) => {
    requests.push(events.length);
    await Promise.resolve();
    return events.map((event) => {
      const status = answer(event, stage);
      if (status === 'accepted') acceptedOrder.push({ invoiceId: event.invoiceId, stage: stage.name });
      return { eventId: event.eventId, invoiceId: event.invoiceId, stage: stage.name, status };
    });
  };
  return { send, acceptedOrder, requests };
}

describe('runLoad', () => {
  it('sends exactly --count events, each invoice stage after stage, ≤ 10 per request', async () => {
    // Prepare
    const cell = fakeCell();
    const send: Send = async (stage, events) => {
      for (const e of events) {
        // The previous stage of this invoice must already have been answered.
        const done = cell.acceptedOrder.filter((a) => a.invoiceId === e.invoiceId).length;
        expect(done).toBe(stage.order);
      }
      return cell.send(stage, events);
    };

    // Act
    const summary = await runLoad({
      generator: generator(),
      send,
      ratePerSec: 100_000,
      count: 103,
      maxEventsPerRequest: 10,
    });

    // Assess
    expect(summary).toMatchObject({ sent: 103, accepted: 103, failed: 0, requestErrors: 0 });
    expect(Math.max(...cell.requests)).toBeLessThanOrEqual(10);
    expect(summary.invoicesStarted).toBe(Math.ceil(103 / CELL_TOPOLOGY.stages.length));
    expect(summary.invoicesCutShort).toBe(1); // 103 is not a multiple of the stages: the last invoice stops early
  });

  it('retries a throttled request with the same events and ends every invoice', async () => {
    // Prepare
    const cell = fakeCell();
    let calls = 0;
    const send: Send = async (stage, events) => {
      calls++;
      if (calls === 2) throw new TransientSendError('throttled', { retryAfterSec: 0.01 });
      return cell.send(stage, events);
    };

    // Act
    const summary = await runLoad({
      generator: generator(),
      send,
      ratePerSec: 100_000,
      count: 8,
      maxEventsPerRequest: 10,
    });

    // Assess
    expect(summary).toMatchObject({ sent: 8, accepted: 8, failed: 0, requestErrors: 1, invoicesFinished: 2 });
    expect(summary.errorSamples).toEqual(['throttled']);
  });

  it('abandons an invoice whose event the cell refuses, without sending its later stages', async () => {
    // Prepare: the cell refuses the first invoice's second stage.
    const first = generator().invoice(0);
    const refused = first.events[1]?.event.eventId;
    const cell = fakeCell((event) => (event.eventId === refused ? 'failed' : 'accepted'));

    // Act
    const summary = await runLoad({
      generator: generator(),
      send: cell.send,
      ratePerSec: 100_000,
      count: 8,
      maxEventsPerRequest: 10,
    });

    // Assess
    expect(summary).toMatchObject({ failed: 1, invoicesAbandoned: 1, invoicesFinished: 1 });
    expect(cell.acceptedOrder.filter((a) => a.invoiceId === first.invoiceId).map((a) => a.stage)).toEqual([
      CELL_TOPOLOGY.stages[0]?.name,
    ]);
    expect(summary.sent).toBe(6); // 4 + the 2 of the first invoice that were sent
  });

  it('stops on an error that retrying cannot fix and reports it', async () => {
    // Prepare
    const send: Send = async () => {
      throw new OpsError('the API key was refused');
    };

    // Act + Assess
    await expect(
      runLoad({ generator: generator(), send, ratePerSec: 1000, count: 4, maxEventsPerRequest: 10 }),
    ).rejects.toThrow('the API key was refused');
  });

  it('stops dispatching when aborted and says it was interrupted', async () => {
    // Prepare
    const controller = new AbortController();
    const cell = fakeCell();
    const send: Send = async (stage, events) => {
      controller.abort();
      return cell.send(stage, events);
    };

    // Act
    const summary = await runLoad({
      generator: generator(),
      send,
      ratePerSec: 100_000,
      durationMs: 60_000,
      maxEventsPerRequest: 10,
      signal: controller.signal,
    });

    // Assess
    expect(summary.interrupted).toBe(true);
    expect(summary.sent).toBeLessThanOrEqual(10 * 8);
  });

  it('refuses a run with neither duration nor count', async () => {
    // Act + Assess
    await expect(
      runLoad({ generator: generator(), send: fakeCell().send, ratePerSec: 10, maxEventsPerRequest: 10 }),
    ).rejects.toThrow(/needs a duration or a count/);
  });
});

describe('LatencyRecorder', () => {
  it('estimates quantiles within the bucket width and knows when it is empty', () => {
    // Prepare
    const latencies = new LatencyRecorder();
    expect(latencies.quantile(0.5)).toBeUndefined();

    // Act
    for (let ms = 1; ms <= 100; ms++) latencies.record(ms);

    // Assess
    expect(latencies.count).toBe(100);
    expect(latencies.quantile(0.5)).toBeGreaterThanOrEqual(50);
    expect(latencies.quantile(0.5)).toBeLessThanOrEqual(50 * 1.05);
    expect(latencies.quantile(0.99)).toBeGreaterThanOrEqual(99);
    expect(latencies.quantile(1)).toBe(100);
  });
});
