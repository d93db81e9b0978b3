import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_BACKUP_KEEP } from './backup-schedule.js';
import type { LocalCellBackupOptions } from './backup-service.js';

/**
 * The backup options of `npm start` (`cells/local/main.ts`): `--backup-dir`, `--backup-every`,
 * `--backup-keep` (scheduled backups) and `--restore` (restore a verified backup, then start).
 * Each value is checked as it is parsed, and the combination once parsing is done; every problem
 * is a usage error (exit 2) that names the option.
 *
 * @example
 * for (const option of backupCliOptions()) program.addOption(option);
 * program.parse(argv);
 * const backup = backupOptionsOf(program.opts(), (message) => program.error(message));
 */

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Keeping more is possible by hand; a typo like 7000 should not fill a disk. */
const MAX_KEEP = 1_000;

/** `30s`, `30m`, `6h`, `1d` → milliseconds (at least one second). */
export function parseBackupInterval(value: string): number {
  const match = DURATION.exec(value.trim());
  const ms = match ? Number(match[1]) * (UNIT_MS[match[2] as string] as number) : Number.NaN;
  if (!(ms >= 1_000) || !Number.isSafeInteger(ms)) {
    throw new InvalidArgumentError('must be a duration like 30m, 6h or 1d (a whole number and s, m, h or d)');
  }
  return ms;
}

function parseKeep(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_KEEP) {
    throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_KEEP}`);
  }
  return n;
}

/** The options to add to the `npm start` program. */
export function backupCliOptions(): Option[] {
  return [
    new Option('--backup-dir <dir>', 'write scheduled, verified backups into this directory (one per cell)'),
    new Option('--backup-every <duration>', 'interval of scheduled backups, e.g. 30m, 6h, 1d').argParser(
      parseBackupInterval,
    ),
    new Option('--backup-keep <n>', 'scheduled backups to keep (the newest; older ones are pruned)')
      .argParser(parseKeep)
      .default(undefined, '7'),
    new Option(
      '--restore <file>',
      'verify this backup, move the current database aside (cell.sqlite.before-restore-<time>), restore it, then start',
    ),
  ];
}

/** The parsed backup options of `npm start`; `fail` is called with a usage error (it exits). */
export function backupOptionsOf(
  opts: { backupDir?: string; backupEvery?: number; backupKeep?: number; restore?: string },
  fail: (message: string) => never,
): LocalCellBackupOptions {
  const { backupDir, backupEvery, backupKeep, restore } = opts;
  if (backupDir !== undefined && backupEvery === undefined) {
    fail('error: --backup-dir needs --backup-every (how often to back up, e.g. 6h)');
  }
  if (backupDir === undefined && (backupEvery !== undefined || backupKeep !== undefined)) {
    fail(`error: ${backupEvery !== undefined ? '--backup-every' : '--backup-keep'} needs --backup-dir`);
  }
  if (backupDir !== undefined && backupDir.trim() === '') fail('error: --backup-dir must not be empty');
  if (restore !== undefined && restore.trim() === '') fail('error: --restore must name a backup file');
  return {
    ...(backupDir !== undefined && backupEvery !== undefined
      ? { schedule: { dir: backupDir, everyMs: backupEvery, keep: backupKeep ?? DEFAULT_BACKUP_KEEP } }
      : {}),
    ...(restore !== undefined ? { restoreFrom: restore } : {}),
  };
}
