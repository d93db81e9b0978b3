import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  DEFAULT_DELIVERY_POLICY,
  validateDeliveryPolicy,
  worstReceiveMs,
} from '../../../../cells/local/messaging/subscriber-delivery.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';

describe('DEFAULT_DELIVERY_POLICY', () => {
  it('fits a receive into every stage visibility timeout: no message is in flight twice', () => {
    // Act
    const checks = CELL_TOPOLOGY.stages.map(
      (stage) => () =>
        validateDeliveryPolicy(DEFAULT_DELIVERY_POLICY, stage.visibilityTimeoutSec, stage.name),
    );

    // Assess
    expect(worstReceiveMs(DEFAULT_DELIVERY_POLICY)).toBe(100_000);
    for (const check of checks) expect(check).not.toThrow();
  });
});

describe('backoffMs', () => {
  it('draws a full-jitter delay below the doubling cap, never above maxDelayMs', () => {
    // Act
    const highest = [1, 2, 3, 4, 5, 6, 10].map((retry) =>
      backoffMs(DEFAULT_DELIVERY_POLICY, retry, () => 0.999_999),
    );
    const lowest = backoffMs(DEFAULT_DELIVERY_POLICY, 3, () => 0);

    // Assess
    expect(highest).toEqual([999, 1_999, 3_999, 7_999, 15_999, 19_999, 19_999]);
    expect(lowest).toBe(0);
  });
});

describe('validateDeliveryPolicy', () => {
  it('rejects a policy whose worst receive outlasts the visibility timeout, naming the subscriber', () => {
    // Act
    const check = () => validateDeliveryPolicy(DEFAULT_DELIVERY_POLICY, 60, 'subscriber ingestion/billify');

    // Assess
    expect(check).toThrow(
      'subscriber ingestion/billify: a receive may take 100000 ms (attempts x timeout + retries x max delay), not below the visibility timeout of 60 s',
    );
  });

  it.each([
    [
      'attemptsPerReceive',
      { attemptsPerReceive: 0 },
      'delivery policy attemptsPerReceive must be a positive integer, got 0',
    ],
    ['concurrency', { concurrency: 1.5 }, 'delivery policy concurrency must be a positive integer, got 1.5'],
    ['delays', { minDelayMs: 30_000 }, 'delivery policy needs 0 <= minDelayMs <= maxDelayMs'],
  ])('rejects a bad %s', (_, change, why) => {
    // Act
    const check = () =>
      validateDeliveryPolicy({ ...DEFAULT_DELIVERY_POLICY, ...change }, 180, 'subscriber x');

    // Assess
    expect(check).toThrow(`subscriber x: ${why}`);
  });
});
