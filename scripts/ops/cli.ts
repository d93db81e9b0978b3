import { Command, CommanderError } from 'commander';
import { DEFAULT_CATALOG } from '../../cells/catalog.js';
import { CELL_TOPOLOGY } from '../../cells/topology.js';
import { EXIT_CODES, OpsError, UsageError } from './backend.js';
import { registerBackup } from './cli/backup-verbs.js';
import type { CliContext } from './cli/cli-context.js';
import { registerLoad, registerSend } from './cli/event-verbs.js';
import { registerKeys } from './cli/key-verbs.js';
import { registerReport } from './cli/monthly-report-verbs.js';
import { registerTestFilter, registerTestPattern } from './cli/pattern-verbs.js';
import { registerAlarms, registerReconcile, registerStuck, registerTimeline } from './cli/report-verbs.js';
import { registerSubscriber } from './cli/subscriber-verbs.js';
import { registerDlq, registerReplay } from './cli/task-verbs.js';
import { createVerbKit } from './cli/verb-kit.js';
import type { OpsIo } from './output.js';

/** Every verb, in the order `--help` lists them. */
const REGISTER_VERBS = [
  registerSend,
  registerLoad,
  registerTimeline,
  registerStuck,
  registerDlq,
  registerReplay,
  registerReconcile,
  registerAlarms,
  registerReport,
  registerBackup,
  registerKeys,
  registerSubscriber,
  registerTestPattern,
  registerTestFilter,
] as const;

/**
 * `invoice-ops`: the operations CLI (DESIGN §7). The only module that reads argv and the
 * environment; it parses options into typed requests, builds the backend for the target (a local
 * cell with `--local <url>`, a deployed cell with `--cell <name>`) and runs one verb. Each verb is
 * registered by a function of `cli/` (options and their parsers there too).
 *
 * Exit codes: 0 ok; 1 the operation failed, found a gap, or a pattern did not match; 2 bad
 * arguments or an invalid pattern; 130 interrupted (Ctrl-C).
 *
 * `runCli` takes everything it needs as arguments, so tests run the CLI in-process against
 * aws-sdk-client-mock; `main` wires it to the process (the `bin/invoice-ops.mjs` entry).
 *
 * `runCli` resolves to the exit code and never exits the process.
 *
 * @example
 * npx invoice-ops send events.jsonl --stage ingestion --local http://127.0.0.1:8787 --api-key "$KEY"
 * npx invoice-ops replay --cell us-east-1 --from 2026-11-20T00:00:00Z --to 2026-11-21T00:00:00Z --dry-run
 */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const { io } = context;
  let exitCode: number = EXIT_CODES.ok;
  const program = new Command()
    .name('invoice-ops')
    .description(
      'Operate an invoice-monitoring cell: send events and load, timelines, stuck invoices, DLQ redrive, archive replay, reconcile, alarms, monthly reports. Every verb works against a local cell (--local) or a deployed one (--cell).',
    )
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .exitOverride();
  const kit = createVerbKit({
    program,
    context,
    topology: context.topology ?? CELL_TOPOLOGY,
    catalog: context.catalog ?? DEFAULT_CATALOG,
    setExitCode: (code) => {
      exitCode = code;
    },
  });
  for (const register of REGISTER_VERBS) register(kit);
  // Every command reports errors the same way and never exits the process itself.
  for (const command of commandTree(program)) {
    command.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    return exitCodeOf(error, io);
  }
}

/** A command and all its subcommands, depth first. */
function commandTree(command: Command): Command[] {
  return [command, ...command.commands.flatMap(commandTree)];
}

/** The exit code of a failed run, after printing what the operator needs to know. */
function exitCodeOf(error: unknown, io: OpsIo): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help) already; `invoice-ops` without a verb is a usage error.
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version'
      ? EXIT_CODES.ok
      : EXIT_CODES.usage;
  }
  if (error instanceof OpsError) {
    io.stderr(`error: ${error.message}\n`);
    return error.exitCode;
  }
  io.stderr(
    `error: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return EXIT_CODES.failed;
}

/** The process entry: argv, env, stdio, Ctrl-C (first: cancel the task; second: exit now). */
export async function main(): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT_CODES.interrupted);
    process.stderr.write('\ninterrupted: stopping (Ctrl-C again to exit now)\n');
    controller.abort();
  });
  const io: OpsIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTty: process.stderr.isTTY === true,
    progressStream: process.stderr,
    readStdin: async () => {
      if (process.stdin.isTTY) {
        throw new UsageError('no input: pass a file, or pipe JSON lines into stdin');
      }
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    now: Date.now,
  };
  const code = await runCli(process.argv.slice(2), { io, env: process.env, signal: controller.signal });
  // Exit once stdout and stderr are flushed, so pooled sockets or timers cannot hold the process.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
