import { afterEach, describe, expect, it, vi } from 'vitest';
import { INVOICE_MEASURE_NAME, RecordError, toInvoiceRecord } from '../../consumers/record.js';
import type { StageMessage } from '../../schemas/types.js';
import { eventFor, RECEIVED_AT_MS, stageMessage } from './support/builders.js';

const CELL = { cell: 'us-east-1', region: 'us-east-1' };

describe('toInvoiceRecord', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('maps an ingestion message to one multi-measure record', () => {
    // Prepare
    const message = stageMessage('ingestion', eventFor('ingestion'));

    // Act
    const record = toInvoiceRecord(message, CELL);

    // Assess
    expect(record).toEqual({
      measureName: INVOICE_MEASURE_NAME,
      timeMs: Date.UTC(2026, 10, 20, 9, 15, 0),
      version: 1,
      dimensions: {
        cell: 'us-east-1',
        region: 'us-east-1',
        stage: 'ingestion',
        invoiceId: 'INV-2026-000123',
        eventId: '0f8e7c4a-2b1d-4c3e-9a5f-6d7e8f9a0b1c',
        vendorId: 'V-1001',
        currency: 'USD',
      },
      measures: {
        status: 'CAPTURED',
        amountMinor: '1250000',
        vendorName: 'Acme Office Supplies',
        receivedAtMs: RECEIVED_AT_MS,
        dueDateMs: Date.UTC(2026, 11, 20),
        paymentTermsDays: 30,
      },
    });
  });

  it('takes the record time from occurredAt, honouring its offset', () => {
    // Prepare: the authorization example happened at 14:03 in UTC+1.
    const message = stageMessage('authorization', eventFor('authorization'));

    // Act
    const record = toInvoiceRecord(message, CELL);

    // Assess
    expect(record.timeMs).toBe(Date.UTC(2026, 10, 20, 13, 3, 0));
  });

  it('leaves due date and terms null when the event carries no payment terms', () => {
    // Prepare
    const message = stageMessage('reconciliation', eventFor('reconciliation'));

    // Act
    const { measures } = toInvoiceRecord(message, CELL);

    // Assess
    expect(measures.dueDateMs).toBeNull();
    expect(measures.paymentTermsDays).toBeNull();
  });

  it('keeps amounts beyond 2^53 exact as a decimal string of minor units', () => {
    // Prepare
    const message = stageMessage(
      'posting',
      eventFor('posting', { amount: { value: '999999999999999.99', currency: 'USD' } }),
    );

    // Act
    const { measures } = toInvoiceRecord(message, CELL);

    // Assess
    expect(measures.amountMinor).toBe('99999999999999999');
  });

  it('writes the identical record for the same message, whatever the wall clock says', () => {
    // Prepare
    const message = stageMessage('ingestion', eventFor('ingestion'));
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-11-20T10:00:00Z'));
    const first = toInvoiceRecord(message, CELL);

    // Act
    vi.setSystemTime(new Date('2027-06-01T00:00:00Z'));
    const second = toInvoiceRecord(message, CELL);

    // Assess
    expect(second).toStrictEqual(first);
  });

  it('writes the identical record for an archive replay of the message', () => {
    // Prepare: a replay carries the original detail (and so the original receivedAtMs) plus replay-name.
    const original = stageMessage('posting', eventFor('posting'));
    const replay: StageMessage = { ...JSON.parse(JSON.stringify(original)), replayName: 'audit-2026-11' };

    // Act
    const records = [toInvoiceRecord(original, CELL), toInvoiceRecord(replay, CELL)];

    // Assess
    expect(records[1]).toStrictEqual(records[0]);
  });

  it('writes a different record when the API accepted the event at another time', () => {
    // Prepare: receivedAtMs is part of the record, so only a replay (same detail) is identical.
    const event = eventFor('ingestion');

    // Act
    const a = toInvoiceRecord(stageMessage('ingestion', event, { receivedAtMs: RECEIVED_AT_MS }), CELL);
    const b = toInvoiceRecord(stageMessage('ingestion', event, { receivedAtMs: RECEIVED_AT_MS + 1 }), CELL);

    // Assess
    expect(b.measures.receivedAtMs).not.toBe(a.measures.receivedAtMs);
    expect(b.dimensions).toEqual(a.dimensions);
    expect(b.timeMs).toBe(a.timeMs);
  });

  it('throws a RecordError for an occurredAt that is not a time', () => {
    // Prepare
    const message = stageMessage('ingestion', eventFor('ingestion', { occurredAt: 'yesterday' }));

    // Act
    const act = () => toInvoiceRecord(message, CELL);

    // Assess
    expect(act).toThrow(RecordError);
    expect(act).toThrow('occurredAt "yesterday"');
  });
});
