import fs from 'node:fs';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { type CellDefinition, DEFAULT_CATALOG } from '../../cells/catalog.js';
import { CELL_TOPOLOGY, type CellTopology, findStage, type StageTopology } from '../../cells/topology.js';
import envelope from '../../schemas/envelope.schema.json' with { type: 'json' };
import { AwsBackend, type AwsClients } from './aws-backend.js';
import { EXIT_CODES, type OpsBackend, OpsError, UsageError } from './backend.js';
import { resolveCell } from './cell-resources.js';
import { runLoadCommand } from './load-command.js';
import { LocalBackend } from './local-backend.js';
import { errorMessage, type OpsIo, type VerbContext } from './output.js';
import { runTestPattern } from './pattern-commands.js';
import { runAlarms, runReconcile, runStuck, runTimeline } from './report-commands.js';
import { runSend } from './send-command.js';
import { runDlqList, runDlqRedrive, runReplay } from './task-commands.js';

/**
 * `invoice-ops`: the operations CLI (DESIGN §7). The only module that reads argv and the
 * environment; it parses options into typed requests, builds the backend for the target (a local
 * cell with `--local <url>`, a deployed cell with `--cell <name>`) and runs one verb.
 *
 * Exit codes: 0 ok; 1 the operation failed, found a gap, or a pattern did not match; 2 bad
 * arguments or an invalid pattern; 130 interrupted (Ctrl-C).
 *
 * `runCli` takes everything it needs as arguments, so tests run the CLI in-process against
 * aws-sdk-client-mock; `main` wires it to the process (the `bin/invoice-ops.mjs` entry).
 *
 * @example
 * npx invoice-ops send events.jsonl --stage ingestion --local http://127.0.0.1:8787 --api-key "$KEY"
 * npx invoice-ops replay --cell us-east-1 --from 2026-11-20T00:00:00Z --to 2026-11-21T00:00:00Z --dry-run
 */
export interface CliContext {
  readonly io: OpsIo;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C. */
  readonly signal: AbortSignal;
  /** AWS clients for a region; tests pass clients that aws-sdk-client-mock intercepts. */
  readonly createAwsClients?: (region: string) => AwsClients;
  readonly topology?: CellTopology;
  readonly catalog?: readonly CellDefinition[];
  /** Between progress polls; the backends' defaults when absent. */
  readonly pollIntervalMs?: number;
}

/** Env var holding the local cell's producer key, so it need not appear in `ps` or shell history. */
export const API_KEY_ENV = 'INVOICE_OPS_API_KEY';

const INVOICE_ID = new RegExp(envelope.properties.invoiceId.pattern);
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** `90`, `90s`, `15m`, `2h`, `7d`, `250ms` → milliseconds (a bare number is seconds). */
export function parseDurationMs(value: string): number {
  const match = DURATION.exec(value.trim());
  if (!match) throw new InvalidArgumentError('must be a duration like 30s, 15m, 2h or 7d');
  const ms = Number(match[1]) * (UNIT_MS[match[2] ?? 's'] as number);
  if (!(ms > 0)) throw new InvalidArgumentError('must be a duration above 0');
  return ms;
}

/** An RFC 3339 time, `now`, or a duration meaning "that long ago" (`24h`) → epoch ms. */
export function parseTimeMs(value: string, nowMs: number): number {
  const v = value.trim();
  if (v === 'now') return nowMs;
  if (RFC3339.test(v)) {
    const ms = Date.parse(v);
    if (!Number.isNaN(ms)) return ms;
  }
  if (DURATION.test(v)) return nowMs - parseDurationMs(v);
  throw new InvalidArgumentError(
    'must be an RFC 3339 time like 2026-11-20T09:00:00Z, "now", or an age like 24h',
  );
}

function positiveNumber(max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) {
      throw new InvalidArgumentError(`must be a number above 0 and at most ${max}`);
    }
    return n;
  };
}

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

function share(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new InvalidArgumentError('must be a share from 0 to 1, like 0.05');
  }
  return n;
}

function invoiceId(value: string): string {
  if (!INVOICE_ID.test(value)) {
    throw new InvalidArgumentError('must be an invoice id: 1 to 128 letters, digits and . _ : / -');
  }
  return value;
}

interface TargetOptions {
  local?: string;
  cell?: string;
  apiKey?: string;
  json: boolean;
}

