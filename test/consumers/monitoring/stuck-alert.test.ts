import { describe, expect, it } from 'vitest';
import type { StuckInvoice } from '../../../consumers/monitoring/stuck.js';
import { formatAge, formatStuckAlert, MAX_SUBJECT_CHARS } from '../../../consumers/monitoring/stuck-alert.js';

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);

function stuckInvoice(n: number, overrides: Partial<StuckInvoice> = {}): StuckInvoice {
  return {
    invoiceId: `INV-${n}`,
    stage: 'ingestion',
    nextStage: 'reconciliation',
    lastStatus: 'RECEIVED',
    enteredAtMs: NOW - 3_600_000,
    ageSec: 3_600,
    slaSec: 900,
    overdueSec: 2_700,
    vendorId: 'V-1',
    ...overrides,
  };
}

describe('formatAge', () => {
  it('shows the two largest units and drops a zero second unit', () => {
    expect(formatAge(0)).toBe('0s');
    expect(formatAge(45)).toBe('45s');
    expect(formatAge(900)).toBe('15m');
    expect(formatAge(7_500)).toBe('2h 5m');
    expect(formatAge(7_205)).toBe('2h');
    expect(formatAge(3 * 86_400 + 4 * 3_600 + 59)).toBe('3d 4h');
  });
});

describe('formatStuckAlert', () => {
  it('counts per stage and lists each invoice with its stage, age, SLA and status', () => {
    // Act
    const alert = formatStuckAlert(
      [stuckInvoice(1), stuckInvoice(2, { stage: 'authorization', nextStage: 'posting', slaSec: 14_400 })],
      { cellName: 'us-east-1', nowMs: NOW },
    );

    // Assess
    expect(alert.subject).toBe('[warning] 2 stuck invoices past SLA in cell us-east-1');
    expect(alert.listed).toBe(2);
    expect(alert.message).toContain(
      '2 invoices past their stage SLA in cell us-east-1 (checked 2026-11-20T12:00:00.000Z)',
    );
    expect(alert.message).toContain('  ingestion: 1 (SLA 15m)\n  authorization: 1 (SLA 4h)');
    expect(alert.message).toContain(
      '  INV-1  ingestion -> reconciliation  age 1h (SLA 15m, overdue 45m)  status RECEIVED  vendor V-1',
    );
    expect(alert.message).toContain('invoice-ops stuck --cell us-east-1');
  });

  it('stays within the byte bound however many invoices are stuck', () => {
    // Prepare
    const stuck = Array.from({ length: 5_000 }, (_, i) => stuckInvoice(i));

    // Act
    const alert = formatStuckAlert(stuck, {
      cellName: 'us-east-1',
      nowMs: NOW,
      maxInvoices: 5_000,
      maxMessageBytes: 4_096,
    });

    // Assess
    expect(Buffer.byteLength(alert.message, 'utf8')).toBeLessThanOrEqual(4_096);
    expect(alert.listed).toBeGreaterThan(10);
    expect(alert.listed).toBeLessThan(5_000);
    expect(alert.message).toContain(`(showing ${alert.listed} of 5000)`);
  });

  it('keeps the subject printable ASCII within the SNS limit', () => {
    // Act
    const alert = formatStuckAlert([stuckInvoice(1)], { cellName: `zürich-${'x'.repeat(120)}`, nowMs: NOW });

    // Assess
    expect(alert.subject.length).toBeLessThanOrEqual(MAX_SUBJECT_CHARS);
    expect(alert.subject).toMatch(/^[\x20-\x7e]+$/);
    expect(alert.subject).toContain('1 stuck invoice');
  });

  it('refuses an empty list: no alert is sent when nothing is stuck', () => {
    expect(() => formatStuckAlert([], { cellName: 'c', nowMs: NOW })).toThrow('at least one stuck invoice');
  });
});
