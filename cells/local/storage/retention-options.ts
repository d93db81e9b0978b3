import { InvalidArgumentError, Option } from 'commander';
import { MAX_QUEUE_WAIT_DAYS } from '../../business-time.js';
import type { CellSettings } from '../../topology.js';

/**
 * How long the local cell keeps what grows with history, and the `npm start` flags that set it.
 * Raw records go first; rollup bins outlive them, coarser bins longest, so a dashboard still
 * reads a 2-year trend from hour bins after the raw records and the minute bins are gone.
 *
 * | option | default | what is deleted after it |
 * |---|---|---|
 * | `recordRetentionDays` | 400 | raw records (by first-write time), with the latest-state rows they left |
 * | `archiveRetentionDays` | topology's (365) | archived events (by received time): replays reach back this far |
 * | `minuteBinRetentionDays` | 35 | 1-minute and 5-minute rollup bins (a 30-day window keeps minute edges) |
 * | `hourBinRetentionDays` | 800 | 1-hour rollup bins (2-year trends) |
 * | `dayBinRetentionDays` | 3650 | 1-day rollup bins |
 *
 * @example
 * const retention = resolveRetention({ recordRetentionDays: 500 }, topology.settings);
 */

/** Retention of the local cell database, in whole days (validated by {@link resolveRetention}). */
export interface RetentionOptions {
  /** Raw `records` (and latest-state rows of pruned records), by first-write time. */
  readonly recordRetentionDays: number;
  /** The bus archive, by received time. */
  readonly archiveRetentionDays: number;
  /** Rollup bins of the `1m` and `5m` tiers. */
  readonly minuteBinRetentionDays: number;
  /** Rollup bins of the `1h` tier. */
  readonly hourBinRetentionDays: number;
  /** Rollup bins of the `1d` tier. */
  readonly dayBinRetentionDays: number;
  /** How often the retention job runs (also once when the engine starts). */
  readonly pruneEveryMs: number;
}

/** Defaults; `archiveRetentionDays` comes from the topology's cell settings. */
export const DEFAULT_RETENTION: Omit<RetentionOptions, 'archiveRetentionDays'> = {
  // The archive's 365 days + the 14-day queue wait, rounded up: see the rule in resolveRetention.
  recordRetentionDays: 400,
  // A 30-day dashboard resolves its window edges to the minute.
  minuteBinRetentionDays: 35,
  // Two years and a bit: a 2-year trend stays readable after the raw records are gone.
  hourBinRetentionDays: 800,
  dayBinRetentionDays: 3650,
  pruneEveryMs: 3_600_000,
};

/** A retention option that cannot work; names the option and why. */
export class RetentionOptionsError extends Error {
  /** The option, as named in {@link RetentionOptions}. */
  readonly option: keyof RetentionOptions;
  constructor(option: keyof RetentionOptions, reason: string) {
    super(`${option} ${reason}`);
    this.name = 'RetentionOptionsError';
    this.option = option;
  }
}

const MAX_DAYS = 36_500;
const DAY_KEYS = [
  'recordRetentionDays',
  'archiveRetentionDays',
  'minuteBinRetentionDays',
  'hourBinRetentionDays',
  'dayBinRetentionDays',
] as const;

function checkRules(r: RetentionOptions): void {
  for (const key of DAY_KEYS) {
    const value: unknown = r[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_DAYS) {
      throw new RetentionOptionsError(
        key,
        `must be a whole number of days from 1 to ${MAX_DAYS}, got ${value}`,
      );
    }
  }
  if (!(Number.isInteger(r.pruneEveryMs) && r.pruneEveryMs >= 1_000)) {
    throw new RetentionOptionsError(
      'pruneEveryMs',
      `must be an integer of at least 1000, got ${r.pruneEveryMs}`,
    );
  }
  const least = r.archiveRetentionDays + MAX_QUEUE_WAIT_DAYS;
  if (r.recordRetentionDays < least) {
    throw new RetentionOptionsError(
      'recordRetentionDays',
      `must be at least archiveRetentionDays + ${MAX_QUEUE_WAIT_DAYS} (${least}), got ${r.recordRetentionDays}: ` +
        `an archive replay (up to ${r.archiveRetentionDays} days after receipt) or a retry or redrive of a ` +
        `message (up to ${MAX_QUEUE_WAIT_DAYS} days in a queue or DLQ) of an event whose record was pruned ` +
        'would store it as new and count it twice; shorten --archive-retention-days first',
    );
  }
  // planWindow resolves a window's edges to the finest tier still kept there: that needs finer
  // tiers to be kept no longer than coarser ones.
  if (r.hourBinRetentionDays < r.minuteBinRetentionDays) {
    throw new RetentionOptionsError(
      'hourBinRetentionDays',
      `must be at least minuteBinRetentionDays (${r.minuteBinRetentionDays}), got ${r.hourBinRetentionDays}: ` +
        'finer bins must not outlive coarser ones',
    );
  }
  if (r.dayBinRetentionDays < r.hourBinRetentionDays) {
    throw new RetentionOptionsError(
      'dayBinRetentionDays',
      `must be at least hourBinRetentionDays (${r.hourBinRetentionDays}), got ${r.dayBinRetentionDays}: ` +
        'finer bins must not outlive coarser ones',
    );
  }
}

