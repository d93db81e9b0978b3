import type { BusinessTimeWindow } from '../../cells/business-time.js';
import type { CellTopology, StageTopology } from '../../cells/topology.js';
import { type CellIdentity, type InvoiceRecord, toInvoiceRecord } from '../../consumers/record.js';
import { parseStageMessage } from '../../consumers/stage-processor.js';
import { isoFromMs } from '../../schemas/time.js';
import type { InvoiceEvent, StageMessage } from '../../schemas/types.js';
import { createLoadGenerator, type LoadGenerator } from '../ops/load-generator.js';
import { mixSeed, mulberry32, type Random } from '../ops/seeded-random.js';

/**
 * The scale bench's traffic: 60 days of invoice history, pure given a seed. Invoice `i` is the ops
 * load generator's invoice `i` (stages in lifecycle order, statuses from the stage schemas, eight
 * currencies, twenty vendors, a share that fail or stall), moved back in time by a random offset
 * so the history is spread evenly over the span (a 24 h, 7 d and 30 d window hold 1/60, 7/60 and
 * half of it), with ~5 % late events: an event whose `occurredAt` lies 1 hour to 3 days before
 * the time its lifecycle reached it, while it arrives at that time (so it is late, and may even
 * be older than the invoice's previous stage).
 *
 * Ids are unique by construction, not by chance: invoice ids carry the index, event ids are
 * UUID-shaped `seed-stage-4000-8000-index`, so ten million records never collide.
 *
 * The same events feed both paths: HTTP bodies (`JSON.stringify` of `event`) and bulk records
 * ({@link bulkRecords}: the processor's own `parseStageMessage` + `toInvoiceRecord`).
 *
 * @example
 * const traffic = createScaleTraffic({ seed: 1, topology: CELL_TOPOLOGY, nowMs: Date.now() });
 * for (const { stage, event } of traffic.invoice(0).events) send(stage, event);
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** How far back the history reaches. */
export const SCALE_SPAN_MS = 60 * DAY_MS;
/** Share of events that arrive late. */
export const SCALE_LATE_SHARE = 0.05;
/** Share of invoices ending in a failure status, and that stall before the last stage (stuck). */
export const SCALE_FAILURE_RATE = 0.03;
export const SCALE_STALL_RATE = 0.01;
/**
 * Room kept at the recent end for a lifecycle: the generator ends a completed one just before
 * "now" and a stalled one up to 1.5 stage SLAs (6 h at authorization) before it.
 */
const LIFECYCLE_ROOM_MS = DAY_MS;
/** A late event occurred 1 h to 72 h (log-uniform) before its lifecycle reached it. */
const LATE_MAX_HOURS = 72;
/** A producer's delay between occurrence and the API accepting the event. */
const RECEIVE_DELAY_MS = { min: 200, spread: 20_000 } as const;

export interface ScaleEvent {
  readonly stage: StageTopology;
  readonly event: InvoiceEvent;
  /**
   * When the simulated history's API accepted it (bulk rows only; HTTP rows get the cell's clock):
   * the lifecycle time plus a producer delay, never after `nowMs`, so bulk rows are older than
   * anything the bench later sends over HTTP (reconciliation reads them as pruned history).
   */
  readonly receivedAtMs: number;
  readonly late: boolean;
}

export interface ScaleInvoice {
  readonly index: number;
  readonly invoiceId: string;
  /** In lifecycle order: `events[i].stage.order === i`. */
  readonly events: readonly ScaleEvent[];
}

export interface ScaleTrafficOptions {
  /** 32-bit unsigned seed. */
  readonly seed: number;
  readonly topology: CellTopology;
  /** The end of the history: the bench's start. */
  readonly nowMs: number;
  readonly spanMs?: number;
  readonly lateShare?: number;
  /**
   * Live traffic: every lifecycle ends by `nowMs` (no move back over the span), as events arrive
   * from upstream systems at run time, late events included. What the ingest probes and the soak
   * send; the history (`false`, the default) is what the fill stores.
   */
  readonly live?: boolean;
  /**
   * History in time order: invoice `firstIndex + k` of `invoices` starts `k / invoices` of the
   * way from the span's oldest end to its newest, instead of at a random point. What the bulk
   * loader draws, so it can stamp each record's stored time just after its receive time, as a
   * cell running through the history would have (`scale-bulk.ts`).
   */
  readonly historyOrder?: { readonly firstIndex: number; readonly invoices: number };
}

export interface ScaleTraffic {
  /** Invoice `index` (0-based). Pure. */
  invoice(index: number): ScaleInvoice;
}

/** A UUID-shaped event id, unique per (seed, invoice index, stage position). */
export function scaleEventId(seed: number, index: number, position: number): string {
  const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');
  return `${hex(seed >>> 0, 8)}-${hex(position, 4)}-4000-8000-${hex(index, 12)}`;
}

