import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../../../cells/local/logger.js';
import { type DatabaseHandle, openCellDatabase } from '../../../../cells/local/storage/db.js';
import { DiskFullMonitor } from '../../../../cells/local/storage/disk-full-monitor.js';
import { ManualClock } from '../../../../consumers/clock.js';
import { tempDataDir } from '../helpers/cell-process.js';

interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly fields?: LogFields;
}

/** A logger that keeps its lines. */
function capturingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (msg: string, fields?: LogFields): void => {
      lines.push({ level, msg, ...(fields ? { fields } : {}) });
    };
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

const diskFull = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

describe('DiskFullMonitor', () => {
  let dir: string;
  let db: DatabaseHandle;
  let lines: LogLine[];
  let clock: ManualClock;
  let freeBytes: number;
  let monitor: DiskFullMonitor;

  beforeEach(() => {
    dir = tempDataDir('disk-monitor-');
    const dbFile = path.join(dir, 'cell.sqlite');
    db = openCellDatabase({ file: dbFile, synchronous: 'NORMAL', role: 'api' });
    lines = [];
    clock = new ManualClock(1_000);
    freeBytes = 0;
    monitor = new DiskFullMonitor({
      db,
      dbFile,
      clock,
      logger: capturingLogger(lines),
      filesystemFreeBytes: () => freeBytes,
    });
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ignores errors other than a full disk', () => {
    monitor.noteError(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
    monitor.noteError(new Error('no such table'));

    expect(monitor.state()).toEqual({ full: false, sinceMs: null, episodes: 0 });
    expect(lines).toEqual([]);
  });

  it('logs one error per episode however many writes fail', () => {
    // Act
    monitor.noteError(diskFull());
    clock.advance(500);
    monitor.noteError(new Error('store write failed', { cause: diskFull() }));
    monitor.noteError(diskFull());

    // Assess
    expect(monitor.state()).toEqual({ full: true, sinceMs: 1_000, episodes: 1 });
    expect(lines.map((l) => [l.level, l.msg.split(':')[0]])).toEqual([['error', 'disk full']]);
  });

  it('stays full while the disk has no room and ends the episode once it has, logging it once', () => {
    // Prepare
    monitor.noteError(diskFull());

    // Act
    const stillFull = monitor.probe();
    freeBytes = 1024 ** 4;
    clock.advance(30_000);
    const fullAfterSpaceReturned = monitor.probe();
    const fullOnNextProbe = monitor.probe();

    // Assess
    expect([stillFull, fullAfterSpaceReturned, fullOnNextProbe]).toEqual([true, false, false]);
    expect(lines.map((l) => l.level)).toEqual(['error', 'info']);
    expect(lines[1]?.msg).toBe('disk space is back: ingest and queue processing resumed');
    expect(lines[1]?.fields).toMatchObject({ fullForMs: 30_000 });
  });

  it('stays full while the database is at its page cap, whatever the filesystem has free', () => {
    // Prepare
    freeBytes = 1024 ** 4;
    db.pragma('max_page_count = 1'); // capped at its current size
    monitor.noteError(diskFull());

    // Act
    const whileCapped = monitor.probe();
    db.pragma('max_page_count = 1000000');
    const afterRaise = monitor.probe();

    // Assess
    expect([whileCapped, afterRaise]).toEqual([true, false]);
    expect(monitor.state()).toEqual({ full: false, sinceMs: null, episodes: 1 });
  });

  it('counts a new episode when the disk fills again', () => {
    freeBytes = 1024 ** 4;
    monitor.noteError(diskFull());
    monitor.probe();
    monitor.noteError(diskFull());

    expect(monitor.state()).toMatchObject({ full: true, episodes: 2 });
    expect(lines.map((l) => l.level)).toEqual(['error', 'info', 'error']);
  });
});
