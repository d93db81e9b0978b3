import { spawn } from 'node:child_process';
import type { CliContext } from '../../../../scripts/ops/cli/cli-context.js';
import { runCli } from '../../../../scripts/ops/cli.js';
import type { OpsIo } from '../../../../scripts/ops/output.js';
import { PROJECT_ROOT } from '../../../support/project-root.js';

/**
 * Runs `invoice-ops` the two ways the tests need: as a child process (`node bin/invoice-ops.mjs`,
 * exactly what an operator runs) against a real local cell, and in-process through `runCli`, so
 * aws-sdk-client-mock can intercept the AWS clients.
 *
 * @example
 * const { code, stdout } = await runOps(['timeline', 'INV-1', '--local', cell.url]);
 */
export { PROJECT_ROOT };

export interface OpsResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runOps(
  args: readonly string[],
  options: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<OpsResult> {
  const { INVOICE_OPS_API_KEY: _ignored, ...inherited } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/invoice-ops.mjs', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...inherited, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
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
      reject(
        new Error(`invoice-ops ${args.join(' ')} did not exit in time; stdout: ${stdout}; stderr: ${stderr}`),
      );
    }, options.timeoutMs ?? 45_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** Parses the JSON document a `--json` run printed, failing with the output when it is not JSON. */
export function jsonOf<T>(result: OpsResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${result.code}); stdout: ${result.stdout}; stderr: ${result.stderr}`);
  }
}

/** Runs the CLI in-process with captured output. */
export async function runOpsInProcess(
  argv: readonly string[],
  context: Partial<Omit<CliContext, 'io'>> & { now?: () => number; stdin?: string } = {},
): Promise<OpsResult> {
  let stdout = '';
  let stderr = '';
  const io: OpsIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stderrIsTty: false,
    readStdin: async () => context.stdin ?? '',
    now: context.now ?? Date.now,
  };
  const code = await runCli(argv, {
    io,
    env: context.env ?? {},
    signal: context.signal ?? new AbortController().signal,
    pollIntervalMs: context.pollIntervalMs ?? 1,
    ...(context.createAwsClients ? { createAwsClients: context.createAwsClients } : {}),
    ...(context.topology ? { topology: context.topology } : {}),
    ...(context.catalog ? { catalog: context.catalog } : {}),
  });
  return { code, stdout, stderr };
}
