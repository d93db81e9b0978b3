import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  CORRUPT_DATABASE_HINT,
  createLogger,
  defaultLogFormat,
  isLogFormat,
  type LoggerOptions,
} from '../../../cells/local/logger.js';
import { tempDataDir } from './helpers/cell-process.js';
import { addArchiveRows, damageLeafPage, makeCellDatabase } from './storage/support/cell-db-file.js';

/** A logger whose lines land in an array. */
function capture(options: LoggerOptions = {}) {
  const lines: string[] = [];
  const logger = createLogger({ ...options, write: (line) => lines.push(line) });
  return { logger, lines };
}

describe('createLogger', () => {
  describe('json format', () => {
    it('writes one JSON object per line with a level label, an RFC 3339 time, bindings and fields', () => {
      // Prepare
      const { logger, lines } = capture({ base: { component: 'cell' } });

      // Act
      logger.info('cell ready', { url: 'http://127.0.0.1:8787', stages: ['ingestion'] });

      // Assess
      expect(lines).toHaveLength(1);
      expect(lines[0]?.endsWith('\n')).toBe(true);
      const entry = JSON.parse(lines[0] ?? '');
      expect(entry).toEqual({
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        component: 'cell',
        url: 'http://127.0.0.1:8787',
        stages: ['ingestion'],
        msg: 'cell ready',
      });
    });

    it('drops lines below the level and logs nothing when silent', () => {
      // Prepare
      const warnOnly = capture({ level: 'warn' });
      const silent = capture({ level: 'silent' });

      // Act
      for (const { logger } of [warnOnly, silent]) {
        logger.debug('d');
        logger.info('i');
        logger.warn('w');
        logger.error('e');
      }

      // Assess
      expect(warnOnly.lines.map((l) => JSON.parse(l).level)).toEqual(['warn', 'error']);
      expect(silent.lines).toEqual([]);
    });

    it('writes errors as name, message and stack, and bigints as decimal text', () => {
      // Prepare
      const { logger, lines } = capture();
      const error = Object.assign(new RangeError('too big'), { code: 'E_BIG' });

      // Act
      logger.error('failed', { error, amountMinor: 12345678901234567890n });

      // Assess
      const entry = JSON.parse(lines[0] ?? '');
      expect(entry.error).toMatchObject({ name: 'RangeError', message: 'too big', code: 'E_BIG' });
      expect(entry.error.stack).toContain('too big');
      expect(entry.amountMinor).toBe('12345678901234567890');
      expect(entry.error.hint).toBeUndefined();
    });

    it('tells the operator to restore a backup when SQLite reads a damaged page', () => {
      // Prepare: a real SQLITE_CORRUPT from a history page the start-up check leaves to backups
      const dir = tempDataDir('logger-corrupt-');
      const file = path.join(dir, 'cell.sqlite');
      makeCellDatabase(file, { rows: 1 });
      addArchiveRows(file, 200);
      damageLeafPage(file, 'archive');
      const db = new Database(file, { readonly: true });
      let error: unknown;
      try {
        db.prepare('SELECT sum(length(body)) FROM archive').get();
      } catch (caught) {
        error = caught;
      } finally {
        db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
      const { logger, lines } = capture();

      // Act
      logger.error('housekeeping failed', { error });

      // Assess
      const entry = JSON.parse(lines[0] ?? '');
      expect(entry.error.code).toBe('SQLITE_CORRUPT');
      expect(entry.error.hint).toBe(CORRUPT_DATABASE_HINT);
      expect(entry.error.hint).toContain('--restore');
    });

    it('gives a child its bindings, a later value replacing an earlier one', () => {
      // Prepare
      const { logger, lines } = capture({ base: { component: 'cell', cell: 'local' } });

      // Act
      logger.child({ component: 'engine' }).warn('store write retrying', { attempt: 2 });

      // Assess
      expect(lines[0]?.match(/"component"/g)).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? '')).toMatchObject({ component: 'engine', cell: 'local', attempt: 2 });
    });
  });

  describe('pretty format', () => {
    it('writes a readable line: time, level, component, message and fields, no JSON object', () => {
      // Prepare
      const { logger, lines } = capture({ format: 'pretty', colorize: false, base: { component: 'cell' } });

      // Act
      logger.warn('listening on a non-loopback address', { host: '0.0.0.0' });

      // Assess
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: \[cell\] listening on a non-loopback address \{"host":"0\.0\.0\.0"\}\n$/,
      );
      expect(() => JSON.parse(lines[0] ?? '')).toThrow();
    });

    it('keeps the level threshold', () => {
      // Prepare
      const { logger, lines } = capture({ format: 'pretty', colorize: false });

      // Act
      logger.debug('not shown');
      logger.info('shown');

      // Assess
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('INFO: shown');
    });
  });
});

describe('defaultLogFormat', () => {
  it('is pretty on a terminal and json otherwise', () => {
    // Act
    const formats = [defaultLogFormat(true), defaultLogFormat(false), defaultLogFormat(undefined)];

    // Assess
    expect(formats).toEqual(['pretty', 'json', 'json']);
  });
});

describe('isLogFormat', () => {
  it('accepts json and pretty only', () => {
    // Act
    const verdicts = ['json', 'pretty', 'text', ''].map(isLogFormat);

    // Assess
    expect(verdicts).toEqual([true, true, false, false]);
  });
});
