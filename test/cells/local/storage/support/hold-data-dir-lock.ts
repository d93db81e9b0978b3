import { acquireDataDirLock } from '../../../../../cells/local/storage/data-dir-lock.js';

/**
 * Child process for the data-dir lock tests: takes the lock of the data dir given as argument,
 * prints `locked` and holds it until killed (exits 3 with the error when refused).
 *
 * @example
 * spawn(process.execPath, ['--import', 'tsx', HOLDER, dataDir]);
 */
const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: hold-data-dir-lock.ts <data dir>');
try {
  acquireDataDirLock(dataDir, { waitMs: 0 });
  process.stdout.write('locked\n');
  setInterval(() => undefined, 60_000);
} catch (error) {
  process.stdout.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(3);
}
