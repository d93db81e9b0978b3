import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../../cells/local/storage/db.js';
import { CellClient } from './helpers/cell-client.js';
import { runCellCli, startCellProcess, stopAllCells, tempDataDir } from './helpers/cell-process.js';
import { waitFor } from './helpers/wait-for.js';
import { addArchiveRows, damageLeafPage, makeCellDatabase } from './storage/support/cell-db-file.js';

const dirs: string[] = [];
function dir(): string {
  const d = tempDataDir('cell-cli-');
  dirs.push(d);
  return d;
}

describe('local cell CLI', () => {
  afterAll(async () => {
    await stopAllCells();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  describe('--help', () => {
    it('lists every option', async () => {
      const { code, out } = await runCellCli(['--help']);
      expect(code).toBe(0);
      for (const option of [
        '--port',
        '--host',
        '--data-dir',
        '--api-key',
        '--operator-key',
        '--tls-cert',
        '--tls-key',
        '--rate-limit',
        '--burst',
        '--visibility-timeout-sec',
        '--max-receive-count',
        '--synchronous',
        '--enable-fault-injection',
        '--full-check',
      ]) {
        expect(out).toContain(option);
      }
    });

    it('exits 2 naming a bad option value', async () => {
      const { code, out } = await runCellCli(['--port', 'eighty']);
      expect(code).toBe(2);
      expect(out).toContain('--port');
    });
  });

  describe('API key', () => {
    it('generates and prints a producer key on first start only, and accepts it', async () => {
      // Prepare
      const dataDir = dir();

      // Act
      const first = await startCellProcess({ dataDir, apiKey: null });
      const ready = first.lines
        .map((l) => JSON.parse(l) as { msg: string; apiKey?: string })
        .find((l) => l.msg === 'cell ready');
      const key = ready?.apiKey ?? '';
      const client = new CellClient(first.url, key);
      const authed = await client.post('/invoices/nope', {});
      await first.stop();
      const second = await startCellProcess({ dataDir, apiKey: null });
      const secondReady = second.lines
        .map((l) => JSON.parse(l) as { msg: string; apiKey?: string })
        .find((l) => l.msg === 'cell ready');
      await second.stop();

      // Assess: the key authenticates (404 for the unknown stage, not 401/403); printed once.
      expect(key.length).toBeGreaterThanOrEqual(40);
      expect(authed.status).toBe(404);
      expect(secondReady).toBeDefined();
      expect(secondReady?.apiKey).toBeUndefined();
      const db = fs.readFileSync(path.join(dataDir, 'cell.sqlite'));
      expect(db.includes(Buffer.from(key))).toBe(false); // stored hashed only
    });
  });

  describe('upgrade', () => {
    it('logs each migration it applies to a data dir of an older schema, and none on a new one', async () => {
      // Prepare
      const oldDir = dir();
      makeCellDatabase(path.join(oldDir, 'cell.sqlite'), { rows: 1, version: SCHEMA_VERSION - 1 });
      const migrations = (lines: readonly string[]) =>
        lines
          .map((l) => JSON.parse(l) as { msg: string; version?: number; of?: number })
          .filter((l) => l.msg.startsWith('migrat'))
          .map(({ msg, version, of }) => ({ msg, version, of }));

      // Act
      const upgraded = await startCellProcess({ dataDir: oldDir });
      await upgraded.stop();
      const fresh = await startCellProcess({ dataDir: dir() });
      await fresh.stop();

      // Assess
      expect(migrations(upgraded.lines)).toEqual([
        { msg: 'migrating the database', version: SCHEMA_VERSION, of: SCHEMA_VERSION },
        { msg: 'migrated the database', version: SCHEMA_VERSION, of: SCHEMA_VERSION },
      ]);
      expect(migrations(fresh.lines)).toEqual([]);
    });
  });

  describe('cache warm-up', () => {
    it('reads the recent pages of a large data dir in the background once ready, and logs what it read', async () => {
      // Prepare: a data dir larger than the engine's page cache (64 MiB).
      const dataDir = dir();
      makeCellDatabase(path.join(dataDir, 'cell.sqlite'), { rows: 70_000 });

      // Act
      const cell = await startCellProcess({ dataDir });
      const done = await waitFor(
        () =>
          cell.lines
            .map(
              (l) => JSON.parse(l) as { msg: string; rows?: Record<string, number>; horizonHours?: number },
            )
            .find((l) => l.msg === 'cache warm-up done'),
        { what: 'cache warm-up done' },
      );
      await cell.stop();

      // Assess
      expect(done.horizonHours).toBe(72);
      expect(done.rows).toMatchObject({ sla_entries_entered: 0, invoice_state_deadline: 0 });
      expect(cell.lines.some((l) => l.includes('"cache warm-up started"'))).toBe(true);
    });
  });

  describe('start-up failures', () => {
    it('refuses a data dir in use, naming the dir and the pid', async () => {
      // Prepare
      const dataDir = dir();
      const running = await startCellProcess({ dataDir });

      // Act
      const { code, out } = await runCellCli(['--port', '0', '--data-dir', dataDir]);
      await running.stop();

      // Assess
      expect(code).toBe(1);
      expect(out).toContain(dataDir);
      expect(out).toContain(`pid ${running.pid}`);
    });

    it('refuses a corrupt database, naming the file', async () => {
      // Prepare
      const dataDir = dir();
      const file = path.join(dataDir, 'cell.sqlite');
      fs.writeFileSync(file, 'this is not a database, it is a grocery list'.repeat(200));

      // Act
      const { code, out } = await runCellCli(['--port', '0', '--data-dir', dataDir]);

      // Assess
      expect(code).toBe(1);
      expect(out).toContain(file);
      expect(out).toContain('corrupt');
    });

    it('with --full-check refuses a damaged page of a history table, naming the file', async () => {
      // Prepare: the default start leaves history tables to backups (startup-check.test.ts)
      const dataDir = dir();
      const file = path.join(dataDir, 'cell.sqlite');
      makeCellDatabase(file, { rows: 1 });
      addArchiveRows(file, 200);
      damageLeafPage(file, 'archive');

      // Act
      const { code, out } = await runCellCli(['--port', '0', '--data-dir', dataDir, '--full-check']);

      // Assess
      expect(code).toBe(1);
      expect(out).toContain(file);
      expect(out).toContain('corrupt');
    });
  });
});
