import { describe, expect, it } from 'vitest';
import { DeliveryTally, latencySummary, type SentEvent } from '../../../scripts/bench/delivery-tally.js';

// Two invoices of three events each; the receiver's failure draws are scripted.
const SENT = new Map<string, SentEvent>([
  ['a0', { invoiceId: 'A', index: 0 }],
  ['a1', { invoiceId: 'A', index: 1 }],
  ['a2', { invoiceId: 'A', index: 2 }],
  ['b0', { invoiceId: 'B', index: 0 }],
  ['b1', { invoiceId: 'B', index: 1 }],
]);
const RECEIVED_AT = 1_000;

/** A push of event `eventId` as message `messageId`. */
function push(messageId: string, eventId: string) {
  return {
    MessageId: messageId,
    Message: JSON.stringify({ stage: 'ingestion', receivedAtMs: RECEIVED_AT, event: { eventId } }),
  };
}

/** A tally whose draws are `draws` in turn (a draw below the fail rate fails the push). */
function tallyWith(draws: number[], failRate = 0.5): DeliveryTally {
  let i = 0;
  return new DeliveryTally({ failRate, random: () => draws[i++] ?? 0.99, sent: SENT });
}

describe('DeliveryTally', () => {
  it('counts deliveries, refused pushes, retries and latency from acceptance to the 2xx push', () => {
    // Prepare: a0's first push fails, its retry succeeds
    const tally = tallyWith([0.1, 0.9, 0.9, 0.9]);

    // Act
    const statuses = [
      tally.push(push('m-a0', 'a0'), 1_100),
      tally.push(push('m-a0', 'a0'), 1_600),
      tally.push(push('m-a1', 'a1'), 1_700),
      tally.push(push('m-b0', 'b0'), 1_250),
    ];
    const f = tally.figures();

    // Assess
    expect(statuses).toEqual([500, 200, 200, 200]);
    expect(f).toMatchObject({
      delivered: 3,
      pushes: 4,
      failedPushes: 1,
      retries: 1,
      duplicates: 0,
      orderViolations: 0,
      unexpected: 0,
      lastDeliveredAtMs: 1_250,
    });
    expect(f.latenciesMs).toEqual([250, 600, 700]);
  });

  it('counts a push of an already delivered message as a duplicate, answered 2xx without a draw', () => {
    // Prepare
    const tally = tallyWith([0.9, 0.1]);
    tally.push(push('m-a0', 'a0'), 1_100);

    // Act
    const status = tally.push(push('m-a0', 'a0'), 1_200);

    // Assess
    expect(status).toBe(200);
    expect(tally.figures()).toMatchObject({ delivered: 1, duplicates: 1, failedPushes: 0 });
  });

  it("counts an invoice's event pushed before its predecessor was answered 2xx as an order violation", () => {
    // Prepare: a0 is refused, then a1 arrives while a0 still waits for its retry
    const tally = tallyWith([0.1, 0.9, 0.9]);
    tally.push(push('m-a0', 'a0'), 1_100);

    // Act
    tally.push(push('m-a1', 'a1'), 1_200);
    tally.push(push('m-b1', 'b1'), 1_300);

    // Assess: a1 before a0 was delivered, and b1 before b0 was ever pushed
    expect(tally.figures().orderViolations).toBe(2);
  });

  it('keeps order violations at 0 for each invoice delivered in send order, interleaved across invoices', () => {
    // Prepare
    const tally = tallyWith([]);

    // Act
    for (const [m, e] of [
      ['1', 'a0'],
      ['2', 'b0'],
      ['3', 'a1'],
      ['4', 'b1'],
      ['5', 'a2'],
    ] as const) {
      tally.push(push(m, e), 2_000);
    }

    // Assess
    expect(tally.figures()).toMatchObject({ delivered: 5, orderViolations: 0 });
  });

  it('answers 2xx to a push of an event it did not send, and counts it apart', () => {
    // Prepare
    const tally = tallyWith([0.1]);

    // Act
    const statuses = [
      tally.push(push('m-x', 'not-sent'), 1_100),
      tally.push({ MessageId: 'm-y', Message: 'not json' }, 1_100),
    ];

    // Assess
    expect(statuses).toEqual([200, 200]);
    expect(tally.figures()).toMatchObject({ delivered: 0, unexpected: 2, failedPushes: 0 });
  });
});

describe('latencySummary', () => {
  it('gives nearest-rank percentiles and the maximum, NaN without samples', () => {
    // Prepare
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);

    // Act / Assess
    expect(latencySummary(sorted)).toEqual({ p50: 51, p95: 96, p99: 100, max: 100 });
    expect(latencySummary([]).p50).toBeNaN();
  });
});
