import type { CellTopology, StageTopology } from '../../cells/topology.js';
import { CURRENCY_EXPONENTS } from '../../schemas/currencies.js';
import { readExampleEvent } from '../../schemas/files.js';
import { type JsonSchema, STAGE_SCHEMA_FILES, stageEventSchema } from '../../schemas/index.js';
import { formatMinorUnits } from '../../schemas/money.js';
import type { InvoiceEvent } from '../../schemas/types.js';

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

/**
 * mulberry32: a tiny, fast, well-distributed 32-bit PRNG. Hand-written because it is six lines and
 * no installed package offers a seeded generator (Math.random cannot be seeded); not for crypto.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Mixes a seed and an index into one 32-bit seed (murmur3 finalizer), so invoices are independent. */
function mixSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

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

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function weighted<T>(random: Random, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((sum, [, w]) => sum + w, 0);
  let r = random() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r < 0) return item;
  }
  return (items[items.length - 1] as readonly [T, number])[0];
}

function int(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function hex(random: Random, digits: number): string {
  let out = '';
  while (out.length < digits)
    out += Math.floor(random() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, digits);
}

/** A UUID v4-shaped id from the PRNG (version and variant bits set), so event ids are reproducible. */
function uuid(random: Random): string {
  const h = hex(random, 32);
  const variant = ((Number.parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

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
  return new Date(ms).toISOString().slice(0, 10);
}

function statusesOf(stage: StageTopology): readonly string[] {
  const status = (STAGE_SCHEMA_FILES[stage.name] as JsonSchema).properties?.status as JsonSchema | undefined;
  const values = status?.enum as string[] | undefined;
  if (!values || values.length === 0)
    throw new Error(`stage ${stage.name}: its schema lists no status values`);
  return values;
}

interface StageVocabulary {
  readonly stage: StageTopology;
  readonly template: Record<string, unknown>;
  /** First non-failure status: the usual outcome (RECEIVED, MATCHED, APPROVED, POSTED). */
  readonly usual: string;
  readonly otherOk: readonly string[];
  readonly failures: readonly string[];
  /** String enum fields of the stage other than status (e.g. a channel), picked at random. */
  readonly enums: ReadonlyMap<string, readonly string[]>;
  readonly properties: ReadonlySet<string>;
  readonly required: ReadonlySet<string>;
}

function vocabularyOf(stage: StageTopology): StageVocabulary {
  const template = readExampleEvent(stage.name) as Record<string, unknown>;
  const statuses = statusesOf(stage);
  const ok = statuses.filter((s) => !FAILURE_STATUSES.includes(s));
  if (ok.length === 0) throw new Error(`stage ${stage.name}: every status is a failure status`);
  const schema = stageEventSchema(stage.name);
  const enums = new Map<string, readonly string[]>();
  for (const [name, property] of Object.entries(schema.properties as Record<string, JsonSchema>)) {
    if (
      name !== 'status' &&
      property.type === 'string' &&
      Array.isArray(property.enum) &&
      property.enum.length < 20
    ) {
      enums.set(name, property.enum as string[]);
    }
  }
  return {
    stage,
    template,
    usual: ok[0] as string,
    otherOk: ok.slice(1),
    failures: statuses.filter((s) => FAILURE_STATUSES.includes(s)),
    enums,
    properties: new Set(Object.keys(schema.properties as object)),
    required: new Set(schema.required as string[]),
  };
}

function rate(name: string, value: number | undefined, fallback: number): number {
  const r = value ?? fallback;
  if (!(r >= 0 && r <= 1)) throw new Error(`load generator ${name} must be between 0 and 1, got ${r}`);
  return r;
}

/** Creates a generator; throws for options out of range. */
export function createLoadGenerator(options: LoadGeneratorOptions): LoadGenerator {
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
  const stages = topology.stages.map(vocabularyOf);
  if (stages.length === 0) throw new Error('load generator: the topology has no stages');
  const failingStages = stages.filter((s) => s.failures.length > 0);
  const seedTag = seed.toString(36).toUpperCase();

  const invoice = (index: number): InvoicePlan => {
    if (!Number.isSafeInteger(index) || index < 0) throw new Error(`invoice index must be ≥ 0, got ${index}`);
    const random = mulberry32(mixSeed(seed, index));
    const invoiceId = `INV-${seedTag}-${String(index).padStart(7, '0')}`;

    // Outcome and how far the lifecycle goes.
    const roll = random();
    let outcome: InvoiceOutcome = INVOICE_OUTCOMES.completed;
    let lastStage = stages.length - 1;
    let failingAt = -1;
    if (roll < failureRate && failingStages.length > 0) {
      outcome = INVOICE_OUTCOMES.failed;
      failingAt = stages.indexOf(pick(random, failingStages));
      lastStage = failingAt;
    } else if (roll < failureRate + stallRate && stages.length > 1) {
      outcome = INVOICE_OUTCOMES.stalled;
      lastStage = int(random, 0, stages.length - 2);
    }

    // Who, how much, on what terms.
    const vendorIndex = Math.min(vendorCount - 1, Math.floor(vendorCount * random() ** 2)); // a few big vendors
    const vendor = { id: `V-${1001 + vendorIndex}`, name: VENDOR_NAMES[vendorIndex] as string };
    const netDays = NET_DAYS[vendorIndex % NET_DAYS.length] as number;
    const currency = weighted(random, CURRENCY_WEIGHTS);
    const exponent = CURRENCY_EXPONENTS.get(currency) ?? 2;
    const minor = amountMinor(random, exponent);
    const amount = { value: formatMinorUnits(minor, currency), currency };

    // Timing: each stage follows the previous within a share of the previous stage's SLA; a
    // completed or failed lifecycle ends just before baseTime, a stalled one ends 1.5 SLAs before
    // it, so it is already stuck when it arrives.
    const gapsMs = stages
      .slice(0, lastStage)
      .map((s) => Math.floor(s.stage.slaSec * 1000 * (0.02 + random() * 0.48)));
    const stalledSlaMs = (stages[lastStage]?.stage.slaSec ?? 0) * 1000;
    const endMs =
      outcome === INVOICE_OUTCOMES.stalled
        ? baseTimeMs - Math.floor(stalledSlaMs * 1.5) - int(random, 0, 60_000)
        : baseTimeMs - int(random, 1_000, 60_000);
    const startMs = endMs - gapsMs.reduce((a, b) => a + b, 0);
    const dueDate = isoDate(startMs + netDays * DAY_MS);
    const purchaseOrderId = `PO-${int(random, 10_000, 99_999)}`;
    const approver = pick(random, APPROVERS);
    const businessUnit = pick(random, BUSINESS_UNITS);

    const events: PlannedEvent[] = [];
    let atMs = startMs;
    for (let i = 0; i <= lastStage; i++) {
      const v = stages[i] as StageVocabulary;
      if (i > 0) atMs += gapsMs[i - 1] as number;
      const status =
        i === failingAt
          ? pick(random, v.failures)
          : v.otherOk.length > 0 && random() < 0.1
            ? pick(random, v.otherOk)
            : v.usual;
      const event: Record<string, unknown> = structuredClone(v.template);
      Object.assign(event, {
        eventId: uuid(random),
        invoiceId,
        occurredAt: new Date(atMs).toISOString(),
        status,
        amount,
        vendor,
      });
      if (v.properties.has('paymentTerms') && ('paymentTerms' in event || v.required.has('paymentTerms'))) {
        event.paymentTerms = { netDays, dueDate };
      }
      for (const [field, values] of v.enums) if (field in event) event[field] = pick(random, values);
      const known: Record<string, () => unknown> = {
        documentRef: () => `docs/${isoDate(atMs).slice(0, 7)}/${invoiceId}.pdf`,
        purchaseOrderId: () => purchaseOrderId,
        variance: () => formatMinorUnits(varianceMinor(random, minor, status), currency),
        approver: () => ({ id: `E-${2000 + APPROVERS.indexOf(approver)}`, name: approver }),
        approvalLevel: () =>
          minor >= 100_000n * 10n ** BigInt(exponent)
            ? 3
            : minor >= 10_000n * 10n ** BigInt(exponent)
              ? 2
              : 1,
        ledgerReference: () => `GL-${isoDate(atMs).slice(0, 7)}-${String(index).padStart(6, '0')}`,
        postingPeriod: () => isoDate(atMs).slice(0, 7),
        metadata: () => ({ businessUnit, generator: `invoice-ops load seed ${seed}` }),
      };
      for (const [field, make] of Object.entries(known)) if (field in event) event[field] = make();
      events.push({ stage: v.stage, event: event as unknown as InvoiceEvent });
    }
    return { index, invoiceId, outcome, events };
  };

  return { seed, invoice };
}

/** Invoice minus purchase order: 0 when matched, a little when partially, a lot when mismatched. */
function varianceMinor(random: Random, amount: bigint, status: string): bigint {
  if (status === 'MATCHED') return 0n;
  const permille = BigInt(status === 'MISMATCHED' ? int(random, 50, 200) : int(random, 1, 20));
  const magnitude = (amount * permille) / 1000n;
  return random() < 0.5 ? -magnitude : magnitude;
}
