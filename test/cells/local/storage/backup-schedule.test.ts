import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startLocalCell } from '../../../../cells/local/local-cell.js';
import {
  backupFileName,
  listBackups,
  type WrittenBackup,
} from '../../../../cells/local/storage/backup-files.js';
import {
  assertBackupScheduleOptions,
  BackupSchedule,
} from '../../../../cells/local/storage/backup-schedule.js';
import { CellBackups } from '../../../../cells/local/storage/backup-service.js';
import { verifyBackupFile } from '../../../../cells/local/storage/backup-verify.js';
import { ManualClock } from '../../../../consumers/clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { makeCellDatabase } from './support/cell-db-file.js';

/** Scheduled backups: keep the newest N verified files, survive failures, start on time. */

const T0 = Date.parse('2026-11-20T09:00:00Z');
const HOUR = 3_600_000;
let dir: string;

const quiet = () => ({ info: vi.fn(), warn: vi.fn(), error: vi.fn() });

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-schedule-'));
});

afterEach(() => {
  vi.useRealTimers();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('CellBackups.writeBackup', () => {
  it('keeps the newest N verified backups and prunes the older ones', async () => {
    const dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir);
    const dbFile = path.join(dataDir, 'cell.sqlite');
    makeCellDatabase(dbFile, { rows: 20 });
    const clock = new ManualClock(T0);
    const backups = new CellBackups({ dbFile, dataDir, clock, logger: quiet() });
    const target = path.join(dir, 'backups');
    // A partial file an interrupted backup left behind.
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, `.${backupFileName(T0 - HOUR)}.dead.partial`), 'x');
    const written: WrittenBackup[] = [];

    for (let i = 0; i < 5; i++) {
      written.push(await backups.writeBackup(target, 3));
      clock.advance(HOUR);
    }

    expect(listBackups(target)).toEqual(written.slice(2).map((w) => w.file));
    expect(fs.readdirSync(target).sort()).toEqual(written.slice(2).map((w) => path.basename(w.file)));
    expect(written.map((w) => w.pruned.length)).toEqual([0, 0, 0, 1, 1]);
    expect(path.basename(written[4]?.file ?? '')).toBe('cell-2026-11-20T13-00-00.000Z.sqlite');
    for (const w of written.slice(2)) expect(verifyBackupFile(w.file).pages).toBe(w.pages);
  });
});

describe('startLocalCell with a backup schedule', () => {
  it('writes its first verified backup at once when the directory has none', async () => {
    const target = path.join(dir, 'backups');
    const cell = await startLocalCell({
      dataDir: path.join(dir, 'data'),
      port: 0,
      logLevel: 'silent',
      backup: { schedule: { dir: target, everyMs: HOUR, keep: 2 } },
    });
    try {
      const [file] = await waitFor(() => (listBackups(target).length > 0 ? listBackups(target) : undefined), {
        what: 'the first scheduled backup',
      });

      expect(verifyBackupFile(file as string).schemaVersion).toBeGreaterThan(0);
    } finally {
      await cell.close();
    }
  });
});

describe('BackupSchedule', () => {
  const options = { dir: '', everyMs: 6 * HOUR, keep: 7 };

  it('backs up at every tick, logs a failure and tries again at the next tick', async () => {
    vi.useFakeTimers();
    const logger = quiet();
    const results = [new Error('disk full'), undefined];
    const write = vi.fn(async (target: string) => {
      const failure = results.shift();
      if (failure) throw failure;
      return {
        file: path.join(target, 'b'),
        bytes: 1,
        pages: 1,
        schemaVersion: 1,
        durationMs: 1,
        pruned: [],
      };
    });
    const schedule = new BackupSchedule(write, { ...options, dir }, logger, new ManualClock(T0));

    schedule.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(6 * HOUR);
    await schedule.stop();

    expect(write).toHaveBeenCalledTimes(2);
    expect(logger.error).toHaveBeenCalledWith(
      'scheduled backup failed; it is tried again at the next tick',
      expect.objectContaining({ error: expect.objectContaining({ message: 'disk full' }) }),
    );
    expect(logger.info).toHaveBeenCalledWith(
      'scheduled backup written',
      expect.objectContaining({ bytes: 1 }),
    );
  });

  it('starts at once without backups and one interval after the newest backup otherwise', () => {
    const clock = new ManualClock(T0);
    const schedule = new BackupSchedule(vi.fn(), { ...options, dir }, quiet(), clock);
    const empty = schedule.firstDelayMs();
    fs.writeFileSync(path.join(dir, backupFileName(T0 - 2 * HOUR)), '');
    const recent = schedule.firstDelayMs();
    clock.advance(10 * HOUR);

    expect([empty, recent, schedule.firstDelayMs()]).toEqual([0, 4 * HOUR, 0]);
  });

  it('rejects an interval under a second and a keep under one, naming the value', () => {
    expect(() => assertBackupScheduleOptions({ ...options, dir, everyMs: 10 })).toThrow(
      'backup interval must be at least 1 s, got 10 ms',
    );
    expect(() => assertBackupScheduleOptions({ ...options, dir, keep: 0 })).toThrow(
      'backup keep must be an integer of at least 1, got 0',
    );
  });
});
