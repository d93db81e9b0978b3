import type { Clock } from '../../../consumers/clock.js';
import {
  monthOf,
  monthRange,
  nextMonthStartMs,
  previousMonth,
} from '../../../consumers/reports/report-month.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { Logger } from '../logger.js';
import type { DatabaseHandle } from '../storage/db.js';
import { SETTLE_MS, type StoreReason } from './monthly-reports.js';

/**
 * The monthly report schedule of the local cell: at 00:05 on the 1st of each month in the cell's
 * time zone it stores the previous month's report (`MonthlyReports.store`). On start it catches
 * up: if the previous month's report is missing (the cell was down on the 1st) and the cell was
 * running before that month ended, it stores it at once.
 *
 * One timer at a time, armed for the next 1st at 00:05 (at most {@link MAX_TIMER_MS} ahead: it
 * then re-checks, so a clock that jumps or a machine that slept does not miss a month, and no
 * timer exceeds Node's 24.8-day limit), unref'd (it never keeps a stopping process alive), and
 * re-armed after each run; after a failed run it tries again {@link RETRY_AFTER_FAILURE_MS} later.
 * Never a busy loop: each check that finds nothing to do arms the next timer.
 *
 * @example
 * const schedule = new ReportSchedule({ timeZone: 'UTC', clock, logger, sinceMs: 0, has, store });
 * schedule.start();
 * await schedule.stop();
 */

/** The longest a timer is armed for before the schedule looks at the clock again. */
export const MAX_TIMER_MS = 6 * 3_600_000;

/** After a failed report, the schedule tries that month again this much later. */
export const RETRY_AFTER_FAILURE_MS = 15 * 60_000;

export interface ReportScheduleOptions {
  /** IANA zone of the calendar months. */
  readonly timeZone: string;
  readonly clock: Clock;
  readonly logger: Pick<Logger, 'info' | 'error'>;
  /**
   * Since when the cell keeps data ({@link reportsSinceMs}): a month that ended before it is not
   * caught up (a new cell does not write an empty report of the month before it existed).
   */
  readonly sinceMs: number;
  /** Whether the month's report is stored. */
  readonly has: (month: string) => boolean;
  /** Generates and stores the month's report (and notifies the webhook). */
  readonly store: (month: string, reason: StoreReason) => Promise<unknown>;
}

/** When the schedule reports the previous month next: the 1st at 00:05 in the zone, after `nowMs`. */
export function nextRunMs(nowMs: number, timeZone: string): number {
  const thisMonthRunMs = monthRange(monthOf(nowMs, timeZone), timeZone).fromMs + SETTLE_MS;
  return thisMonthRunMs > nowMs ? thisMonthRunMs : nextMonthStartMs(nowMs, timeZone) + SETTLE_MS;
}

export class ReportSchedule {
  readonly #options: ReportScheduleOptions;
  #timer: NodeJS.Timeout | undefined;
  #run: Promise<void> | undefined;
  #stopped = false;
  #started = false;

  constructor(options: ReportScheduleOptions) {
    this.#options = options;
  }

  /** Checks at once (the catch-up), then at every 1st of the month at 00:05. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const { timeZone, clock, logger } = this.#options;
    logger.info('monthly reports on', {
      timeZone,
      nextRunAt: isoFromMs(nextRunMs(clock.now(), timeZone)),
    });
    this.#arm(0, 'catch-up');
  }

  /** Stops the timer and waits for a report in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#run;
  }

  /**
   * The month the schedule owes now, if any: the previous month, once it is closed, when it is not
   * stored and the cell was running before it ended.
   */
  dueMonth(): string | undefined {
    const { timeZone, clock, sinceMs, has } = this.#options;
    const nowMs = clock.now();
    const month = previousMonth(nowMs, timeZone);
    const { toMs } = monthRange(month, timeZone);
    if (nowMs < toMs + SETTLE_MS || sinceMs >= toMs || has(month)) return undefined;
    return month;
  }

  async #check(reason: StoreReason): Promise<void> {
    const { timeZone, clock, logger } = this.#options;
    const month = this.dueMonth();
    let delayMs: number;
    if (month === undefined) {
      delayMs = nextRunMs(clock.now(), timeZone) - clock.now();
    } else {
      try {
        await this.#options.store(month, reason);
        delayMs = nextRunMs(clock.now(), timeZone) - clock.now();
      } catch (error) {
        delayMs = RETRY_AFTER_FAILURE_MS;
        logger.error('monthly report failed; the schedule tries again', {
          month,
          reason,
          retryInMs: delayMs,
          error,
        });
      }
    }
    this.#arm(Math.min(Math.max(delayMs, 0), MAX_TIMER_MS), 'schedule');
  }

  #arm(delayMs: number, reason: StoreReason): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#run = this.#check(reason).finally(() => {
        this.#run = undefined;
      });
    }, delayMs);
    // A pending report never keeps a stopping process alive.
    this.#timer.unref();
  }
}

/** The `meta` row holding {@link reportsSinceMs}. */
const SINCE_KEY = 'monthly_reports_since_ms';

/**
 * Since when the cell has data for the schedule's catch-up: written once, at the first start
 * with monthly reports, as the earlier of then and the oldest archived event (so a cell that ran
 * before this feature existed still catches up its last month), and read back on every start.
 *
 * @example
 * const sinceMs = reportsSinceMs(db, clock.now());
 */
export function reportsSinceMs(db: DatabaseHandle, nowMs: number): number {
  const oldest = db.prepare('SELECT MIN(received_at_ms) AS ms FROM archive').get() as { ms: number | null };
  const firstMs = Math.min(nowMs, oldest.ms ?? nowMs);
  db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(SINCE_KEY, String(firstMs));
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(SINCE_KEY) as { value: string };
  return Number(row.value);
}
