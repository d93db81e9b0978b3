import { describe, expect, it } from 'vitest';
import type { StageName } from '../../../cells/topology.js';
import { aggregateQuery, timelineQuery } from '../../../consumers/aws/timestream-record-queries.js';
import { QueryParameterError } from '../../../consumers/sql/sql-text.js';

describe('timelineQuery', () => {
  it('selects every dimension and measure of one invoice, quoted', () => {
    // Act
    const sql = timelineQuery('invoices', 'events', 'INV-2026-000123');

    // Assess
    expect(sql).toBe(
      [
        'SELECT "cell", "region", "stage", "invoiceId", "eventId", "vendorId", "currency", time, "status", "amount_minor", "vendor_name", "received_at", "due_date", "payment_terms_days"',
        'FROM "invoices"."events"',
        `WHERE measure_name = 'invoice_event' AND "invoiceId" = 'INV-2026-000123'`,
        'ORDER BY time ASC',
      ].join('\n'),
    );
  });

  it.each(["x' OR 1=1 --", '', 'INV 1', `a${'b'.repeat(128)}`])('refuses the invoiceId %j', (invoiceId) => {
    // Assess
    expect(() => timelineQuery('invoices', 'events', invoiceId)).toThrow(QueryParameterError);
  });

  it('refuses a table name that could break out of its quotes', () => {
    // Assess
    expect(() => timelineQuery('invoices', 'events"; DROP', 'INV-1')).toThrow(QueryParameterError);
  });
});

describe('aggregateQuery', () => {
  it('bins by the requested width and filters by window and stage', () => {
    // Act
    const sql = aggregateQuery('invoices', 'events', {
      fromMs: 1_000,
      toMs: 2_000,
      binSec: 60,
      stage: 'posting',
    });

    // Assess
    expect(sql).toBe(
      [
        'SELECT bin(time, 60s) AS bin_start, "stage", count(*) AS events, sum("amount_minor") AS amount_minor_sum',
        'FROM "invoices"."events"',
        `WHERE measure_name = 'invoice_event' AND time >= from_milliseconds(1000) AND time < from_milliseconds(2000) AND "stage" = 'posting'`,
        'GROUP BY bin(time, 60s), "stage"',
        'ORDER BY bin_start ASC, "stage" ASC',
      ].join('\n'),
    );
  });

  it.each([
    { fromMs: 2_000, toMs: 1_000, binSec: 60 },
    { fromMs: 1.5, toMs: 2_000, binSec: 60 },
    { fromMs: 1_000, toMs: 2_000, binSec: 0 },
    { fromMs: 1_000, toMs: 2_000, binSec: 60, stage: "posting' OR 'a'='a" as StageName },
  ])('refuses %j', (query) => {
    // Assess
    expect(() => aggregateQuery('invoices', 'events', query)).toThrow(QueryParameterError);
  });
});
