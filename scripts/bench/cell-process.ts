import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The project root (this file is scripts/bench/cell-process.ts). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A local cell running as a child process of the bench. */
export interface CellChild {
  readonly child: ChildProcess;
  readonly port: number;
  readonly dataDir: string;
  /**
   * Seconds from `cell ready` to the end of the cell's start-up cache warm-up (`cache warm-up
   * done`, or `failed`); undefined when the start logged no warm-up (a small database skips it).
   */
  readonly warmup: Promise<number | undefined>;
}

/** The log messages of the cell's start-up cache warm-up (`cells/local/db-startup.ts`). */
const WARMUP_STARTED = 'cache warm-up started';
const WARMUP_ENDED = ['cache warm-up done', 'cache warm-up failed; ingest warms the cache as it goes'];

/**
 * Starts `cells/local/main.ts` on a free port with rate limits out of the way, and resolves once
 * it logs `cell ready`; its warnings and errors are copied to stderr.
 *
 * @example
 * const cell = await startCell(dataDir, 'normal', apiKey);
 * try { ... } finally { await stopCell(cell); }
 */
export async function startCell(
  dataDir: string,
  synchronous: string,
  apiKey: string,
  options: {
    /** More `cells/local/main.ts` options, e.g. `['--operator-key', key]`. */
    readonly extraArgs?: readonly string[];
    /** How long to wait for `cell ready` (a large database takes longer to open); 30 s by default. */
    readonly readyTimeoutMs?: number;
    /** Copy the cell's warnings to stderr too (errors always are); true by default. */
    readonly echoWarnings?: boolean;
  } = {},
): Promise<CellChild> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'cells/local/main.ts'),
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--api-key',
      apiKey,
      '--rate-limit',
      '10000000',
      '--burst',
      '10000000',
      '--synchronous',
      synchronous,
      '--log-level',
      'info',
      ...(options.extraArgs ?? []),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let warmupStarted = false;
  let readyAtMs = 0;
  let endWarmup: (sec: number | undefined) => void = () => {};
  const warmup = new Promise<number | undefined>((resolve) => {
    endWarmup = resolve;
  });
  // A cell that exits before its warm-up ends has none left to wait for.
  child.once('exit', () => endWarmup(undefined));
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      // Do not leave a half-started cell behind holding the data dir.
      child.kill('SIGKILL');
      reject(new Error(`cell did not start within ${readyTimeoutMs / 1000} s`));
    }, readyTimeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (;;) {
        const nl = buffer.indexOf('\n');
        if (nl < 0) break;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const entry = logEntry(line);
        const message = entry?.msg;
        if (message === WARMUP_STARTED) warmupStarted = true;
        if (message !== undefined && WARMUP_ENDED.includes(message)) {
          // A warm-up that ended before `cell ready` was logged took no time after it.
          endWarmup(readyAtMs === 0 ? 0 : (performance.now() - readyAtMs) / 1000);
        }
        const url = readyUrl(entry, line, options.echoWarnings ?? true);
        if (url) {
          clearTimeout(timer);
          readyAtMs = performance.now();
          if (!warmupStarted) endWarmup(undefined);
          resolve({ child, port: Number(new URL(url).port), dataDir, warmup });
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`cell exited with ${code} before ready`)));
  });
}

/** The fields the bench reads of a cell log line. */
interface LogEntry {
  readonly msg?: string;
  readonly url?: string;
  readonly level?: string;
}

/** A JSON log line, parsed once (a JSON scalar has no fields); undefined for non-JSON and `null`. */
function logEntry(line: string): LogEntry | undefined {
  try {
    const entry = JSON.parse(line) as unknown;
    if (entry === null) return undefined;
    return typeof entry === 'object' ? (entry as LogEntry) : {};
  } catch {
    return undefined;
  }
}

/** The URL of a `cell ready` log line; other errors (and warnings), and non-JSON lines go to stderr. */
function readyUrl(entry: LogEntry | undefined, line: string, echoWarnings: boolean): string | undefined {
  if (entry === undefined) {
    process.stderr.write(`cell: ${line}\n`);
    return undefined;
  }
  if (entry.msg === 'cell ready' && entry.url) return entry.url;
  if (entry.level === 'error' || (echoWarnings && entry.level === 'warn')) {
    process.stderr.write(`cell: ${line}\n`);
  }
  return undefined;
}

/** SIGTERM, up to 60 s to drain and exit, then SIGKILL. */
export async function stopCell(cell: CellChild): Promise<void> {
  if (cell.child.exitCode !== null) return;
  const exited = new Promise((resolve) => cell.child.once('exit', resolve));
  cell.child.kill('SIGTERM');
  // Unref'd: a bench that is done must not wait out this timer before it can exit.
  await Promise.race([exited, delay(60_000, undefined, { ref: false })]);
  if (cell.child.exitCode === null) cell.child.kill('SIGKILL');
}
