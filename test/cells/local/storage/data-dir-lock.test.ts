import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  acquireDataDirLock,
  type DataDirLock,
  DataDirLockedError,
  LOCK_FILE_NAME,
} from '../../../../cells/local/storage/data-dir-lock.js';
import { PROJECT_ROOT } from '../../../support/project-root.js';
import { tempDataDir } from '../helpers/cell-process.js';

const HOLDER = path.join('test', 'cells', 'local', 'storage', 'support', 'hold-data-dir-lock.ts');

interface Holder {
  readonly child: ChildProcess;
  /** Resolves with the first line the holder printed (`locked`, or the refusal) and its exit. */
  readonly firstLine: Promise<string>;
  readonly exited: Promise<number | null>;
}

/** Starts a process that takes the data dir's lock and keeps it until killed. */
function startHolder(dataDir: string): Holder {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, dataDir], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    void exited.then((code) => reject(new Error(`holder exited with ${code} before a line: ${out}`)));
  });
  return { child, firstLine, exited };
}

describe('acquireDataDirLock', () => {
  const locks: DataDirLock[] = [];
  const holders: Holder[] = [];
  let dataDir: string;

  afterEach(async () => {
    for (const lock of locks.splice(0)) lock.release();
    for (const holder of holders.splice(0)) {
      if (holder.child.exitCode === null && holder.child.signalCode === null) holder.child.kill('SIGKILL');
      await holder.exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a second lock in the same process, naming the dir and the pid, until released', () => {
    // Prepare
    dataDir = tempDataDir('lock-');
    const first = acquireDataDirLock(dataDir);

    // Act
    const refusal = (() => {
      try {
        acquireDataDirLock(dataDir, { waitMs: 0 });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    first.release();
    locks.push(acquireDataDirLock(dataDir, { waitMs: 0 }));

    // Assess
    expect(refusal).toBeInstanceOf(DataDirLockedError);
    expect((refusal as DataDirLockedError).message).toContain(
      `data dir ${dataDir} is in use by another local cell (pid ${process.pid}`,
    );
  });

  it('writes its pid into cell.lock while held and removes it on release', () => {
    dataDir = tempDataDir('lock-');
    const lock = acquireDataDirLock(dataDir);
    const pidFile = path.join(dataDir, LOCK_FILE_NAME);

    const whileHeld = fs.readFileSync(pidFile, 'utf8');
    lock.release();

    expect(whileHeld).toBe(`${process.pid}\n`);
    expect(fs.existsSync(pidFile)).toBe(false);
  });

  it('is not blocked by a pid file that names a live process (the lock of older versions)', () => {
    // Prepare: pid 1 is always alive; the pid-file lock would have refused here.
    dataDir = tempDataDir('lock-');
    fs.writeFileSync(path.join(dataDir, LOCK_FILE_NAME), '1\n');

    // Act
    locks.push(acquireDataDirLock(dataDir, { waitMs: 0 }));

    // Assess
    expect(fs.readFileSync(path.join(dataDir, LOCK_FILE_NAME), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('refuses while another process holds the lock and takes it at once after that process is killed', async () => {
    // Prepare
    dataDir = tempDataDir('lock-');
    const holder = startHolder(dataDir);
    holders.push(holder);
    expect(await holder.firstLine).toBe('locked');

    // Act
    const refusal = (() => {
      try {
        acquireDataDirLock(dataDir, { waitMs: 0 });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    holder.child.kill('SIGKILL');
    await holder.exited;
    const lock = acquireDataDirLock(dataDir, { waitMs: 0 });
    locks.push(lock);

    // Assess
    expect(refusal).toBeInstanceOf(DataDirLockedError);
    expect((refusal as DataDirLockedError).pid).toBe(holder.child.pid);
    expect((refusal as Error).message).toContain(`pid ${holder.child.pid}`);
  });

  it('lets exactly one of two processes started at the same instant hold the lock', async () => {
    // Prepare
    dataDir = tempDataDir('lock-');

    // Act
    const pair = [startHolder(dataDir), startHolder(dataDir)];
    holders.push(...pair);
    const lines = await Promise.all(pair.map((h) => h.firstLine));

    // Assess
    expect(lines.filter((line) => line === 'locked')).toHaveLength(1);
    expect(lines.filter((line) => line.includes('is in use by another local cell'))).toHaveLength(1);
  });
});
