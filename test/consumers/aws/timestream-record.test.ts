import { describe, expect, it } from 'vitest';
import { parseTimestreamTimestamp } from '../../../consumers/aws/timestream-record.js';

describe('parseTimestreamTimestamp', () => {
  it.each([
    ['2026-11-20 09:15:00.250000000', Date.UTC(2026, 10, 20, 9, 15, 0, 250)],
    ['2026-11-20 09:15:00.999999999', Date.UTC(2026, 10, 20, 9, 15, 0, 999)],
    ['2026-11-20 09:15:00', Date.UTC(2026, 10, 20, 9, 15, 0)],
    ['2026-11-20 09:15:00.5', Date.UTC(2026, 10, 20, 9, 15, 0, 500)],
  ])('parses %s', (text, expected) => {
    // Assess
    expect(parseTimestreamTimestamp(text)).toBe(expected);
  });

  it('refuses text that is not a Timestream timestamp', () => {
    // Assess
    expect(() => parseTimestreamTimestamp('2026-11-20T09:15:00Z')).toThrow('not a Timestream timestamp');
  });
});
