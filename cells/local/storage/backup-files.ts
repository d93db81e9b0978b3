import fs from 'node:fs';
import path from 'node:path';
import { isoFromMs, parseRfc3339Ms } from '../../../schemas/time.js';

/**
 * Names of scheduled backups: `cell-2026-11-20T09-15-00.123Z.sqlite`, the ISO time with `-` for
 * `:` (valid on every filesystem), so names sort by time and carry it.
 *
 * @example
 * backupFileName(Date.parse('2026-11-20T09:15:00Z')); // 'cell-2026-11-20T09-15-00.000Z.sqlite'
 */

const BACKUP_NAME = /^cell-(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2}\.\d{3}Z)\.sqlite$/;

/** A verified backup written into a backup directory. */
export interface WrittenBackup {
  readonly file: string;
  readonly bytes: number;
  readonly pages: number;
  readonly schemaVersion: number;
  readonly durationMs: number;
  /** Older backups removed because more than `keep` were there. */
  readonly pruned: readonly string[];
}

/** The file name of a scheduled backup taken at `ms`. */
export function backupFileName(ms: number): string {
  return `cell-${isoFromMs(ms).replace(/:/g, '-')}.sqlite`;
}

/** The time in a scheduled backup's file name, or undefined for any other name. */
export function backupTimeMs(name: string): number | undefined {
  const m = BACKUP_NAME.exec(name);
  return m ? parseRfc3339Ms(`${m[1]}T${m[2]}:${m[3]}:${m[4]}`) : undefined;
}

/** Scheduled backups in `dir`, oldest first (an absent dir has none). */
export function listBackups(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => BACKUP_NAME.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}