/** Builds AWS SDK clients for a region, with the SDK's default credential chain. */
export function createAwsClients(region: string): AwsClients {
  const config = { region, maxAttempts: 5 };
  return {
    cloudFormation: new CloudFormationClient(config),
    eventBridge: new EventBridgeClient(config),
    sqs: new SQSClient(config),
    cloudWatch: new CloudWatchClient(config),
    timestreamQuery: new TimestreamQueryClient(config),
    timestreamWrite: new TimestreamWriteClient(config),
  };
}

export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const { io } = context;
  const topology = context.topology ?? CELL_TOPOLOGY;
  const catalog = context.catalog ?? DEFAULT_CATALOG;
  const stageNames = topology.stages.map((s) => s.name);
  let exitCode: number = EXIT_CODES.ok;

  const verbContext = (opts: { json?: boolean }): VerbContext => ({
    io,
    json: opts.json === true,
    signal: context.signal,
  });

  const backendFor = (opts: TargetOptions): OpsBackend => {
    if (opts.local !== undefined && opts.cell !== undefined) {
      throw new UsageError('--local and --cell are exclusive: pick one target');
    }
    if (opts.local !== undefined) {
      let url: URL;
      try {
        url = new URL(opts.local);
      } catch {
        throw new UsageError(`--local must be a URL like http://127.0.0.1:8787, got "${opts.local}"`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new UsageError(`--local must be an http(s) URL, got "${opts.local}"`);
      }
      const apiKey = opts.apiKey ?? context.env[API_KEY_ENV];
      return new LocalBackend({
        baseUrl: url.toString(),
        topology,
        ...(apiKey ? { apiKey } : {}),
        ...(context.pollIntervalMs !== undefined ? { pollIntervalMs: context.pollIntervalMs } : {}),
        now: io.now,
      });
    }
    if (opts.cell !== undefined) {
      const cell = resolveCell(opts.cell, catalog);
      return new AwsBackend({
        cell,
        topology,
        clients: (context.createAwsClients ?? createAwsClients)(cell.region),
        ...(context.pollIntervalMs !== undefined ? { pollIntervalMs: context.pollIntervalMs } : {}),
        now: io.now,
      });
    }
    throw new UsageError('no target: pass --local <url> (a local cell) or --cell <name> (a deployed cell)');
  };

  const stagesOf = (name: string | undefined): StageTopology[] =>
    name === undefined ? [...topology.stages] : [findStage(topology, name) as StageTopology];

  const stageOption = (description: string) => new Option('--stage <stage>', description).choices(stageNames);
  const withTarget = (command: Command): Command =>
    command
      .option('--local <url>', 'target a local cell by its URL, e.g. http://127.0.0.1:8787')
      .option(
        '--cell <name>',
        `target a deployed cell of the catalog (${catalog.map((c) => c.name).join(', ')})`,
      )
      .option('--api-key <key>', `local cell producer API key (default: $${API_KEY_ENV})`)
      .option('--json', 'print JSON instead of tables', false);

  const program = new Command()
    .name('invoice-ops')
    .description(
      'Operate an invoice-monitoring cell: send events and load, timelines, stuck invoices, DLQ redrive, archive replay, reconcile, alarms. Every verb works against a local cell (--local) or a deployed one (--cell).',
    )
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .exitOverride();

  withTarget(
    program
      .command('send')
      .description('send events from a JSON-lines file (or stdin), validated locally first; ≤ 10 per request')
      .argument('[file]', 'JSON lines; "-" or nothing reads stdin')
      .addOption(
        stageOption('stage of every line; without it each line is {"stage": "...", "event": {...}}'),
      ),
  ).action(async (file: string | undefined, opts: TargetOptions & { stage?: string }) => {
    const backend = backendFor(opts);
    let text: string;
    if (file === undefined || file === '-') text = await io.readStdin();
    else {
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (error) {
        throw new UsageError(
          `file ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`,
        );
      }
    }
    exitCode = await runSend(
      backend,
      { text, topology, ...(opts.stage ? { stage: findStage(topology, opts.stage) as StageTopology } : {}) },
      verbContext(opts),
    );
  });

  withTarget(
    program
      .command('load')
      .description('generate realistic invoice lifecycles at a target rate, with live progress')
      .option('--rate <events/s>', 'target events per second', positiveNumber(100_000), 20)
      .option('--duration <duration>', 'run this long (30s, 5m, 1h)', parseDurationMs)
      .option('--count <events>', 'send this many events', integer(1, 100_000_000))
      .option(
        '--seed <n>',
        'PRNG seed: the same seed gives the same invoices (default: random, printed)',
        integer(0, 0xffff_ffff),
      )
      .option('--failure-rate <share>', 'share of invoices ending in a failure status', share, 0.05)
      .option('--stall-rate <share>', 'share of invoices stopping before the last stage', share, 0.05)
      .option('--vendors <n>', 'distinct vendors', integer(1, 20), 20)
      .option('--concurrency <n>', 'requests in flight at most', integer(1, 256), 8)
      .option(
        '--base-time <time>',
        'business "now" of the lifecycles (RFC 3339); with --seed, makes events identical',
        (v) => parseTimeMs(v, io.now()),
      ),
  ).action(
    async (
      opts: TargetOptions & {
        rate: number;
        duration?: number;
        count?: number;
        seed?: number;
        failureRate: number;
        stallRate: number;
        vendors: number;
        concurrency: number;
        baseTime?: number;
      },
    ) => {
      if (opts.duration === undefined && opts.count === undefined) {
        throw new UsageError(
          'load needs --duration <duration> or --count <events> (or both: whichever ends first)',
        );
      }
      if (opts.failureRate + opts.stallRate > 1) {
        throw new UsageError(
          `--failure-rate + --stall-rate must be at most 1, got ${opts.failureRate + opts.stallRate}`,
        );
      }
      const backend = backendFor(opts);
      exitCode = await runLoadCommand(
        backend,
        {
          topology,
          seed: opts.seed ?? Math.floor(Math.random() * 0x1_0000_0000),
          ratePerSec: opts.rate,
          ...(opts.duration !== undefined ? { durationMs: opts.duration } : {}),
          ...(opts.count !== undefined ? { count: opts.count } : {}),
          failureRate: opts.failureRate,
          stallRate: opts.stallRate,
          vendors: opts.vendors,
          concurrency: opts.concurrency,
          baseTimeMs: opts.baseTime ?? io.now(),
        },
        verbContext(opts),
      );
    },
  );

  withTarget(
    program
      .command('timeline')
      .description('every stored stage event of one invoice, in lifecycle order')
      .argument('<invoiceId>', 'the invoice', invoiceId),
  ).action(async (id: string, opts: TargetOptions) => {
    exitCode = await runTimeline(backendFor(opts), id, verbContext(opts));
  });

  withTarget(
    program
      .command('stuck')
      .description(
        'stuck invoices (past their stage SLA) and stuck messages (DLQs, old queue messages), by stage and age',
      )
      .addOption(stageOption('only this stage')),
  ).action(async (opts: TargetOptions & { stage?: string }) => {
    exitCode = await runStuck(
      backendFor(opts),
      opts.stage ? stagesOf(opts.stage)[0]?.name : undefined,
      verbContext(opts),
    );
  });

  const dlq = program.command('dlq').description('dead-letter queues: list and redrive');
  withTarget(
    dlq
      .command('list')
      .description('messages in the stage DLQs (all stages without --stage)')
      .addOption(stageOption('only this stage'))
      .option('--invoice <invoiceId>', 'only this invoice', invoiceId)
      .option('--limit <n>', 'messages listed per stage at most', integer(1, 1_000), 100),
  ).action(async (opts: TargetOptions & { stage?: string; invoice?: string; limit: number }) => {
    exitCode = await runDlqList(
      backendFor(opts),
      stagesOf(opts.stage),
      { limit: opts.limit, ...(opts.invoice ? { invoiceId: opts.invoice } : {}) },
      verbContext(opts),
    );
  });
  withTarget(
    dlq
      .command('redrive')
      .description(
        'move DLQ messages back to their stage queue (all, or one invoice), with progress; Ctrl-C cancels an AWS move task',
      )
      .addOption(stageOption('only this stage (default: every stage in order)'))
      .option('--invoice <invoiceId>', 'only this invoice', invoiceId)
      .option('--rate <msgs/s>', 'messages per second', positiveNumber(10_000))
      .option('--dry-run', 'count what would be moved; move nothing', false),
  ).action(
    async (opts: TargetOptions & { stage?: string; invoice?: string; rate?: number; dryRun: boolean }) => {
      exitCode = await runDlqRedrive(
        backendFor(opts),
        stagesOf(opts.stage),
        {
          dryRun: opts.dryRun,
          ...(opts.invoice ? { invoiceId: opts.invoice } : {}),
          ...(opts.rate !== undefined ? { ratePerSec: opts.rate } : {}),
        },
        verbContext(opts),
      );
    },
  );

  withTarget(
    program
      .command('replay')
      .description(
        'replay the archive for a time window (auditors), with progress; Ctrl-C cancels an AWS replay',
      )
      .requiredOption('--from <time>', 'window start: RFC 3339, or an age like 24h', (v) =>
        parseTimeMs(v, io.now()),
      )
      .option('--to <time>', 'window end: RFC 3339, "now", or an age (default: now)', (v) =>
        parseTimeMs(v, io.now()),
      )
      .addOption(stageOption('only events of this stage'))
      .option('--invoice <invoiceId>', 'only events of this invoice (local cells only)', invoiceId)
      .option('--name <name>', 'replay name (default: generated)', (v) => {
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(v))
          throw new InvalidArgumentError('must be 1 to 64 letters, digits and . _ -');
        return v;
      })
      .option('--dry-run', 'say what would be replayed; replay nothing', false),
  ).action(
    async (
      opts: TargetOptions & {
        from: number;
        to?: number;
        stage?: string;
        invoice?: string;
        name?: string;
        dryRun: boolean;
      },
    ) => {
      const toMs = opts.to ?? io.now();
      if (opts.from >= toMs) {
        throw new UsageError(
          `--from must be before --to (${new Date(opts.from).toISOString()} >= ${new Date(toMs).toISOString()})`,
        );
      }
      const stage = opts.stage ? findStage(topology, opts.stage) : undefined;
      exitCode = await runReplay(
        backendFor(opts),
        {
          fromMs: opts.from,
          toMs,
          dryRun: opts.dryRun,
          ...(stage ? { stage } : {}),
          ...(opts.invoice ? { invoiceId: opts.invoice } : {}),
          ...(opts.name ? { name: opts.name } : {}),
        },
        verbContext(opts),
      );
    },
  );

  withTarget(
    program
      .command('reconcile')
      .description(
        'verify counts for a window: accepted = stored + in DLQ + in flight, per stage; exit 1 on a gap',
      )
      .requiredOption('--from <time>', 'window start: RFC 3339, or an age like 24h', (v) =>
        parseTimeMs(v, io.now()),
      )
      .option('--to <time>', 'window end (default: now)', (v) => parseTimeMs(v, io.now())),
  ).action(async (opts: TargetOptions & { from: number; to?: number }) => {
    const toMs = opts.to ?? io.now();
    if (opts.from >= toMs) throw new UsageError('--from must be before --to');
    exitCode = await runReconcile(backendFor(opts), { fromMs: opts.from, toMs }, verbContext(opts));
  });

  withTarget(
    program
      .command('alarms')
      .description('current alarm states and recent transitions')
      .option('--history <duration>', 'how far back to list transitions', parseDurationMs, 86_400_000),
  ).action(async (opts: TargetOptions & { history: number }) => {
    exitCode = await runAlarms(backendFor(opts), Math.round(opts.history / 1000), verbContext(opts));
  });

  program
    .command('test-pattern')
    .description(
      'test an EventBridge event pattern against an event, like TestEventPattern: prints true/false; exit 0 match, 1 no match, 2 invalid pattern',
    )
    .requiredOption('--pattern <json|@file>', 'the event pattern')
    .requiredOption(
      '--event <json|@file>',
      'the event (the full bus event: source, detail-type, detail, ...)',
    )
    .option('--json', 'print JSON', false)
    .action((opts: { pattern: string; event: string; json: boolean }) => {
      exitCode = runTestPattern(
        { kind: 'event-pattern', pattern: opts.pattern, input: opts.event },
        verbContext(opts),
      );
    });

  program
    .command('test-filter')
    .description(
      'test an SNS filter policy (MessageBody scope) against a message body: prints true/false; exit 0 match, 1 no match, 2 invalid policy',
    )
    .requiredOption('--policy <json|@file>', 'the filter policy')
    .requiredOption('--message <json|@file>', 'the message body (JSON)')
    .option('--json', 'print JSON', false)
    .action((opts: { policy: string; message: string; json: boolean }) => {
      exitCode = runTestPattern(
        { kind: 'filter-policy', pattern: opts.policy, input: opts.message },
        verbContext(opts),
      );
    });

  // Every command reports errors the same way and never exits the process itself.
  for (const command of [program, ...program.commands, ...dlq.commands]) {
    command.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  }

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
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
