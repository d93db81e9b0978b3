import { describe, expect, it } from 'vitest';
import {
  BUSINESS_TIME_DEFAULTS,
  businessTimeWindow,
  MAX_QUEUE_WAIT_DAYS,
  TIMESTREAM_FUTURE_INGESTION_SEC,
  validateBusinessTime,
} from '../../cells/business-time.js';

describe('businessTimeWindow', () => {
  it('turns the settings into milliseconds', () => {
    // Act
    const window = businessTimeWindow({ maxFutureSkewSec: 300, maxEventAgeDays: 2 });

    // Assess
    expect(window).toEqual({ maxFutureSkewMs: 300_000, maxAgeMs: 2 * 86_400_000 });
  });

  it('defaults to 5 minutes of skew and 5 years of age', () => {
    // Assess
    expect(BUSINESS_TIME_DEFAULTS).toEqual({ maxFutureSkewSec: 300, maxEventAgeDays: 1825 });
  });
});

describe('validateBusinessTime', () => {
  const valid = {
    maxFutureSkewSec: 300,
    maxEventAgeDays: 1825,
    magneticRetentionDays: 2555,
    archiveRetentionDays: 365,
  };

  it('accepts the limits themselves: 900 s of skew, an age of retention minus 14 days', () => {
    // Prepare
    const limits = {
      maxFutureSkewSec: TIMESTREAM_FUTURE_INGESTION_SEC,
      maxEventAgeDays: 365 - MAX_QUEUE_WAIT_DAYS,
      magneticRetentionDays: 365,
      archiveRetentionDays: MAX_QUEUE_WAIT_DAYS,
    };

    // Act
    const act = () => validateBusinessTime(limits);

    // Assess
    expect(act).not.toThrow();
  });

  it("refuses a skew beyond Timestream's future ingestion period", () => {
    // Act
    const act = () => validateBusinessTime({ ...valid, maxFutureSkewSec: 901 });

    // Assess
    expect(act).toThrow(
      "cell setting maxFutureSkewSec must be at most 900 (Timestream's future ingestion period), got 901",
    );
  });

  it('refuses an age that, with 14 days in a queue or DLQ, outlives the magnetic store', () => {
    // Act
    const act = () =>
      validateBusinessTime({
        ...valid,
        maxEventAgeDays: 352,
        magneticRetentionDays: 365,
        archiveRetentionDays: 14,
      });

    // Assess
    expect(act).toThrow(
      'cell setting maxEventAgeDays must be at most magneticRetentionDays - 14 (351: an accepted event may wait 14 days in a queue or DLQ before it is written), got 352',
    );
  });

  it('refuses an age that an archive replay would write after the magnetic store let it go', () => {
    // Act
    const act = () => validateBusinessTime({ ...valid, maxEventAgeDays: 2191, archiveRetentionDays: 365 });

    // Assess
    expect(act).toThrow(
      'cell setting maxEventAgeDays must be at most magneticRetentionDays - archiveRetentionDays (2190: an archive replay writes an event up to 365 days after it was received), got 2191',
    );
  });

  it.each([
    ['maxFutureSkewSec', 0, '0'],
    ['maxFutureSkewSec', 1.5, '1.5'],
    ['maxEventAgeDays', -1, '-1'],
    ['maxEventAgeDays', '30', '"30"'],
  ])('refuses %s = %j as not a positive integer', (key, value, shown) => {
    // Act
    const act = () => validateBusinessTime({ ...valid, [key]: value });

    // Assess
    expect(act).toThrow(`cell setting ${key} must be a positive integer, got ${shown}`);
  });
});
