import { describe, expect, it } from 'vitest';
import { reportFigureSql } from '../../../consumers/aws/timestream-report-sql.js';
import { QueryParameterError } from '../../../consumers/sql/sql-text.js';

const TABLE = { database: 'cell_db', table: 'latest_state' };
const OCT = { fromMs: Date.parse('2026-10-01T00:00:00Z'), toMs: Date.parse('2026-11-01T00:00:00Z') };

describe('reportFigureSql', () => {
  it("ranks each invoice's first-stage rows from the month start and keeps the newest inside the month", () => {
    // Act
    const sql = reportFigureSql('received', { scope: 's_0123456789', stage: 'ingestion' }, TABLE, {
      sinceMs: OCT.fromMs,
      ...OCT,
    });

    // Assess
    expect(sql).toBe(
      [
        'WITH newest AS (',
        '  SELECT "vendorId", currency, "amount_minor", time,',
        '    ROW_NUMBER() OVER (PARTITION BY "invoiceId" ORDER BY time DESC, "eventId" DESC) AS invoice_rank',
        '  FROM "cell_db"."latest_state"',
        "  WHERE measure_name = 's_0123456789'",
        "    AND stage = 'ingestion'",
        `    AND time >= from_milliseconds(${OCT.fromMs})`,
        ')',
        'SELECT "vendorId" AS vendor_id, currency, count(*) AS invoices, SUM("amount_minor") AS amount_minor',
        'FROM newest',
        `WHERE invoice_rank = 1 AND time >= from_milliseconds(${OCT.fromMs}) AND time < from_milliseconds(${OCT.toMs})`,
        'GROUP BY "vendorId", currency',
      ].join('\n'),
    );
  });

  it('counts payment days without money, and reads the open book over all history of the per-invoice scope', () => {
    // Act
    const terms = reportFigureSql('paymentTerms', { scope: 's_0123456789', stage: 'ingestion' }, TABLE, {
      sinceMs: OCT.fromMs,
      ...OCT,
    });
    const open = reportFigureSql('open', { scope: 's_abcdef0123' }, TABLE, {
      sinceMs: 0,
      fromMs: 0,
      toMs: OCT.toMs,
    });

    // Assess
    expect(terms).toContain(
      'SELECT currency, "payment_terms_days" AS payment_terms_days, count(*) AS invoices\nFROM newest',
    );
    expect(terms).not.toContain('SUM(');
    expect(open).toContain("WHERE measure_name = 's_abcdef0123'\n    AND time >= from_milliseconds(0)\n)");
    expect(open).not.toContain('stage =');
    expect(open).toContain(`time >= from_milliseconds(0) AND time < from_milliseconds(${OCT.toMs})`);
    expect(open).toContain('GROUP BY currency, "status"');
  });

  it('refuses a table name, scope or window bound that is not safe SQL', () => {
    const figure = { scope: 's_0123456789' };
    const window = { sinceMs: 0, fromMs: 0, toMs: 1 };
    expect(() => reportFigureSql('open', figure, { database: 'db', table: 'x"; DROP' }, window)).toThrow(
      QueryParameterError,
    );
    expect(() => reportFigureSql('open', { scope: "s_' OR 1=1" }, TABLE, window)).toThrow(
      QueryParameterError,
    );
    expect(() => reportFigureSql('open', figure, TABLE, { ...window, toMs: -1 })).toThrow(
      'epoch ms -1 is not valid',
    );
  });
});
