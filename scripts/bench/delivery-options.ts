import { parseArgs } from 'node:util';

/**
 * Options of the delivery bench (`delivery-bench.ts`), read once from argv and bounded so a typo
 * cannot start an hour-long run or flood the machine:
 * `--events 20000 --events-per-invoice 5 --fail-rate 0.05 --senders 16 --batch 10
 * --drain-timeout-sec 900 --sync full --seed 1`.
 *
 * @example
 * const options = parseDeliveryOptions(process.argv.slice(2));
 */
export interface DeliveryBenchOptions {
  /** Events sent to the cell's first stage, every one matching the bench subscriber. */
  readonly events: number;
  /** Events per invoice, sent in order: the per-invoice order check needs more than one. */
  readonly eventsPerInvoice: number;
  /** Share of pushes the receiver answers 500 to (retries are counted). */
  readonly failRate: number;
  /** Ingest requests in flight at once. */
  readonly senders: number;
  /** Events per ingest request (the cell takes at most 10). */
  readonly batch: number;
  /** How long to wait for every event to be delivered once all are sent. */
  readonly drainTimeoutSec: number;
  /** The cell's `--synchronous` mode. */
  readonly synchronous: 'full' | 'normal';
  /** Seed of the receiver's failure draws (the same seed fails the same pushes). */
  readonly seed: number;
}

/** A bad bench option; the message names the option and the accepted range. Exit code 2. */
export class DeliveryOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryOptionsError';
  }
}

/** Bounds of each numeric option: [min, max, default, integer]. */
const BOUNDS = {
  events: [1, 200_000, 20_000, true],
  'events-per-invoice': [1, 100, 5, true],
  // Above 0.5 most receives would fail every attempt and wait out the 180 s visibility timeout:
  // that measures the timeout, not delivery.
  'fail-rate': [0, 0.5, 0, false],
  senders: [1, 256, 16, true],
  batch: [1, 10, 10, true],
  'drain-timeout-sec': [10, 3_600, 900, true],
  seed: [0, 2 ** 32 - 1, 1, true],
} as const;
type NumericOption = keyof typeof BOUNDS;

function numberOf(name: NumericOption, raw: string | undefined): number {
  const [min, max, fallback, integer] = BOUNDS[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const kind = integer ? 'an integer' : 'a number';
  if (raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new DeliveryOptionsError(`--${name} must be ${kind} from ${min} to ${max}, got "${raw}"`);
  }
  if (value < min || value > max) {
    throw new DeliveryOptionsError(`--${name} must be ${kind} from ${min} to ${max}, got ${raw}`);
  }
  return value;
}

/** Parses and bounds the bench's argv; throws {@link DeliveryOptionsError} for anything else. Pure. */
export function parseDeliveryOptions(args: readonly string[]): DeliveryBenchOptions {
  let values: Record<string, string | undefined>;
  try {
    const options = Object.fromEntries(
      [...Object.keys(BOUNDS), 'sync'].map((name) => [name, { type: 'string' as const }]),
    );
    values = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values as Record<
      string,
      string | undefined
    >;
  } catch (error) {
    throw new DeliveryOptionsError((error as Error).message);
  }
  const sync = values.sync ?? 'full';
  if (sync !== 'full' && sync !== 'normal') {
    throw new DeliveryOptionsError(`--sync must be full or normal, got "${sync}"`);
  }
  return {
    events: numberOf('events', values.events),
    eventsPerInvoice: numberOf('events-per-invoice', values['events-per-invoice']),
    failRate: numberOf('fail-rate', values['fail-rate']),
    senders: numberOf('senders', values.senders),
    batch: numberOf('batch', values.batch),
    drainTimeoutSec: numberOf('drain-timeout-sec', values['drain-timeout-sec']),
    synchronous: sync,
    seed: numberOf('seed', values.seed),
  };
}
