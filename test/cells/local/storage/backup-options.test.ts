import fs from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { backupOptionsOf, parseBackupInterval } from '../../../../cells/local/storage/backup-options.js';
import { runCellCli, tempDataDir } from '../helpers/cell-process.js';

/** `npm start`'s backup options: durations, combinations, defaults; every mistake a usage error (exit 2). */

const fail = (message: string): never => {
  throw new Error(message);
};

describe('parseBackupInterval', () => {
  it('reads s, m, h and d', () => {
    expect(['30s', '30m', '6h', '1d'].map(parseBackupInterval)).toEqual([
      30_000, 1_800_000, 21_600_000, 86_400_000,
    ]);
  });

  it.each(['6', '0h', '1.5h', 'h', '6 hours', '-1m'])('refuses %j with the expected form', (value) => {
    expect(() => parseBackupInterval(value)).toThrow(InvalidArgumentError);
    expect(() => parseBackupInterval(value)).toThrow('must be a duration like 30m, 6h or 1d');
  });
});

describe('backupOptionsOf', () => {
  it('keeps 7 backups unless told otherwise', () => {
    expect(backupOptionsOf({ backupDir: '/b', backupEvery: 60_000 }, fail)).toEqual({
      schedule: { dir: '/b', everyMs: 60_000, keep: 7 },
    });
    expect(
      backupOptionsOf({ backupDir: '/b', backupEvery: 60_000, backupKeep: 2, restore: 'f' }, fail),
    ).toEqual({
      schedule: { dir: '/b', everyMs: 60_000, keep: 2 },
      restoreFrom: 'f',
    });
  });

  it('names the missing partner option', () => {
    expect(() => backupOptionsOf({ backupDir: '/b' }, fail)).toThrow('--backup-dir needs --backup-every');
    expect(() => backupOptionsOf({ backupEvery: 60_000 }, fail)).toThrow('--backup-every needs --backup-dir');
    expect(() => backupOptionsOf({ backupKeep: 3 }, fail)).toThrow('--backup-keep needs --backup-dir');
  });

  it('is empty without backup options', () => {
    expect(backupOptionsOf({}, fail)).toEqual({});
  });
});

describe('npm start with bad backup options', () => {
  it.each([
    [['--backup-every', '6h'], '--backup-every needs --backup-dir'],
    [
      ['--backup-dir', '/tmp/x', '--backup-every', 'soon'],
      "option '--backup-every <duration>' argument 'soon' is invalid",
    ],
    [
      ['--backup-dir', '/tmp/x', '--backup-every', '1h', '--backup-keep', '0'],
      'must be an integer from 1 to 1000',
    ],
  ])('exits 2 for %j, saying why', async (args, message) => {
    const { code, out } = await runCellCli(args);

    expect(code).toBe(2);
    expect(out).toContain(message);
  });
});

describe('npm start --restore', () => {
  it('refuses a file that is not a backup before touching the data dir, exit 1 with the reason', async () => {
    const dataDir = tempDataDir('restore-cli-');

    const { code, out } = await runCellCli(['--data-dir', dataDir, '--restore', `${dataDir}/none.sqlite`]);

    expect(code).toBe(1);
    expect(out).toContain(`backup ${dataDir}/none.sqlite failed verification (missing)`);
    expect(fs.readdirSync(dataDir).filter((n) => n.startsWith('cell.sqlite'))).toEqual([]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
