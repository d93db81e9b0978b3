import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../cells/local/local-cell.js';
import { reportsPlugin } from '../../../cells/local/reports/reports-plugin.js';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import type { MonthlyReport } from '../../../consumers/reports/monthly-report.js';
import { monthOf, previousMonth } from '../../../consumers/reports/report-month.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from '../../cells/local/helpers/cell-process.js';
import { jsonOf, runOpsInProcess } from './support/run-ops.js';

/**
 * `invoice-ops report` in-process against an in-process local cell: JSON on stdout by default, a
 * format written atomically to `--out`, exit 2 for a bad month, format or target (nothing asked
 * of the cell), exit 1 when the cell refuses.
 */

const zone = CELL_TOPOLOGY.settings.timeZone;
let cell: LocalCell;
let workDir: string;
let current: string;
let previous: string;

beforeAll(async () => {
  workDir = tempDataDir('cli-report-');
  cell = await startLocalCell({
    dataDir: path.join(workDir, 'data'),
    port: 0,
    apiKey: TEST_API_KEY,
    operatorKey: TEST_OPERATOR_KEY,
    processorThread: 'inline',
    logLevel: 'silent',
    plugins: [reportsPlugin({ schedule: false })],
  });
  current = monthOf(Date.now(), zone);
  previous = previousMonth(Date.now(), zone);
});

afterAll(async () => {
  await cell.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

const target = () => ['--local', cell.url, '--api-key', TEST_OPERATOR_KEY];

describe('invoice-ops report', () => {
  it('prints the month so far as JSON by default', async () => {
    // Act
    const result = await runOpsInProcess(['report', ...target(), '--month', current]);

    // Assess
    expect(result.code).toBe(0);
    expect(jsonOf<MonthlyReport>(result)).toMatchObject({
      month: current,
      monthComplete: false,
      cell: 'local',
    });
  });

  it('writes a format to --out atomically and says so on stderr', async () => {
    // Prepare
    const out = path.join(workDir, 'previous.csv');

    // Act
    const result = await runOpsInProcess([
      'report',
      ...target(),
      '--month',
      previous,
      '--format',
      'csv',
      '--out',
      out,
    ]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(
        `^report ${previous} \\(csv, stored by the cell\\) from .*: \\d+ bytes written to ${out}\\n$`,
      ),
    );
    expect(fs.readFileSync(out, 'utf8')).toBe(
      fs.readFileSync(path.join(cell.dataDir, 'reports', `${previous}.csv`), 'utf8'),
    );
    expect(fs.readdirSync(workDir).filter((n) => n.includes('previous.csv'))).toEqual(['previous.csv']);
  });

  it('takes the key from INVOICE_OPS_API_KEY', async () => {
    // Act
    const result = await runOpsInProcess(
      ['report', '--local', cell.url, '--month', current, '--format', 'html'],
      {
        env: { INVOICE_OPS_API_KEY: TEST_OPERATOR_KEY },
      },
    );

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^<!doctype html>/i);
  });

  it('exits 2 naming a bad month, format or target, before asking any cell', async () => {
    // Act
    const badMonth = await runOpsInProcess(['report', ...target(), '--month', '2026-13']);
    const badFormat = await runOpsInProcess(['report', ...target(), '--month', current, '--format', 'pdf']);
    const noMonth = await runOpsInProcess(['report', ...target()]);
    const noTarget = await runOpsInProcess(['report', '--month', current]);
    const noDir = await runOpsInProcess([
      'report',
      ...target(),
      '--month',
      current,
      '--out',
      path.join(workDir, 'none', 'r.json'),
    ]);

    // Assess
    expect([badMonth.code, badFormat.code, noMonth.code, noTarget.code, noDir.code]).toEqual([2, 2, 2, 2, 2]);
    expect(badMonth.stderr).toContain('month must be YYYY-MM like 2026-10, got "2026-13"');
    expect(badFormat.stderr).toContain("'pdf' is invalid");
    expect(noMonth.stderr).toContain("required option '--month <YYYY-MM>' not specified");
    expect(noTarget.stderr).toContain('no target: pass --local <url>');
    expect(noDir.stderr).toContain('does not exist');
  });

  it('exits 1 with the cell’s reason when it refuses: a month not started, a producer key', async () => {
    // Act
    const future = await runOpsInProcess(['report', ...target(), '--month', '9999-12']);
    const producer = await runOpsInProcess([
      'report',
      '--local',
      cell.url,
      '--api-key',
      TEST_API_KEY,
      '--month',
      current,
    ]);

    // Assess
    expect([future.code, producer.code]).toEqual([1, 1]);
    expect(future.stderr).toMatch(
      /^error: the 9999-12 report of the local cell .*: month 9999-12 starts at .*after now/,
    );
    expect(producer.stderr).toContain('pass --api-key or set INVOICE_OPS_API_KEY');
    expect(future.stdout).toBe('');
  });
});
