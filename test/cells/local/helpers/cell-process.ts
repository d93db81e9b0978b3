import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../support/project-root.js';

/**
 * Starts the real local cell as a child process (`node --import tsx cells/local/main.ts`, one
 * process, so SIGKILL really kills the cell) on a free port, and parses its "cell ready" line.
 * Every child started here is tracked so `stopAllCells()` can clean up after a failed test.
 *
 * @example
 * const cell = await startCellProcess({ dataDir, args: ['--visibility-timeout-sec', '1'] });
 * await cell.stop(); // SIGTERM, resolves with the exit code
 */
export { PROJECT_ROOT };
export const TEST_API_KEY = 'test-key-0123456789-abcdefghij';
/** The operator key every test cell registers too (`--operator-key`), unless told not to. */
export const TEST_OPERATOR_KEY = 'test-operator-key-0123456789-abcdef';

export interface CellProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly pid: number;
  readonly dataDir: string;
  /** Every stdout line so far (JSON log lines). */
  readonly lines: string[];
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL; resolves once the process is gone. */
  kill(): Promise<void>;
  readonly exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

export function tempDataDir(prefix = 'cell-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface StartOptions {
  readonly dataDir: string;
  readonly args?: readonly string[];
  readonly apiKey?: string | null;
  /** `null`: register no operator key. */
  readonly operatorKey?: string | null;
  readonly timeoutMs?: number;
}

/** Runs the CLI and resolves with everything it printed and its exit code (for start-up failures). */
export function runCellCli(
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cells/local/main.ts', ...args], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cli did not exit within ${timeoutMs} ms: ${out}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, out });
    });
  });
}

export function startCellProcess(options: StartOptions): Promise<CellProcess> {
  const apiKeyArgs = options.apiKey === null ? [] : ['--api-key', options.apiKey ?? TEST_API_KEY];
  const operatorKeyArgs =
    options.operatorKey === null ? [] : ['--operator-key', options.operatorKey ?? TEST_OPERATOR_KEY];
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'cells/local/main.ts',
      '--port',
      '0',
      '--data-dir',
      options.dataDir,
      ...apiKeyArgs,
      ...operatorKeyArgs,
      ...(options.args ?? []),
    ],
    { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  const lines: string[] = [];
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    });
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cell did not get ready in time; stdout: ${lines.join('\n')}; stderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    let buffer = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        let entry: { msg?: string; url?: string };
        try {
          entry = JSON.parse(line) as { msg?: string; url?: string };
        } catch {
          continue;
        }
        if (entry.msg === 'cell ready' && entry.url) {
          clearTimeout(timer);
          const pid = child.pid as number;
          resolve({
            child,
            url: entry.url,
            pid,
            dataDir: options.dataDir,
            lines,
            exited,
            stop: async () => {
              if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
              return exited;
            },
            kill: async () => {
              if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
              await exited;
            },
          });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(`cell exited with ${code} before ready; stdout: ${lines.join('\n')}; stderr: ${stderr}`),
      );
    });
  });
}

/** Kills every cell child still running (afterAll / afterEach). */
export async function stopAllCells(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}
