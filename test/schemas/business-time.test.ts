import { describe, expect, it } from 'vitest';
import { businessTimeWindow } from '../../cells/business-time.js';
import { CELL_TOPOLOGY } from '../../cells/topology.js';
import { businessTimeProblem } from '../../schemas/business-time.js';
import envelope from '../../schemas/envelope.schema.json' with { type: 'json' };
import { readExampleEvent } from '../../schemas/files.js';
import { validateEvent, validateRequestBody } from '../../schemas/index.js';
import { isoFromMs, isRfc3339 } from '../../schemas/time.js';

const RECEIVED_MS = Date.parse('2026-11-29T20:40:00Z');
const WINDOW = { maxFutureSkewMs: 300_000, maxAgeMs: 1825 * 86_400_000 };
const EXPECTED_WINDOW =
  'must be between 2021-11-30T20:40:00.000Z and 2026-11-29T20:45:00.000Z ' +
  '(at most 300 s ahead of the time the cell received it, at most 1825 days old)';

function ingestionAt(occurredAt: string): Record<string, unknown> {
  return { ...readExampleEvent('ingestion'), occurredAt };
}

describe('businessTimeProblem', () => {
  it('accepts an occurredAt exactly at the future skew', () => {
    // Act
    const problem = businessTimeProblem(isoFromMs(RECEIVED_MS + 300_000), RECEIVED_MS, WINDOW);

    // Assess
    expect(problem).toBeUndefined();
  });

  it('refuses an occurredAt 1 ms beyond the future skew, naming the window in RFC 3339 UTC', () => {
    // Act
    const problem = businessTimeProblem(isoFromMs(RECEIVED_MS + 300_001), RECEIVED_MS, WINDOW);

    // Assess
    expect(problem).toBe(EXPECTED_WINDOW);
  });

  it('accepts an occurredAt exactly the maximum age old', () => {
    // Act
    const problem = businessTimeProblem(isoFromMs(RECEIVED_MS - WINDOW.maxAgeMs), RECEIVED_MS, WINDOW);

    // Assess
    expect(problem).toBeUndefined();
  });

  it('refuses an occurredAt 1 ms older than the maximum age', () => {
    // Act
    const problem = businessTimeProblem(isoFromMs(RECEIVED_MS - WINDOW.maxAgeMs - 1), RECEIVED_MS, WINDOW);

    // Assess
    expect(problem).toBe(EXPECTED_WINDOW);
  });

  it('compares instants, honouring the offset of occurredAt', () => {
    // Act: 21:44:59+01:00 is 20:44:59Z, inside; 22:45:01+02:00 is 20:45:01Z, outside.
    const inside = businessTimeProblem('2026-11-29T21:44:59+01:00', RECEIVED_MS, WINDOW);
    const outside = businessTimeProblem('2026-11-29T22:45:01+02:00', RECEIVED_MS, WINDOW);

    // Assess
    expect(inside).toBeUndefined();
    expect(outside).toBe(EXPECTED_WINDOW);
  });

  it('names the rule for a text that is not an RFC 3339 date-time', () => {
    // Act
    const problem = businessTimeProblem('yesterday', RECEIVED_MS, WINDOW);

    // Assess
    expect(problem).toBe('must be an RFC 3339 date-time with a time zone');
  });
});

describe('validateRequestBody with a business-time window', () => {
  const check = { window: businessTimeWindow(CELL_TOPOLOGY.settings), referenceMs: RECEIVED_MS };
  const maxEvents = CELL_TOPOLOGY.settings.maxEventsPerRequest;

  it('refuses an event an hour ahead, naming /occurredAt and the window', () => {
    // Act
    const result = validateRequestBody('ingestion', ingestionAt('2026-11-29T21:40:00Z'), maxEvents, check);

    // Assess
    expect(result).toEqual({ ok: false, errors: [{ path: '/occurredAt', message: EXPECTED_WINDOW }] });
  });

  it.each(['9999-11-20T09:15:00Z', '1969-12-31T23:59:59Z'])(
    'names the window, not only the year bound, for %s',
    (occurredAt) => {
      // Act
      const result = validateRequestBody('ingestion', ingestionAt(occurredAt), maxEvents, check);

      // Assess
      expect(result).toEqual({ ok: false, errors: [{ path: '/occurredAt', message: EXPECTED_WINDOW }] });
    },
  );

  it('names the batch entry whose occurredAt is outside the window', () => {
    // Prepare
    const inside = ingestionAt('2026-11-29T20:39:00Z');
    const outside = {
      ...ingestionAt('2031-01-01T00:00:00Z'),
      eventId: '0f8e7c4a-2b1d-4c3e-9a5f-6d7e8f9a0b99',
    };

    // Act
    const result = validateRequestBody('ingestion', { events: [inside, outside] }, maxEvents, check);

    // Assess
    expect(result).toEqual({
      ok: false,
      errors: [{ path: '/events/1/occurredAt', message: EXPECTED_WINDOW }],
    });
  });

  it('keeps the format message for an occurredAt that is not a time at all', () => {
    // Act
    const errors = validateEvent('ingestion', ingestionAt('2026-11-20 09:15'), '', check);

    // Assess
    expect(errors).toEqual([{ path: '/occurredAt', message: expect.stringContaining('RFC 3339') }]);
    expect(errors[0]?.message).not.toContain('must be between');
  });

  it('checks only the schema (with its year bound) when no window is given', () => {
    // Act
    const far = validateEvent('ingestion', ingestionAt('2098-01-01T00:00:00Z'));
    const beyond = validateEvent('ingestion', ingestionAt('2100-01-01T00:00:00Z'));

    // Assess
    expect(far).toEqual([]);
    expect(beyond).toEqual([{ path: '/occurredAt', message: expect.stringContaining('1970 to 2099') }]);
  });
});

describe('the occurredAt pattern of the envelope', () => {
  const pattern = new RegExp(envelope.properties.occurredAt.pattern);

  it.each([
    ['2026-11-20T09:15:00Z', true],
    ['2026-11-20t09:15:00.123456789z', true],
    ['1970-01-01T00:00:00+00:00', true],
    ['2099-12-31T23:59:59-05:00', true],
    ['1969-12-31T23:59:59Z', false],
    ['2100-01-01T00:00:00Z', false],
    ['9999-11-20T09:15:00Z', false],
    ['2026-11-20T09:15:00', false],
    ['2026-11-20 09:15:00Z', false],
  ])('agrees with schemas/time.ts within 1970-2099: %s → %s', (text, expected) => {
    // Act
    const year = Number(text.slice(0, 4));
    const timeTs = isRfc3339(text) && year >= 1970 && year <= 2099;

    // Assess
    expect(pattern.test(text)).toBe(expected);
    expect(timeTs).toBe(expected);
  });
});
