import { describe, expect, it } from 'vitest';
import { DASHBOARDS } from '../../../dashboards/panels/panels.js';
import {
  LATEST_MEASURES,
  renderLatestStateSql,
} from '../../../dashboards/renderers/timestream-latest-sql.js';
import { rollupsOf } from '../../../dashboards/rollups/apply-record.js';
import type { LatestScope } from '../../../dashboards/rollups/rollup-specs.js';

const WINDOW = { from: 'bin(@scheduled_runtime, 1m) - 60m', to: '@scheduled_runtime' } as const;
const { scopes } = rollupsOf(DASHBOARDS);

function scopeOf(find: (s: LatestScope) => boolean): LatestScope {
  const scope = scopes.find(find);
  if (!scope) throw new Error('no such scope');
  return scope;
}

describe('renderLatestStateSql', () => {
  it('writes the latest record of each invoice and stage seen in the window, with the record columns', () => {
    // Act
    const sql = renderLatestStateSql(
      scopeOf((s) => s.partition === 'invoiceStage'),
      WINDOW,
    );

    // Assess
    const columns =
      'time, "invoiceId", stage, currency, "vendorId", "eventId", "status", "amount_minor", "due_date", "payment_terms_days"';
    expect(sql).toBe(
      [
        'WITH ranked AS (',
        `  SELECT ${columns},`,
        '    ROW_NUMBER() OVER (PARTITION BY "invoiceId", stage ORDER BY time DESC, "eventId" DESC) AS latest_rank',
        '  FROM "__cell_database__"."__cell_table__"',
        "  WHERE measure_name = 'invoice_event'",
        '    AND time >= bin(@scheduled_runtime, 1m) - 60m',
        '    AND time < @scheduled_runtime',
        ')',
        `SELECT ${columns}`,
        'FROM ranked',
        'WHERE latest_rank = 1',
      ].join('\n'),
    );
  });

  it("ranks per invoice among the records passing the scope's predicate only", () => {
    // Act: the cash-flow scope counts each invoice's latest record that has a due date
    const sql = renderLatestStateSql(
      scopeOf((s) => s.partition === 'invoice' && s.predicate.requireDueDate === true),
      WINDOW,
    );

    // Assess
    expect(sql).toContain('PARTITION BY "invoiceId" ORDER BY time DESC');
    expect(sql).toContain('AND "due_date" IS NOT NULL');
  });

  it('keeps money as BIGINT minor units in the latest state', () => {
    expect(LATEST_MEASURES).toContainEqual({ column: 'amount_minor', type: 'BIGINT' });
    expect(LATEST_MEASURES.map((m) => m.type)).not.toContain('DOUBLE');
  });
});
