/**
 * The business-time window: which `occurredAt` a cell accepts, relative to the time it received
 * the event. The store of an AWS cell refuses records outside it, and a refusal after acceptance
 * is a poison message in a DLQ; so the API refuses them at the door (400) and the processor
 * refuses them by the message's own `receivedAtMs` (the same verdict on every redrive).
 *
 * @example
 * const window = businessTimeWindow(topology.settings); // { maxFutureSkewMs: 300_000, maxAgeMs: 157_680_000_000 }
 */

/** The window's settings; `CellSettings` extends this, so catalog entries may override them. */
export interface BusinessTimeSettings {
  /**
   * How far `occurredAt` may lie ahead of the time the cell received the event (clock skew between
   * producer and cell). At most {@link TIMESTREAM_FUTURE_INGESTION_SEC}: Timestream refuses records
   * further ahead than its "future ingestion period".
   */
  readonly maxFutureSkewSec: number;
  /**
   * How old `occurredAt` may be when the cell receives the event. Timestream (magnetic-store writes
   * on) refuses records older than the magnetic-store retention, and an accepted event may wait up
   * to {@link MAX_QUEUE_WAIT_DAYS} in a queue or DLQ before it is written; so this plus that wait
   * must fit in `magneticRetentionDays`.
   */
  readonly maxEventAgeDays: number;
}

/** Defaults: 5 minutes of skew (the dedup window), 5 years of history (late corrections, audits). */
export const BUSINESS_TIME_DEFAULTS: BusinessTimeSettings = {
  maxFutureSkewSec: 300,
  maxEventAgeDays: 365 * 5,
};

/**
 * Timestream's "Future ingestion period": 15 minutes
 * (https://docs.aws.amazon.com/timestream/latest/developerguide/ts-limits.html).
 */
export const TIMESTREAM_FUTURE_INGESTION_SEC = 15 * 60;

/**
 * The longest an accepted message may wait before the processor writes it: SQS keeps a message,
 * also in a DLQ, at most 14 days (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html).
 */
export const MAX_QUEUE_WAIT_DAYS = 14;

const DAY_MS = 86_400_000;

/** The window in milliseconds, both bounds relative to the time the cell received the event. */
export interface BusinessTimeWindow {
  readonly maxFutureSkewMs: number;
  readonly maxAgeMs: number;
}

/**
 * The window of a cell's settings. Pure.
 *
 * @example
 * businessTimeWindow({ maxFutureSkewSec: 300, maxEventAgeDays: 1 }); // { maxFutureSkewMs: 300_000, maxAgeMs: 86_400_000 }
 */
export function businessTimeWindow(settings: BusinessTimeSettings): BusinessTimeWindow {
  return { maxFutureSkewMs: settings.maxFutureSkewSec * 1000, maxAgeMs: settings.maxEventAgeDays * DAY_MS };
}

/**
 * Throws a message naming the setting, the bad value and the limit, when the window is not one the
 * cell's store can take: a non-positive or fractional value, a skew beyond Timestream's future
 * ingestion period, or an age that, plus the longest queue wait, outlives the magnetic store. Pure.
 *
 * @example
 * validateBusinessTime({ maxFutureSkewSec: 3600, maxEventAgeDays: 30, magneticRetentionDays: 365 }); // throws
 */
export function validateBusinessTime(
  settings: BusinessTimeSettings & {
    readonly magneticRetentionDays: number;
    readonly archiveRetentionDays: number;
  },
): void {
  for (const key of ['maxFutureSkewSec', 'maxEventAgeDays'] as const) {
    const value: unknown = settings[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new Error(`cell setting ${key} must be a positive integer, got ${JSON.stringify(value)}`);
    }
  }
  const { maxFutureSkewSec, maxEventAgeDays, magneticRetentionDays, archiveRetentionDays } = settings;
  if (maxFutureSkewSec > TIMESTREAM_FUTURE_INGESTION_SEC) {
    throw new Error(
      `cell setting maxFutureSkewSec must be at most ${TIMESTREAM_FUTURE_INGESTION_SEC} (Timestream's future ingestion period), got ${maxFutureSkewSec}`,
    );
  }
  if (maxEventAgeDays + MAX_QUEUE_WAIT_DAYS > magneticRetentionDays) {
    throw new Error(
      `cell setting maxEventAgeDays must be at most magneticRetentionDays - ${MAX_QUEUE_WAIT_DAYS} ` +
        `(${magneticRetentionDays - MAX_QUEUE_WAIT_DAYS}: an accepted event may wait ${MAX_QUEUE_WAIT_DAYS} days in a queue or DLQ before it is written), got ${maxEventAgeDays}`,
    );
  }
  // An archive replay writes the event again up to archiveRetentionDays after it was received,
  // with its original receivedAtMs: the store must still take the oldest event the window allows.
  if (maxEventAgeDays + archiveRetentionDays > magneticRetentionDays) {
    throw new Error(
      `cell setting maxEventAgeDays must be at most magneticRetentionDays - archiveRetentionDays ` +
        `(${magneticRetentionDays - archiveRetentionDays}: an archive replay writes an event up to ${archiveRetentionDays} days after it was received), got ${maxEventAgeDays}`,
    );
  }
}
