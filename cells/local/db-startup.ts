import type { Logger } from './logger.js';
import { type CacheWarmup, startCacheWarmup, WARMUP_HORIZON_MS } from './storage/cache-warmup.js';
import type { MigrationStep } from './storage/db.js';

/**
 * What a start does to the database file beside opening it, as the log tells it: the schema
 * migrations of an existing data dir (`openCellDatabase`'s `onMigration`) and the cache warm-up
 * once the cell is ready (`storage/cache-warmup.ts`).
 *
 * @example
 * openCellDatabase({ file, synchronous, role: 'api', onMigration: (step) => logMigration(logger, step) });
 */

/** Starts the start-up cache warm-up of a large database file, logging its outcome. */
export function warmCache(file: string, nowMs: number, logger: Logger): CacheWarmup | undefined {
  const warmup = startCacheWarmup(
    { file, nowMs },
    (result) => logger.info('cache warm-up done', { ...result, seconds: Number(result.seconds.toFixed(1)) }),
    (message) => logger.warn('cache warm-up failed; ingest warms the cache as it goes', { error: message }),
  );
  if (warmup) logger.info('cache warm-up started', { horizonHours: WARMUP_HORIZON_MS / 3_600_000 });
  return warmup;
}

/** Upgrading an existing data dir: each migration in the log, as some take a minute at scale. */
export function logMigration(logger: Logger, step: MigrationStep): void {
  if (step.from === 0) return; // a new database: nothing to wait for
  const { version, of, ms } = step;
  if (step.phase === 'start') logger.info('migrating the database', { version, of });
  else logger.info('migrated the database', { version, of, ms });
}
