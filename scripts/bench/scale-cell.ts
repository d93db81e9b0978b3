import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DB_FILE_NAME } from '../../cells/local/local-cell.js';
import { type CellChild, startCell } from './cell-process.js';

/**
 * The cell the scale bench fills and measures: a child process (`cell-process.ts`) started with a
 * producer key (posts) and an operator key (reads), plus what the bench reads from outside it: its
 * RSS (`/proc/<pid>/status`) and its database's size on disk.
 *
 * @example
 * const keys = benchKeys();
 * const { cell, startSec } = await startScaleCell(dataDir, 'full', keys);
 * console.log(processRssMiB(cell.child.pid ?? 0), databaseBytes(dataDir));
 */

/** The keys the bench registers on its cell (random, at least 20 characters as the cell requires). */
export interface BenchKeys {
  readonly producer: string;
  readonly operator: string;
}

/** A large database takes longer to open (integrity check, counters): wait up to 10 minutes. */
const READY_TIMEOUT_MS = 10 * 60_000;

export function benchKeys(): BenchKeys {
  return {
    producer: `scale-producer-${randomBytes(16).toString('hex')}`,
    operator: `scale-operator-${randomBytes(16).toString('hex')}`,
  };
}

/** Starts the cell on `dataDir` and answers it with the seconds from spawn to `cell ready`. */
export async function startScaleCell(
  dataDir: string,
  synchronous: string,
  keys: BenchKeys,
): Promise<{ cell: CellChild; startSec: number }> {
  const started = performance.now();
  const cell = await startCell(dataDir, synchronous, keys.producer, {
    extraArgs: ['--operator-key', keys.operator],
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  return { cell, startSec: (performance.now() - started) / 1000 };
}

/** `VmRSS` of a `/proc/<pid>/status` text in MiB; NaN when the line is missing. */
export function vmRssMiB(statusText: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(statusText);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** The resident set of a process in MiB (Linux); NaN where `/proc` has no answer. */
export function processRssMiB(pid: number): number {
  try {
    return vmRssMiB(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return Number.NaN;
  }
}

/** The cell database's bytes on disk: `cell.sqlite` plus its write-ahead log. */
export function databaseBytes(dataDir: string): number {
  const file = path.join(dataDir, DB_FILE_NAME);
  const size = (f: string) => {
    try {
      return fs.statSync(f).size;
    } catch {
      return 0;
    }
  };
  return size(file) + size(`${file}-wal`);
}

/** The database file of a data dir. */
export function databaseFile(dataDir: string): string {
  return path.join(dataDir, DB_FILE_NAME);
}
