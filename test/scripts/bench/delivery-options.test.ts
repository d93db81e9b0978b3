import { describe, expect, it } from 'vitest';
import { DeliveryOptionsError, parseDeliveryOptions } from '../../../scripts/bench/delivery-options.js';

describe('parseDeliveryOptions', () => {
  it('defaults to 20,000 events, 5 per invoice, no failures, 16 senders of 10, full sync', () => {
    expect(parseDeliveryOptions([])).toEqual({
      events: 20_000,
      eventsPerInvoice: 5,
      failRate: 0,
      senders: 16,
      batch: 10,
      drainTimeoutSec: 900,
      synchronous: 'full',
      seed: 1,
    });
  });

  it('reads every option', () => {
    // Act
    const options = parseDeliveryOptions([
      '--events',
      '500',
      '--events-per-invoice',
      '3',
      '--fail-rate',
      '0.05',
      '--senders',
      '4',
      '--batch',
      '1',
      '--drain-timeout-sec',
      '60',
      '--sync',
      'normal',
      '--seed',
      '7',
    ]);

    // Assess
    expect(options).toEqual({
      events: 500,
      eventsPerInvoice: 3,
      failRate: 0.05,
      senders: 4,
      batch: 1,
      drainTimeoutSec: 60,
      synchronous: 'normal',
      seed: 7,
    });
  });

  it('refuses values out of bounds, naming the option and the range', () => {
    expect(() => parseDeliveryOptions(['--events', '200001'])).toThrow(
      '--events must be an integer from 1 to 200000, got 200001',
    );
    expect(() => parseDeliveryOptions(['--events', '1.5'])).toThrow(
      '--events must be an integer from 1 to 200000, got "1.5"',
    );
    expect(() => parseDeliveryOptions(['--fail-rate', '0.6'])).toThrow(
      '--fail-rate must be a number from 0 to 0.5, got 0.6',
    );
    expect(() => parseDeliveryOptions(['--fail-rate', 'some'])).toThrow(
      '--fail-rate must be a number from 0 to 0.5, got "some"',
    );
    expect(() => parseDeliveryOptions(['--batch', '11'])).toThrow('--batch must be an integer from 1 to 10');
    expect(() => parseDeliveryOptions(['--sync', 'off'])).toThrow('--sync must be full or normal, got "off"');
  });

  it('refuses an unknown option or a positional argument', () => {
    expect(() => parseDeliveryOptions(['--event', '5'])).toThrow(DeliveryOptionsError);
    expect(() => parseDeliveryOptions(['--event', '5'])).toThrow(/--event/);
    expect(() => parseDeliveryOptions(['500'])).toThrow(DeliveryOptionsError);
  });
});
