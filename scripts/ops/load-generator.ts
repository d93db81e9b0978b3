import type { CellTopology, StageTopology } from '../../cells/topology.js';
import { CURRENCY_EXPONENTS } from '../../schemas/currencies.js';
import { formatMinorUnits } from '../../schemas/money.js';
import { isoFromMs } from '../../schemas/time.js';
import type { InvoiceEvent } from '../../schemas/types.js';
import { int, mixSeed, mulberry32, pick, type Random, uuid, weighted } from './seeded-random.js';
import { type StageVocabulary, vocabularyOf } from './stage-vocabulary.js';

/**
 * Realistic invoice lifecycles for load and tests, pure given a seed: invoice `i` of seed `s` is
 * always the same invoice (ids, vendor, amount, statuses, times), whatever order invoices are
 * asked for in, so a run can be reproduced and a bench can reuse the exact traffic.
 *
 * Nothing names a stage: the lifecycle is the topology's stage order, each stage's fields start
 * from its contract example (`schemas/examples/<stage>.json`) and its statuses come from its
 * schema. Known business fields (variance, approver, ledger reference, ...) are filled by name;
 * a stage added later still gets valid events from its example.
 *
 * Money never passes through a float: amounts are drawn as integer minor units (bigint) and
 * formatted with the currency's exponent by `formatMinorUnits`.
 *
 * @example
 * const generator = createLoadGenerator({ seed: 42, topology: CELL_TOPOLOGY, baseTimeMs: Date.now() });
 * const plan = generator.invoice(0);
 * for (const { stage, event } of plan.events) await send(stage, [event]);
 */
export interface LoadGeneratorOptions {
  /** 32-bit unsigned seed. */
  readonly seed: number;
  readonly topology: CellTopology;
  /** Business time "now" of the run: completed lifecycles end just before it. */
  readonly baseTimeMs: number;
  /** Share of invoices that end in a failure status (REJECTED, MISMATCHED, FAILED), 0..1. */
  readonly failureRate?: number;
  /** Share of invoices that stop before the last stage (stuck business events), 0..1. */
  readonly stallRate?: number;
  /** Distinct vendors, 1..VENDOR_NAMES.length. */
  readonly vendors?: number;
}

export const INVOICE_OUTCOMES = {
  /** Went through every stage. */
  completed: 'completed',
  /** Ended at some stage with a failure status. */
  failed: 'failed',
  /** Stopped before the last stage with a non-failure status, long enough ago to be past the SLA. */
  stalled: 'stalled',
} as const;
export type InvoiceOutcome = (typeof INVOICE_OUTCOMES)[keyof typeof INVOICE_OUTCOMES];

export interface PlannedEvent {
  readonly stage: StageTopology;
  readonly event: InvoiceEvent;
}

export interface InvoicePlan {
  readonly index: number;
  readonly invoiceId: string;
  readonly outcome: InvoiceOutcome;
  /** In lifecycle order; send the next only after the previous one was accepted. */
  readonly events: readonly PlannedEvent[];
}

export interface LoadGenerator {
  readonly seed: number;
  /** The invoice at `index` (0-based). Pure. */
  invoice(index: number): InvoicePlan;
}

/** Statuses that end an invoice's lifecycle as a failure, wherever a stage schema offers them. */
export const FAILURE_STATUSES: readonly string[] = ['REJECTED', 'MISMATCHED', 'FAILED'];

/** Vendor names of the generated traffic; ids and payment terms derive from the position. */
export const VENDOR_NAMES: readonly string[] = [
  'Acme Office Supplies',
  'Globex Logistics',
  'Initech Software',
  'Umbrella Facilities',
  'Stark Industrial Parts',
  'Wayne Security Services',
  'Hooli Cloud Hosting',
  'Vandelay Imports',
  'Soylent Catering',
  'Tyrell Engineering',
  'Cyberdyne Maintenance',
  'Wonka Confectionery',
  'Oceanic Freight',
  'Gringotts Treasury Services',
  'Monarch Printing',
  'Nakatomi Trading',
  'Pied Piper Storage',
  'Dunder Paper Company',
  'Massive Dynamic Labs',
  'Prestige Worldwide Events',
];

