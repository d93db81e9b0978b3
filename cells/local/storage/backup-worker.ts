import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { copyDatabase } from './backup-copy.js';
import type { BackupJob, BackupWorkerMessage } from './backup-job.js';
import { BackupVerificationError, verifyBackupFile } from './backup-verify.js';

/**
 * Worker-thread entry of one backup job (`backup-job.ts`): copy, verify when asked, report, exit.
 * A copy that fails verification is removed, never left where it could be mistaken for a backup.
 */
const port = parentPort;
if (!port) throw new Error('backup-worker.ts must run in a worker thread');
const post = (message: BackupWorkerMessage) => port.postMessage(message);
const job = workerData as BackupJob;

try {
  const copy = await copyDatabase(job.source, job.dest, {
    onProgress: (progress) => post({ type: 'progress', progress }),
    ...(job.pagesPerStep !== undefined ? { pagesPerStep: job.pagesPerStep } : {}),
  });
  let verified: ReturnType<typeof verifyBackupFile> | undefined;
  if (job.verify) {
    try {
      verified = verifyBackupFile(job.dest);
    } catch (error) {
      fs.rmSync(job.dest, { force: true });
      throw error;
    }
  }
  post({ type: 'done', result: { copy, verified } });
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  post({
    type: 'failed',
    error: {
      name: e.name,
      message: e.message,
      ...(e instanceof BackupVerificationError ? { file: e.file, reason: e.reason } : {}),
    },
  });
}
