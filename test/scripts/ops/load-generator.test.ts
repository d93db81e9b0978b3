import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { currencyExponent } from '../../../schemas/currencies.js';
import { validateEvent } from '../../../schemas/index.js';
import { moneyProblem } from '../../../schemas/money.js';
import {
  createLoadGenerator,
  FAILURE_STATUSES,
  INVOICE_OUTCOMES,
  type InvoicePlan,
} from '../../../scripts/ops/load-generator.js';

const BASE_TIME_MS = Date.parse('2026-11-20T12:00:00Z');

function generator(seed: number, options: { failureRate?: number; stallRate?: number } = {}) {
  return createLoadGenerator({ seed, topology: CELL_TOPOLOGY, baseTimeMs: BASE_TIME_MS, ...options });
}

function plans(
  seed: number,
  count: number,
  options: { failureRate?: number; stallRate?: number } = {},
): InvoicePlan[] {
  const g = generator(seed, options);
  return Array.from({ length: count }, (_, i) => g.invoice(i));
}

describe('createLoadGenerator', () => {
  describe('invoice', () => {
    it('gives the same invoices, event ids and amounts for the same seed', () => {
      // Act
      const first = plans(7, 50);
      const second = plans(7, 50);

      // Assess
      expect(second).toEqual(first);
    });

    it('gives other invoices for another seed', () => {
      // Act
      const ids7 = plans(7, 20).flatMap((p) => p.events.map((e) => e.event.eventId));
      const ids8 = new Set(plans(8, 20).flatMap((p) => p.events.map((e) => e.event.eventId)));

      // Assess
      expect(ids7.filter((id) => ids8.has(id))).toEqual([]);
    });

    it('is a pure function of the index, whatever the order invoices are asked for', () => {
      // Prepare
      const g = generator(99);
      const forward = [0, 1, 2, 3].map((i) => g.invoice(i));

      // Act
      const backward = [3, 2, 1, 0].map((i) => g.invoice(i)).reverse();

      // Assess
      expect(backward).toEqual(forward);
    });

    it('generates events the event contract accepts, with unique event ids', () => {
      // Act
      const all = plans(1234, 300, { failureRate: 0.2, stallRate: 0.2 });
      const events = all.flatMap((p) => p.events);

      // Assess
      const problems = events.flatMap((e) =>
        validateEvent(e.stage.name, e.event).map((p) => `${e.stage.name} ${p.path} ${p.message}`),
      );
      expect(problems).toEqual([]);
      expect(new Set(events.map((e) => e.event.eventId)).size).toBe(events.length);
    });

    it('writes amounts as decimal strings with exactly the currency exponent, never as numbers', () => {
      // Act
      const events = plans(5, 300).flatMap((p) => p.events.map((e) => e.event));

      // Assess
      const currencies = new Set(events.map((e) => e.amount.currency));
      expect(currencies.has('JPY')).toBe(true); // exponent 0
      expect(currencies.has('KWD')).toBe(true); // exponent 3
      for (const e of events) {
        expect(typeof e.amount.value).toBe('string');
        expect(moneyProblem(e.amount.value, e.amount.currency)).toBeUndefined();
        const decimals = e.amount.value.split('.')[1]?.length ?? 0;
        expect(decimals).toBe(currencyExponent(e.amount.currency));
      }
    });

    it('sends every invoice through the stages in lifecycle order with rising business times', () => {
      // Act
      const all = plans(3, 100);

      // Assess
      for (const plan of all) {
        const orders = plan.events.map((e) => e.stage.order);
        expect(orders).toEqual(orders.map((_, i) => i));
        const times = plan.events.map((e) => Date.parse(e.event.occurredAt));
        expect([...times].sort((a, b) => a - b)).toEqual(times);
        expect(new Set(plan.events.map((e) => e.event.invoiceId))).toEqual(new Set([plan.invoiceId]));
        expect(times.every((t) => t <= BASE_TIME_MS)).toBe(true);
      }
    });

    it('ends failed invoices on a failure status and completes the others through the last stage', () => {
      // Act
      const all = plans(11, 400, { failureRate: 0.25, stallRate: 0.25 });

      // Assess
      const lastStage = CELL_TOPOLOGY.stages.length - 1;
      const byOutcome = (o: string) => all.filter((p) => p.outcome === o);
      expect(byOutcome(INVOICE_OUTCOMES.failed).length).toBeGreaterThan(50);
      expect(byOutcome(INVOICE_OUTCOMES.stalled).length).toBeGreaterThan(50);
      for (const plan of byOutcome(INVOICE_OUTCOMES.failed)) {
        expect(FAILURE_STATUSES).toContain(plan.events.at(-1)?.event.status);
        expect(plan.events.slice(0, -1).every((e) => !FAILURE_STATUSES.includes(e.event.status))).toBe(true);
      }
      for (const plan of byOutcome(INVOICE_OUTCOMES.completed)) {
        expect(plan.events.at(-1)?.stage.order).toBe(lastStage);
        expect(plan.events.every((e) => !FAILURE_STATUSES.includes(e.event.status))).toBe(true);
      }
    });

    it('stops stalled invoices before the last stage, already past that stage SLA', () => {
      // Act
      const stalled = plans(21, 300, { failureRate: 0, stallRate: 0.5 }).filter(
        (p) => p.outcome === INVOICE_OUTCOMES.stalled,
      );

      // Assess
      expect(stalled.length).toBeGreaterThan(100);
      for (const plan of stalled) {
        const last = plan.events.at(-1);
        expect(last?.stage.order).toBeLessThan(CELL_TOPOLOGY.stages.length - 1);
        const ageMs = BASE_TIME_MS - Date.parse(last?.event.occurredAt ?? '');
        expect(ageMs).toBeGreaterThan((last?.stage.slaSec ?? 0) * 1000);
      }
    });

    it('generates no failures or stalls when both shares are 0', () => {
      // Act
      const outcomes = new Set(plans(2, 200, { failureRate: 0, stallRate: 0 }).map((p) => p.outcome));

      // Assess
      expect(outcomes).toEqual(new Set([INVOICE_OUTCOMES.completed]));
    });

    it('refuses shares outside 0..1 and a seed that is not a 32-bit integer', () => {
      // Act + Assess
      expect(() => generator(1, { failureRate: 1.5 })).toThrow(/failureRate must be between 0 and 1/);
      expect(() => generator(1, { failureRate: 0.6, stallRate: 0.6 })).toThrow(/at most 1/);
      expect(() => generator(-1)).toThrow(/seed must be an integer/);
      expect(() => generator(2 ** 32)).toThrow(/seed must be an integer/);
    });
  });
});
