import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../cells/local/local-cell.js';
import { SCHEMA_VERSION } from '../../../cells/local/storage/db.js';
import type { BackupSummary } from '../../../schemas/api/index.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from '../../cells/local/helpers/cell-process.js';
import { jsonOf, runOpsInProcess } from './support/run-ops.js';

/**
 * `invoice-ops backup` against an in-process local cell: a verified file written atomically with
 * progress on stderr, the refusals (producer key, existing --to, no --local), and `backup verify`.
 */

let cell: LocalCell;
let workDir: string;

beforeAll(async () => {
  workDir = tempDataDir('cli-backup-');
  cell = await startLocalCell({
    dataDir: path.join(workDir, 'data'),
    port: 0,
    apiKey: TEST_API_KEY,
    operatorKey: TEST_OPERATOR_KEY,
    logLevel: 'silent',
  });
});

afterAll(async () => {
  await cell.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

const backupArgs = (to: string, key = TEST_OPERATOR_KEY) => [
  'backup',
  '--local',
  cell.url,
  '--api-key',
  key,
  '--to',
  to,
];

describe('invoice-ops backup', () => {
  it('writes a verified backup, shows progress on stderr and prints the summary', async () => {
    const to = path.join(workDir, 'one.sqlite');

    const result = await runOpsInProcess([...backupArgs(to), '--json']);

    expect(result.code).toBe(0);
    const summary = jsonOf<BackupSummary>(result);
    expect(summary).toMatchObject({ file: to, verified: true, schemaVersion: SCHEMA_VERSION });
    expect(summary.bytes).toBe(fs.statSync(to).size);
    expect(result.stderr).toMatch(/backup: received \d+\.\d MiB/);
    expect(fs.readdirSync(workDir).filter((n) => n.includes('one.sqlite'))).toEqual(['one.sqlite']);
  });

  it('takes the key from INVOICE_OPS_API_KEY and prints a readable summary', async () => {
    const to = path.join(workDir, 'env.sqlite');

    const result = await runOpsInProcess(['backup', '--local', cell.url, '--to', to], {
      env: { INVOICE_OPS_API_KEY: TEST_OPERATOR_KEY },
    });

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^backup .*env\.sqlite: .* pages, schema \d+, .* verified \(integrity_check ok\)\n$/,
    );
  });

  it('fails with a producer key, writing nothing', async () => {
    const to = path.join(workDir, 'producer.sqlite');

    const result = await runOpsInProcess(backupArgs(to, TEST_API_KEY));

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/HTTP 403.*needs an operator key/);
    expect(fs.readdirSync(workDir).filter((n) => n.includes('producer'))).toEqual([]);
  });

  it('refuses an existing --to without --force, and a missing --local, as usage errors', async () => {
    const to = path.join(workDir, 'taken.sqlite');
    fs.writeFileSync(to, 'keep me');

    const taken = await runOpsInProcess(backupArgs(to));
    const noTarget = await runOpsInProcess(['backup', '--to', to]);

    expect([taken.code, noTarget.code]).toEqual([2, 2]);
    expect(taken.stderr).toContain('exists; pick another file or pass --force');
    expect(noTarget.stderr).toContain('backup needs --local <url>');
    expect(fs.readFileSync(to, 'utf8')).toBe('keep me');
  });
});

describe('invoice-ops backup verify', () => {
  it('accepts a good backup and refuses a damaged one, naming why', async () => {
    const good = path.join(workDir, 'verify-good.sqlite');
    expect((await runOpsInProcess(backupArgs(good))).code).toBe(0);
    const bad = path.join(workDir, 'verify-bad.sqlite');
    fs.writeFileSync(bad, fs.readFileSync(good).subarray(0, 4096 * 3 + 17));

    const ok = await runOpsInProcess(['backup', 'verify', '--file', good, '--json']);
    const refused = await runOpsInProcess(['backup', 'verify', '--file', bad]);

    expect(ok.code).toBe(0);
    expect(jsonOf<BackupSummary>(ok)).toMatchObject({ file: good, verified: true });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`backup ${bad} failed verification (truncated)`);
  });
});
