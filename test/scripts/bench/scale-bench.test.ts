import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../support/project-root.js';

/**
 * Smoke test of `npm run bench:scale` end to end, at a toy size: the script fills a real cell
 * (child process) through HTTP and the bulk loader, restarts it, reads every path, probes ingest,
 * prints its tables and verdicts and exits 0. The figures themselves are not asserted (tests do
 * not time things); that they are printed is.
 */

function runBench(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench/scale-bench.ts', ...args], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bench:scale did not exit in time; stdout: ${stdout}; stderr: ${stderr}`));
    }, 240_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('bench:scale', () => {
  it('fills a toy cell both ways, prints every table and verdict, and exits 0', {
    timeout: 180_000,
  }, async () => {
    // Act
    const { code, stdout, stderr } = await runBench([
      ...['--sizes', '300', '--http-records', '200', '--reads', '2'],
      ...['--ingest-probe', '50', '--soak-minutes', '0'],
    ]);

    // Assess
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^machine: \d+ × .+, node v\d+/m);
    expect(stdout).toMatch(
      /^ingest on an empty cell, probed in turn: [\d,]+ events\/s \(median of 3 probes: /m,
    );
    expect(stdout).toMatch(/^http fill: \d+ events in /m);
    expect(stdout).toMatch(/^bulk load: \d+ records in /m);
    expect(stdout).toMatch(
      /^### 300 records \(\d+ stored: 2\d\d through HTTP, \d+ through the bulk loader\)$/m,
    );
    for (const path of [
      'executive 30 d',
      'operations 7 d',
      'finance 24 h',
      'reconcile 24 h',
      'stuck',
      'stats',
    ]) {
      expect(stdout).toMatch(new RegExp(`^\\| ${path} +\\| +2 \\|`, 'm'));
    }
    expect(stdout).toMatch(/^\| invoice timeline +\| +2 \|.*\| +0 \| +(met|MISSED) \|$/m);
    expect(stdout).toContain('### summary');
    expect(stdout).toMatch(/^- every read path p95 ≤ 200 ms at 300 records: (met|MISSED)/m);
    expect(stdout).toMatch(/^- ingest at 300 records within 10 % of the empty cell: (met|MISSED)/m);
    expect(stdout).toMatch(/^- cell RSS ≤ 512 MiB at every size: (met|MISSED)/m);
  });

  it('measures a cell it filled and soaked earlier without filling it again, going on from its invoices', {
    timeout: 400_000,
  }, async () => {
    // Prepare: a one-minute soak draws invoices too; the measure after it must not send them again.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-existing-'));
    try {
      const fill = await runBench([
        ...['--sizes', '200', '--http-records', '200', '--reads', '1', '--data-dir', dir],
        ...['--ingest-probe', '30', '--soak-minutes', '1', '--soak-rate', '20'],
      ]);
      expect(fill.code, fill.stderr).toBe(0);
      expect(fill.stdout).toMatch(/^soak: [\d,]+ events sent of 1,200 planned/m);
      const filled = JSON.parse(fs.readFileSync(path.join(dir, 'scale-bench-fill.json'), 'utf8'));
      expect(filled.viaHttp).toBeGreaterThan(1_000);

      // Act
      const { code, stdout, stderr } = await runBench([
        ...['--measure-existing', '--data-dir', dir, '--reads', '1'],
        ...['--ingest-probe', '30', '--soak-minutes', '0'],
      ]);

      // Assess
      expect(code, stderr).toBe(0);
      expect(stdout).not.toMatch(/^http fill:|^bulk load:/m);
      const measured = /^measuring the cell in .+ as it is: ([\d,]+) records stored$/m.exec(stdout);
      expect(Number(measured?.[1]?.replaceAll(',', ''))).toBeGreaterThan(1_000);
      expect(stdout).toContain(
        `stored: ${filled.viaHttp.toLocaleString('en-US')} through HTTP, 0 through the bulk loader)`,
      );
      const after = JSON.parse(fs.readFileSync(path.join(dir, 'scale-bench-fill.json'), 'utf8'));
      expect(after.invoices).toBeGreaterThan(filled.invoices);
      expect(stderr).not.toContain('warning: /stats counts');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
