import { parentPort, workerData } from 'node:worker_threads';
import { type CacheWarmupJob, type CacheWarmupMessage, warmRecentPages } from './cache-warmup.js';
import { openCellDatabase } from './db.js';

/** Worker-thread entry of the start-up cache warm-up (`cache-warmup.ts`): read, report, exit. */
const port = parentPort;
if (!port) throw new Error('cache-warmup-worker.ts must run in a worker thread');
const post = (message: CacheWarmupMessage) => port.postMessage(message);
const job = workerData as CacheWarmupJob;

try {
  const db = openCellDatabase({ file: job.file, synchronous: 'NORMAL', role: 'readonly' });
  try {
    post({ type: 'done', result: warmRecentPages(db, job) });
  } finally {
    db.close();
  }
} catch (error) {
  post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
}
