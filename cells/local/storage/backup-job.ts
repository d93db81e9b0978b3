import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../worker-thread.js';
import type { CopyProgress, DatabaseCopy } from './backup-copy.js';
import { type BackupProblem, BackupVerificationError, type VerifiedBackup } from './backup-verify.js';

/**
 * Runs one backup (online copy, then optionally the full verification) in a worker thread, so the
 * API thread stays free to serve while pages are copied and `integrity_check` reads the copy: both
 * are synchronous SQLite work that takes seconds on a large cell. The worker has its own
 * connection (see `backup-copy.ts` for why the copy is consistent while the engine writes).
 *
 * @example
 * const result = await runBackupJob({ source: dbFile, dest: tmp, verify: true }, (p) => log(p));
 */

export interface BackupJob {
  readonly source: string;
  readonly dest: string;
  /** Verify the copy (`verifyBackupFile`) before resolving; a failed check rejects and removes it. */
  readonly verify: boolean;
  readonly pagesPerStep?: number;
}

export interface BackupJobResult {
  readonly copy: DatabaseCopy;
  readonly verified: VerifiedBackup | undefined;
}

/** Messages from the backup worker. */
export type BackupWorkerMessage =
  | { readonly type: 'progress'; readonly progress: CopyProgress }
  | { readonly type: 'done'; readonly result: BackupJobResult }
  | {
      readonly type: 'failed';
      readonly error: { name: string; message: string; file?: string; reason?: BackupProblem };
    };

export class BackupFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackupFailedError';
  }
}

function spawnBackupWorker(job: BackupJob): Worker {
  return spawnModuleWorker(import.meta.url, 'backup-worker', job);
}

function errorOf(error: Extract<BackupWorkerMessage, { type: 'failed' }>['error']): Error {
  if (error.name === 'BackupVerificationError' && error.reason !== undefined) {
    const verification = new BackupVerificationError(error.file ?? '', error.reason, '');
    verification.message = error.message;
    return verification;
  }
  return new BackupFailedError(`backup failed: ${error.message}`);
}

/** Runs `job` in a fresh worker; resolves with the copy (and its verification), or rejects. */
export function runBackupJob(
  job: BackupJob,
  onProgress?: (progress: CopyProgress) => void,
): Promise<BackupJobResult> {
  return new Promise((resolve, reject) => {
    const worker = spawnBackupWorker(job);
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    worker.on('message', (message: BackupWorkerMessage) => {
      if (message.type === 'progress') onProgress?.(message.progress);
      else if (message.type === 'done') settle(() => resolve(message.result));
      else settle(() => reject(errorOf(message.error)));
    });
    worker.on('error', (error) =>
      settle(() =>
        reject(new BackupFailedError(`backup worker crashed: ${error.message}`, { cause: error })),
      ),
    );
    worker.on('exit', (code) =>
      settle(() => reject(new BackupFailedError(`backup worker exited with code ${code} before finishing`))),
    );
  });
}
