import { describe, expect, it } from 'vitest';
import {
  csvField,
  REPORT_CSV_COLUMNS,
  reportCsv,
  spreadsheetSafe,
} from '../../../consumers/reports/report-csv.js';
import { sampleReport } from './support/sample-report.js';

/** A minimal RFC 4180 reader (quoted fields, doubled quotes, CRLF records) for the round trip. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}

describe('csvField', () => {
  it('quotes fields with commas, quotes or line breaks and doubles quotes', () => {
    // Act + Assess
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
  });
});

describe('spreadsheetSafe', () => {
  it('prefixes text a spreadsheet would run as a formula', () => {
    // Act + Assess
    expect(spreadsheetSafe('=1+1')).toBe("'=1+1");
    expect(spreadsheetSafe('+1')).toBe("'+1");
    expect(spreadsheetSafe('-1')).toBe("'-1");
    expect(spreadsheetSafe('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(spreadsheetSafe('Acme')).toBe('Acme');
  });
});

describe('reportCsv', () => {
  it('writes one header line and CRLF records that read back to the same fields', () => {
    // Prepare
    const report = sampleReport();

    // Act
    const csv = reportCsv(report);
    const rows = parseCsv(csv);

    // Assess
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(rows[0]).toEqual([...REPORT_CSV_COLUMNS]);
    for (const row of rows) expect(row).toHaveLength(REPORT_CSV_COLUMNS.length);
    const vendor = rows.find((r) => r[3] === 'vendor' && r[4] === 'V-1');
    expect(vendor).toEqual([
      '2026-10',
      'local',
      'EUR',
      'vendor',
      'V-1',
      'Acme, "Müller" & <Söhne>\nGmbH',
      '3',
      '1234567.89',
      '123456789',
    ]);
    expect(rows.find((r) => r[4] === 'V-2')?.[5]).toBe('\'=HYPERLINK("http://x")');
  });

  it('writes one row per currency, figure and key with exact money', () => {
    // Act
    const rows = parseCsv(reportCsv(sampleReport())).slice(1);

    // Assess
    const keyed = rows.map((r) => `${r[2]}|${r[3]}|${r[4]}|${r[6]}|${r[7]}|${r[8]}`);
    expect(keyed).toEqual([
      'EUR|received|total|6|1234567.95|123456795',
      'EUR|posted|POSTED|2|1000.00|100000',
      'EUR|posted|FAILED|1|0.99|99',
      'EUR|open|total|1|42.00|4200',
      'EUR|open|APPROVED|1|42.00|4200',
      'EUR|vendor|V-1|3|1234567.89|123456789',
      'EUR|vendor|V-2|1|0.05|5',
      'EUR|other_vendors|other|2|0.01|1',
      'EUR|payment_terms|30|5||',
      'EUR|payment_terms|none|1||',
      'JPY|received|total|1|7000|7000',
      'JPY|posted|POSTED|0|0|0',
      'JPY|open|total|0|0|0',
      'JPY|vendor|V-9|1|7000|7000',
      'JPY|other_vendors|other|0|0|0',
      '|stuck|authorization|2||',
      '|reconciliation|ingestion|10||',
      '|reconciliation|ingestion|9||',
      '|reconciliation|ingestion|1||',
      '|reconciliation|ingestion|0||',
      '|reconciliation|ingestion|0||',
      '|reconciliation|ingestion|0||',
      '|reconciliation|ingestion|||',
    ]);
    expect(rows.filter((r) => r[3] === 'reconciliation').map((r) => r[5])).toEqual([
      'accepted',
      'stored',
      'in DLQ now',
      'in flight now',
      'missing',
      'unexpected',
      'balanced: yes',
    ]);
    expect(rows.find((r) => r[3] === 'other_vendors' && r[2] === 'EUR')?.[5]).toBe('1 vendors');
  });
});
