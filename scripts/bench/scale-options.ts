import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { integer } from '../ops/cli/option-parsers.js';

/**
 * The options of `npm run bench:scale`, read once from argv (commander, like `invoice-ops`). A bad
 * option throws {@link ScaleOptionsError} naming it; `--help` throws one with `exitCode` 0.
 *
 * @example
 * const options = parseScaleOptions(['--sizes', '20000,50000', '--soak-minutes', '1']);
 */
export interface ScaleOptions {
  /** Stored-record counts to measure at, ascending. */
  readonly sizes: readonly number[];
  /** The first records go through the real HTTP pipeline; the rest through the bulk loader. */
  readonly httpRecords: number;
  /** Timed requests per read path per size. */
  readonly reads: number;
  /** Events sent through HTTP per probe, at each size and on its empty cell, to measure the ingest rate. */
  readonly ingestProbe: number;
  /** Ingest rounds per size, each an empty-cell probe then a filled-cell probe; the medians are compared. */
  readonly ingestRounds: number;
  /** 0 = no soak. */
  readonly soakMinutes: number;
  /** Soak events per second, sent open loop in 10-event batches. */
  readonly soakRate: number;
  /** The cell's data dir (must hold no cell yet); undefined = a fresh temp dir. */
  readonly dataDir: string | undefined;
  /** Keep the temp data dir at the end. */
  readonly keep: boolean;
  /**
   * Measure the cell already in `dataDir` as it is (no fill, `sizes` unused): the empty-cell
   * baseline on a fresh temp cell, then reads, ingest, disk and RSS, then the soak.
   */
  readonly measureExisting: boolean;
  /**
   * Go on filling the cell in `dataDir` that a stopped run was filling (its fill record says
   * which invoices it drew): the empty-cell baseline on a fresh temp cell, then every size of
   * `sizes` the cell has not reached, filled and measured as a fresh run would, then the soak.
   */
  readonly resume: boolean;
  /** SQLite synchronous mode of the cell and of the bulk loader. */
  readonly synchronous: 'full' | 'normal';
  /** Seed of the generated traffic. */
  readonly seed: number;
}

export class ScaleOptionsError extends Error {
  /** 0 after `--help`, 2 for a bad option. */
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'ScaleOptionsError';
    this.exitCode = exitCode;
  }
}

const COUNT = /^(\d+(?:\.\d+)?)([kKmM]?)$/;
const MULTIPLIER: Readonly<Record<string, number>> = { '': 1, k: 1_000, m: 1_000_000 };

/** `1000000`, `1_000_000`, `250k` or `1.5M` → a positive integer count. */
export function parseCount(value: string): number {
  const match = COUNT.exec(value.trim().replaceAll('_', ''));
  const n = match ? Number(match[1]) * (MULTIPLIER[(match[2] ?? '').toLowerCase()] as number) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`must be a whole count above 0 like 1000000 or 1M, got ${value}`);
  }
  return n;
}

/** `1000000,5000000,10000000` → ascending counts, each above 0. */
export function parseSizes(value: string): number[] {
  const sizes = value.split(',').map((part) => parseCount(part));
  for (let i = 1; i < sizes.length; i++) {
    if ((sizes[i] as number) <= (sizes[i - 1] as number)) {
      throw new InvalidArgumentError(`sizes must be ascending, got ${value}`);
    }
  }
  return sizes;
}

function program(): Command {
  return new Command('bench:scale')
    .description('Fills a local cell to each size and measures its read paths, ingest rate, disk and RSS.')
    .addOption(
      new Option('--sizes <list>', 'stored-record counts to measure at, ascending')
        .argParser(parseSizes)
        .default([1_000_000, 5_000_000, 10_000_000], '1000000,5000000,10000000'),
    )
    .addOption(
      new Option('--http-records <n>', 'records that go through the real HTTP pipeline first')
        .argParser((v) => (v.trim() === '0' ? 0 : parseCount(v)))
        .default(1_000_000),
    )
    .option(
      '--reads <n>',
      'timed requests per read path per size (p95 is nearest rank: with 20 it is the slowest one, with 100 the 96th)',
      integer(1, 10_000),
      100,
    )
    .addOption(
      new Option('--ingest-probe <n>', 'events sent through HTTP at each size to measure the ingest rate')
        .argParser(parseCount)
        .default(20_000),
    )
    .option(
      '--ingest-rounds <n>',
      'ingest rounds at each size, each an empty-cell probe then a filled-cell probe; the medians are compared (one probe swings ±20 % here)',
      integer(1, 9),
      3,
    )
    .option('--soak-minutes <n>', 'soak duration (0: no soak)', integer(0, 24 * 60), 30)
    .option('--soak-rate <n>', 'soak events/s (open loop, 10-event batches)', integer(10, 100_000), 1_500)
    .option('--skip-soak', 'no soak (same as --soak-minutes 0)', false)
    .option('--data-dir <dir>', 'the cell data dir to fill (kept); default a fresh temp dir')
    .option('--keep', 'keep the temp data dir at the end', false)
    .option(
      '--measure-existing',
      'measure the cell already in --data-dir without filling it (its fill record keeps ids apart; without one, give a --seed other than its fill)',
      false,
    )
    .option(
      '--resume',
      'go on filling the cell in --data-dir (a run that was stopped) to the sizes it has not reached, measuring at each',
      false,
    )
    .addOption(
      new Option('--synchronous <mode>', 'SQLite synchronous mode of the cell and the bulk loader')
        .choices(['full', 'normal'])
        .default('full'),
    )
    .option('--seed <n>', 'seed of the generated traffic', integer(0, 0xffff_ffff), 1);
}

interface RawOptions {
  sizes: number[];
  httpRecords: number;
  reads: number;
  ingestProbe: number;
  ingestRounds: number;
  soakMinutes: number;
  soakRate: number;
  skipSoak: boolean;
  dataDir?: string;
  keep: boolean;
  measureExisting: boolean;
  resume: boolean;
  synchronous: 'full' | 'normal';
  seed: number;
}

/** Parses the bench's arguments (argv without node and the script). */
export function parseScaleOptions(args: readonly string[]): ScaleOptions {
  let output = '';
  const command = program()
    .exitOverride()
    .configureOutput({ writeOut: (s) => (output += s), writeErr: (s) => (output += s) });
  try {
    command.parse([...args], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      throw new ScaleOptionsError(output.trim() || error.message, error.exitCode === 0 ? 0 : 2);
    }
    throw error;
  }
  const raw = command.opts<RawOptions>();
  if (raw.measureExisting && raw.dataDir === undefined) {
    throw new ScaleOptionsError('--measure-existing needs --data-dir <dir> of a filled cell', 2);
  }
  if (raw.resume && raw.dataDir === undefined) {
    throw new ScaleOptionsError('--resume needs --data-dir <dir> of the cell a stopped run was filling', 2);
  }
  if (raw.resume && raw.measureExisting) {
    throw new ScaleOptionsError('--resume fills the cell, --measure-existing does not: give one of them', 2);
  }
  return {
    sizes: raw.sizes,
    httpRecords: raw.httpRecords,
    reads: raw.reads,
    ingestProbe: raw.ingestProbe,
    ingestRounds: raw.ingestRounds,
    soakMinutes: raw.skipSoak ? 0 : raw.soakMinutes,
    soakRate: raw.soakRate,
    dataDir: raw.dataDir,
    keep: raw.keep,
    measureExisting: raw.measureExisting,
    resume: raw.resume,
    synchronous: raw.synchronous,
    seed: raw.seed,
  };
}