/** Net days of payment terms, chosen per vendor. */
const NET_DAYS: readonly number[] = [30, 45, 60, 15, 30, 90, 0, 30, 60, 45];

/** Invoice currencies with their weights; exponents come from ISO 4217 (0: JPY, 3: KWD). */
const CURRENCY_WEIGHTS: readonly (readonly [string, number])[] = [
  ['USD', 50],
  ['EUR', 20],
  ['GBP', 9],
  ['JPY', 7],
  ['CAD', 5],
  ['CHF', 4],
  ['KWD', 3],
  ['MXN', 2],
];

const APPROVERS: readonly string[] = [
  'Dana Whitfield',
  'Luis Ortega',
  'Priya Raman',
  'Tomasz Nowak',
  'Grace Okafor',
  'Kenji Watanabe',
];

const BUSINESS_UNITS: readonly string[] = [
  'EMEA-Facilities',
  'NA-Operations',
  'APAC-IT',
  'Corporate-Finance',
];

const DAY_MS = 86_400_000;

/**
 * An invoice amount in integer minor units: log-uniform between 10 and 250,000 major units (many
 * small invoices, few large ones), never a float value.
 */
function amountMinor(random: Random, exponent: number): bigint {
  const major = Math.floor(10 ** (1 + random() * Math.log10(25_000)));
  const fraction = exponent === 0 ? 0 : Math.floor(random() * 10 ** exponent);
  return BigInt(major) * 10n ** BigInt(exponent) + BigInt(fraction);
}

function isoDate(ms: number): string {
  return isoFromMs(ms).slice(0, 10);
}

function rate(name: string, value: number | undefined, fallback: number): number {
  const r = value ?? fallback;
  if (!(r >= 0 && r <= 1)) throw new Error(`load generator ${name} must be between 0 and 1, got ${r}`);
  return r;
}

/** Creates a generator; throws for options out of range. */
export function createLoadGenerator(options: LoadGeneratorOptions): LoadGenerator {
  const config = generatorConfig(options);
  return { seed: config.seed, invoice: (index) => planInvoice(config, index) };
}

/** The checked options and what every invoice of a generator reads. */
interface GeneratorConfig {
  readonly seed: number;
  readonly seedTag: string;
  readonly baseTimeMs: number;
  readonly failureRate: number;
  readonly stallRate: number;
  readonly vendorCount: number;
  readonly stages: readonly StageVocabulary[];
  readonly failingStages: readonly StageVocabulary[];
}

function generatorConfig(options: LoadGeneratorOptions): GeneratorConfig {
  const { seed, topology, baseTimeMs } = options;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
    throw new Error(`load generator seed must be an integer from 0 to 4294967295, got ${seed}`);
  }
  if (!Number.isSafeInteger(baseTimeMs))
    throw new Error(`load generator baseTimeMs must be epoch ms, got ${baseTimeMs}`);
  const failureRate = rate('failureRate', options.failureRate, 0.05);
  const stallRate = rate('stallRate', options.stallRate, 0.05);
  if (failureRate + stallRate > 1) {
    throw new Error(
      `load generator failureRate + stallRate must be at most 1, got ${failureRate + stallRate}`,
    );
  }
  const vendorCount = options.vendors ?? VENDOR_NAMES.length;
  if (!Number.isInteger(vendorCount) || vendorCount < 1 || vendorCount > VENDOR_NAMES.length) {
    throw new Error(`load generator vendors must be 1..${VENDOR_NAMES.length}, got ${vendorCount}`);
  }
  const stages = topology.stages.map((stage) => vocabularyOf(stage, FAILURE_STATUSES));
  if (stages.length === 0) throw new Error('load generator: the topology has no stages');
  return {
    seed,
    seedTag: seed.toString(36).toUpperCase(),
    baseTimeMs,
    failureRate,
    stallRate,
    vendorCount,
    stages,
    failingStages: stages.filter((s) => s.failures.length > 0),
  };
}