/** A late event's distance before its lifecycle time: 1 h to {@link LATE_MAX_HOURS} h, log-uniform. */
function lateShiftMs(random: Random): number {
  return Math.floor(HOUR_MS * LATE_MAX_HOURS ** random());
}

/** `YYYY-MM-DD` moved back by whole days. */
function shiftDate(date: string, days: number): string {
  return isoFromMs(Date.parse(`${date}T00:00:00Z`) - days * DAY_MS).slice(0, 10);
}

/** Creates the traffic; throws for options out of range. */
export function createScaleTraffic(options: ScaleTrafficOptions): ScaleTraffic {
  const spanMs = options.spanMs ?? SCALE_SPAN_MS;
  const lateShare = options.lateShare ?? SCALE_LATE_SHARE;
  if (!(spanMs > LIFECYCLE_ROOM_MS)) {
    throw new RangeError(`spanMs must be above ${LIFECYCLE_ROOM_MS} (one day), got ${spanMs}`);
  }
  if (!(lateShare >= 0 && lateShare <= 1)) throw new RangeError(`lateShare must be 0..1, got ${lateShare}`);
  const generator = createLoadGenerator({
    seed: options.seed,
    topology: options.topology,
    baseTimeMs: options.nowMs,
    failureRate: SCALE_FAILURE_RATE,
    stallRate: SCALE_STALL_RATE,
  });
  // A stream of its own per invoice, apart from the generator's, so retiming never shifts its draws.
  const timingSeed = mixSeed(options.seed, 0x5ca1e) >>> 0;
  const config = { ...options, spanMs, lateShare, generator, timingSeed };
  return { invoice: (index) => retimedInvoice(config, index) };
}

interface RetimeConfig extends ScaleTrafficOptions {
  readonly spanMs: number;
  readonly lateShare: number;
  readonly generator: LoadGenerator;
  readonly timingSeed: number;
}

/** The offset of {@link ScaleTrafficOptions.historyOrder}: oldest first, never below 0. */
function orderedOffset(config: RetimeConfig, index: number): number {
  const { firstIndex, invoices } = config.historyOrder ?? { firstIndex: 0, invoices: 1 };
  const progress = (index - firstIndex + 0.5) / Math.max(1, invoices);
  return Math.max(0, Math.floor((config.spanMs - LIFECYCLE_ROOM_MS) * (1 - progress)));
}

/** The generator's invoice moved back by a random offset, with late events and receive times. */
function retimedInvoice(config: RetimeConfig, index: number): ScaleInvoice {
  const plan = config.generator.invoice(index);
  const random = mulberry32(mixSeed(config.timingSeed, index));
  const spread = Math.floor(random() * (config.spanMs - LIFECYCLE_ROOM_MS));
  const offsetMs = config.live ? 0 : config.historyOrder ? orderedOffset(config, index) : spread;
  const offsetDays = Math.round(offsetMs / DAY_MS);
  const events = plan.events.map(({ stage, event }, position): ScaleEvent => {
    const lifecycleMs = Date.parse(event.occurredAt) - offsetMs;
    const late = random() < config.lateShare;
    const occurredMs = late ? lifecycleMs - lateShiftMs(random) : lifecycleMs;
    const delayMs = RECEIVE_DELAY_MS.min + Math.floor(random() * RECEIVE_DELAY_MS.spread);
    const terms = 'paymentTerms' in event ? event.paymentTerms : undefined;
    const retimed = {
      ...event,
      eventId: scaleEventId(config.seed, index, position),
      occurredAt: isoFromMs(occurredMs),
      ...(terms ? { paymentTerms: { ...terms, dueDate: shiftDate(terms.dueDate, offsetDays) } } : {}),
    } as InvoiceEvent;
    return {
      stage,
      event: retimed,
      receivedAtMs: Math.min(config.nowMs, lifecycleMs + delayMs),
      late,
    };
  });
  return { index, invoiceId: plan.invoiceId, events };
}

/**
 * The records the processor would write for an invoice's events, through its own code: each
 * event becomes the stage message the relay publishes, is parsed and checked by
 * `parseStageMessage` (schema, money, business-time window) and mapped by `toInvoiceRecord`.
 * Throws as the processor would reject an invalid event.
 *
 * @example
 * const records = bulkRecords(traffic.invoice(7), { cell: { cell: 'local', region: 'local' }, window });
 */
export function bulkRecords(
  invoice: ScaleInvoice,
  context: { readonly cell: CellIdentity; readonly window: BusinessTimeWindow },
): InvoiceRecord[] {
  return invoice.events.map(({ stage, event, receivedAtMs }) => {
    const message: StageMessage = { stage: stage.name, receivedAtMs, event };
    const parsed = parseStageMessage(JSON.stringify(message), stage.name, context.window);
    return toInvoiceRecord(parsed, context.cell);
  });
}
