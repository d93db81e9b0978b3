import { afterEach, describe, expect, it } from 'vitest';
import { type DeliveryReceiver, startDeliveryReceiver } from '../../../scripts/bench/delivery-receiver.js';
import { DeliveryTally } from '../../../scripts/bench/delivery-tally.js';

const EVENT_ID = '00000000-0000-4000-8000-000000000001';

describe('startDeliveryReceiver', () => {
  let receiver: DeliveryReceiver | undefined;

  afterEach(async () => {
    await receiver?.close();
  });

  it('answers each push with the status its tally decides, and 400 to a body that is not JSON', async () => {
    // Prepare: the first draw fails the push, the second lets it through
    const draws = [0.01, 0.99];
    const tally = new DeliveryTally({
      failRate: 0.05,
      random: () => draws.shift() ?? 0.99,
      sent: new Map([[EVENT_ID, { invoiceId: 'INV-1', index: 0 }]]),
    });
    receiver = await startDeliveryReceiver(tally);
    const body = JSON.stringify({
      MessageId: 'm-1',
      Message: JSON.stringify({ stage: 'ingestion', receivedAtMs: Date.now(), event: { eventId: EVENT_ID } }),
    });
    const post = (text: string) =>
      fetch(receiver?.url as string, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: text,
      });

    // Act
    const statuses = [(await post(body)).status, (await post(body)).status, (await post('{')).status];

    // Assess
    expect(receiver.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/delivery-bench$/);
    expect(statuses).toEqual([500, 200, 400]);
    expect(tally.figures()).toMatchObject({ delivered: 1, failedPushes: 1, retries: 1 });
  });
});