/** How far a lifecycle goes: its outcome, last stage, and the stage it fails at (-1: none). */
interface Course {
  readonly outcome: InvoiceOutcome;
  readonly lastStage: number;
  readonly failingAt: number;
}

/** Who, how much, on what terms: the same for every event of an invoice. */
interface InvoiceTerms {
  readonly invoiceId: string;
  readonly index: number;
  readonly seed: number;
  readonly vendor: { readonly id: string; readonly name: string };
  readonly netDays: number;
  readonly currency: string;
  readonly exponent: number;
  readonly minor: bigint;
  readonly amount: { readonly value: string; readonly currency: string };
  readonly dueDate: string;
  readonly purchaseOrderId: string;
  readonly approver: string;
  readonly businessUnit: string;
}

/** The invoice at `index`. The PRNG is drawn in a fixed order, so the plan depends on (seed, index) only. */
function planInvoice(config: GeneratorConfig, index: number): InvoicePlan {
  if (!Number.isSafeInteger(index) || index < 0) throw new Error(`invoice index must be ≥ 0, got ${index}`);
  const random = mulberry32(mixSeed(config.seed, index));
  const invoiceId = `INV-${config.seedTag}-${String(index).padStart(7, '0')}`;
  const course = drawCourse(config, random);
  // Who, how much, on what terms.
  const vendorIndex = Math.min(config.vendorCount - 1, Math.floor(config.vendorCount * random() ** 2)); // a few big vendors
  const vendor = { id: `V-${1001 + vendorIndex}`, name: VENDOR_NAMES[vendorIndex] as string };
  const netDays = NET_DAYS[vendorIndex % NET_DAYS.length] as number;
  const currency = weighted(random, CURRENCY_WEIGHTS);
  const exponent = CURRENCY_EXPONENTS.get(currency) ?? 2;
  const minor = amountMinor(random, exponent);
  const amount = { value: formatMinorUnits(minor, currency), currency };
  const { gapsMs, startMs } = drawTiming(config, random, course);
  const terms: InvoiceTerms = {
    invoiceId,
    index,
    seed: config.seed,
    vendor,
    netDays,
    currency,
    exponent,
    minor,
    amount,
    dueDate: isoDate(startMs + netDays * DAY_MS),
    purchaseOrderId: `PO-${int(random, 10_000, 99_999)}`,
    approver: pick(random, APPROVERS),
    businessUnit: pick(random, BUSINESS_UNITS),
  };
  const events: PlannedEvent[] = [];
  let atMs = startMs;
  for (let i = 0; i <= course.lastStage; i++) {
    if (i > 0) atMs += gapsMs[i - 1] as number;
    events.push(stageEvent(config.stages[i] as StageVocabulary, random, terms, i === course.failingAt, atMs));
  }
  return { index, invoiceId, outcome: course.outcome, events };
}

/** Outcome and how far the lifecycle goes. */
function drawCourse(config: GeneratorConfig, random: Random): Course {
  const { stages, failingStages } = config;
  const roll = random();
  if (roll < config.failureRate && failingStages.length > 0) {
    const failingAt = stages.indexOf(pick(random, failingStages));
    return { outcome: INVOICE_OUTCOMES.failed, lastStage: failingAt, failingAt };
  }
  if (roll < config.failureRate + config.stallRate && stages.length > 1) {
    return { outcome: INVOICE_OUTCOMES.stalled, lastStage: int(random, 0, stages.length - 2), failingAt: -1 };
  }
  return { outcome: INVOICE_OUTCOMES.completed, lastStage: stages.length - 1, failingAt: -1 };
}

