import { randomUUID } from 'node:crypto';

/**
 * The bench's options, read once from argv: `--duration-sec 15 --steady-rate 5000 --concurrency 64
 * --max-events 400000 --open-loop-cap 512 --sync full,normal --sizes 1,10 --rates 5000,0` (0 = max),
 * `--quick` (5 s runs, a smaller ceiling run).
 *
 * @example
 * const options = readBenchOptions(process.argv.slice(2));
 */
export interface BenchOptions {
  readonly quick: boolean;
  readonly durationSec: number;
  readonly steadyRate: number;
  /** Closed loop: senders. */
  readonly concurrency: number;
  readonly maxEventsPerRun: number;
  /** Open loop: at most this many requests outstanding; sends beyond it are skipped (counted late). */
  readonly openLoopCap: number;
  readonly syncModes: readonly string[];
  readonly sizes: readonly number[];
  readonly rates: readonly number[];
  /** The producer key the bench's cells are started with. */
  readonly apiKey: string;
}

export const DRAIN_TIMEOUT_MS = 120_000;

export function readBenchOptions(args: readonly string[]): BenchOptions {
  const argValue = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
  };
  const list = (name: string, fallback: string[]) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? (args[i + 1] as string).split(',') : fallback;
  };
  const quick = args.includes('--quick');
  const steadyRate = argValue('--steady-rate', 5_000);
  return {
    quick,
    durationSec: argValue('--duration-sec', quick ? 5 : 15),
    steadyRate,
    concurrency: argValue('--concurrency', 64),
    maxEventsPerRun: argValue('--max-events', 400_000),
    openLoopCap: argValue('--open-loop-cap', 512),
    syncModes: list('--sync', ['full', 'normal']),
    sizes: list('--sizes', ['1', '10']).map(Number),
    rates: list('--rates', [String(steadyRate), '0']).map(Number),
    apiKey: `bench-${randomUUID()}`,
  };
}