/**
 * The retention options with defaults filled in, validated: every value a whole number of days
 * (1 to 36,500), records kept at least the archive retention + 14 days, finer bins kept no
 * longer than coarser ones. Throws {@link RetentionOptionsError}. Pure.
 *
 * @example
 * resolveRetention({}, DEFAULT_CELL_SETTINGS).recordRetentionDays; // 400
 */
export function resolveRetention(
  overrides: Partial<RetentionOptions>,
  settings: Pick<CellSettings, 'archiveRetentionDays'>,
): RetentionOptions {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const resolved: RetentionOptions = {
    recordRetentionDays: DEFAULT_RETENTION.recordRetentionDays,
    archiveRetentionDays: settings.archiveRetentionDays,
    minuteBinRetentionDays: DEFAULT_RETENTION.minuteBinRetentionDays,
    hourBinRetentionDays: DEFAULT_RETENTION.hourBinRetentionDays,
    dayBinRetentionDays: DEFAULT_RETENTION.dayBinRetentionDays,
    pruneEveryMs: DEFAULT_RETENTION.pruneEveryMs,
    ...defined,
  };
  checkRules(resolved);
  return resolved;
}

function days(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_DAYS) {
    throw new InvalidArgumentError(`must be a whole number of days from 1 to ${MAX_DAYS}`);
  }
  return n;
}

/** The flag of each day option, e.g. `--record-retention-days`. */
function flagOf(option: keyof RetentionOptions): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The retention options to add to the `npm start` program. */
export function retentionCliOptions(settings: Pick<CellSettings, 'archiveRetentionDays'>): Option[] {
  const help: Record<(typeof DAY_KEYS)[number], [string, number]> = {
    recordRetentionDays: [
      'days raw records are kept after their first write (at least the archive retention + 14)',
      DEFAULT_RETENTION.recordRetentionDays,
    ],
    archiveRetentionDays: ['days archived events are kept for replays', settings.archiveRetentionDays],
    minuteBinRetentionDays: [
      'days 1-minute and 5-minute rollup bins are kept',
      DEFAULT_RETENTION.minuteBinRetentionDays,
    ],
    hourBinRetentionDays: ['days 1-hour rollup bins are kept', DEFAULT_RETENTION.hourBinRetentionDays],
    dayBinRetentionDays: ['days 1-day rollup bins are kept', DEFAULT_RETENTION.dayBinRetentionDays],
  };
  return DAY_KEYS.map((key) => {
    const [text, fallback] = help[key];
    // Not commander defaults: resolveRetention fills them in, so only the flags given are passed.
    return new Option(`${flagOf(key)} <days>`, `${text} (default: ${fallback})`).argParser(days);
  });
}

/** The parsed retention flags of `npm start`, validated; `fail` gets a usage error (it exits). */
export function retentionOptionsOf(
  opts: Partial<Record<(typeof DAY_KEYS)[number], number>>,
  settings: Pick<CellSettings, 'archiveRetentionDays'>,
  fail: (message: string) => never,
): Partial<RetentionOptions> {
  const given: Partial<Record<(typeof DAY_KEYS)[number], number>> = {};
  for (const key of DAY_KEYS) {
    const value = opts[key];
    if (value !== undefined) given[key] = value;
  }
  try {
    resolveRetention(given, settings);
  } catch (error) {
    if (!(error instanceof RetentionOptionsError)) throw error;
    fail(`error: ${flagOf(error.option)} ${error.message.slice(error.option.length + 1)}`);
  }
  return given;
}
