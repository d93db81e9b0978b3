import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
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

/**
 * Under tsx (TypeScript sources, tests) the worker registers tsx itself before importing the
 * `.ts` entry: module hooks of the parent thread do not reach workers in Node 20 (as the engine
 * worker does, `engine/engine-host.ts`).
 */
function spawnBackupWorker(job: BackupJob): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./backup-worker.js', here), { workerData: job });
  const entry = new URL('./backup-worker.ts', here).href;
  const tsxApi =
    typeof import.meta.resolve === 'function'
      ? import.meta.resolve('tsx/esm/api')
      : pathToFileURL(
          createRequire(here)
            .resolve('tsx/esm/api')
            .replace(/\.cjs$/, '.mjs'),
        ).href;
  const boot = `import(${JSON.stringify(tsxApi)})
    .then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })
    .catch((error) => { console.error(error); process.exit(1); });`;
  return new Worker(boot, { eval: true, workerData: job });
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