/**
 * Timing: each stage follows the previous within a share of the previous stage's SLA; a
 * completed or failed lifecycle ends just before baseTime, a stalled one ends 1.5 SLAs before
 * it, so it is already stuck when it arrives.
 */
function drawTiming(
  config: GeneratorConfig,
  random: Random,
  course: Course,
): { gapsMs: readonly number[]; startMs: number } {
  const { stages, baseTimeMs } = config;
  const gapsMs = stages
    .slice(0, course.lastStage)
    .map((s) => Math.floor(s.stage.slaSec * 1000 * (0.02 + random() * 0.48)));
  const stalledSlaMs = (stages[course.lastStage]?.stage.slaSec ?? 0) * 1000;
  const endMs =
    course.outcome === INVOICE_OUTCOMES.stalled
      ? baseTimeMs - Math.floor(stalledSlaMs * 1.5) - int(random, 0, 60_000)
      : baseTimeMs - int(random, 1_000, 60_000);
  return { gapsMs, startMs: endMs - gapsMs.reduce((a, b) => a + b, 0) };
}

/** One stage's event: its example with the invoice's ids, money, terms and a drawn status. */
function stageEvent(
  v: StageVocabulary,
  random: Random,
  terms: InvoiceTerms,
  failing: boolean,
  atMs: number,
): PlannedEvent {
  const status = failing
    ? pick(random, v.failures)
    : v.otherOk.length > 0 && random() < 0.1
      ? pick(random, v.otherOk)
      : v.usual;
  const event: Record<string, unknown> = structuredClone(v.template);
  Object.assign(event, {
    eventId: uuid(random),
    invoiceId: terms.invoiceId,
    occurredAt: isoFromMs(atMs),
    status,
    amount: terms.amount,
    vendor: terms.vendor,
  });
  if (v.properties.has('paymentTerms') && ('paymentTerms' in event || v.required.has('paymentTerms'))) {
    event.paymentTerms = { netDays: terms.netDays, dueDate: terms.dueDate };
  }
  for (const [field, values] of v.enums) if (field in event) event[field] = pick(random, values);
  const known = knownFields(random, terms, status, atMs);
  for (const [field, make] of Object.entries(known)) if (field in event) event[field] = make();
  return { stage: v.stage, event: event as unknown as InvoiceEvent };
}

/** Business fields filled by name wherever a stage's example has them. */
function knownFields(
  random: Random,
  terms: InvoiceTerms,
  status: string,
  atMs: number,
): Record<string, () => unknown> {
  const { invoiceId, index, minor, exponent, currency, approver } = terms;
  return {
    documentRef: () => `docs/${isoDate(atMs).slice(0, 7)}/${invoiceId}.pdf`,
    purchaseOrderId: () => terms.purchaseOrderId,
    variance: () => formatMinorUnits(varianceMinor(random, minor, status), currency),
    approver: () => ({ id: `E-${2000 + APPROVERS.indexOf(approver)}`, name: approver }),
    approvalLevel: () =>
      minor >= 100_000n * 10n ** BigInt(exponent) ? 3 : minor >= 10_000n * 10n ** BigInt(exponent) ? 2 : 1,
    ledgerReference: () => `GL-${isoDate(atMs).slice(0, 7)}-${String(index).padStart(6, '0')}`,
    postingPeriod: () => isoDate(atMs).slice(0, 7),
    metadata: () => ({ businessUnit: terms.businessUnit, generator: `invoice-ops load seed ${terms.seed}` }),
  };
}

/** Invoice minus purchase order: 0 when matched, a little when partially, a lot when mismatched. */
function varianceMinor(random: Random, amount: bigint, status: string): bigint {
  if (status === 'MATCHED') return 0n;
  const permille = BigInt(status === 'MISMATCHED' ? int(random, 50, 200) : int(random, 1, 20));
  const magnitude = (amount * permille) / 1000n;
  return random() < 0.5 ? -magnitude : magnitude;
}
