import fs from 'node:fs';
import { findStage, type StageTopology } from '../../../cells/topology.js';
import { UsageError } from '../backend.js';
import { runLoadCommand } from '../load-command.js';
import { errorMessage } from '../output.js';
import { runSend } from '../send-command.js';
import { integer, parseDurationMs, positiveNumber, share } from './option-parsers.js';
import type { TargetOptions } from './target-backend.js';
import type { VerbKit } from './verb-kit.js';

/**
 * The verbs that put events into a cell: `send` (a JSON-lines file or stdin) and `load`
 * (generated invoice lifecycles at a rate).
 *
 * @example
 * registerSend(kit);
 * registerLoad(kit);
 */
export function registerSend(kit: VerbKit): void {
  const { io, topology } = kit;
  kit
    .withTarget(
      kit.program
        .command('send')
        .description(
          'send events from a JSON-lines file (or stdin), validated locally first; ≤ 10 per request',
        )
        .argument('[file]', 'JSON lines; "-" or nothing reads stdin')
        .addOption(
          kit.stageOption('stage of every line; without it each line is {"stage": "...", "event": {...}}'),
        ),
    )
    .action(async (file: string | undefined, opts: TargetOptions & { stage?: string }) => {
      const backend = kit.backendFor(opts);
      const text = file === undefined || file === '-' ? await io.readStdin() : readInput(file);
      const stage = opts.stage ? { stage: findStage(topology, opts.stage) as StageTopology } : {};
      kit.setExitCode(await runSend(backend, { text, topology, ...stage }, kit.verbContext(opts)));
    });
}

function readInput(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `file ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`,
    );
  }
}

interface LoadOptions extends TargetOptions {
  rate: number;
  duration?: number;
  count?: number;
  seed?: number;
  failureRate: number;
  stallRate: number;
  vendors: number;
  concurrency: number;
  baseTime?: number;
}

export function registerLoad(kit: VerbKit): void {
  kit
    .withTarget(
      kit.program
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
          kit.parseTime,
        ),
    )
    .action(async (opts: LoadOptions) => {
      kit.setExitCode(await runLoad(kit, opts));
    });
}

async function runLoad(kit: VerbKit, opts: LoadOptions): Promise<number> {
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
  const backend = kit.backendFor(opts);
  return runLoadCommand(
    backend,
    {
      topology: kit.topology,
      seed: opts.seed ?? Math.floor(Math.random() * 0x1_0000_0000),
      ratePerSec: opts.rate,
      ...(opts.duration !== undefined ? { durationMs: opts.duration } : {}),
      ...(opts.count !== undefined ? { count: opts.count } : {}),
      failureRate: opts.failureRate,
      stallRate: opts.stallRate,
      vendors: opts.vendors,
      concurrency: opts.concurrency,
      baseTimeMs: opts.baseTime ?? kit.io.now(),
    },
    kit.verbContext(opts),
  );
}
