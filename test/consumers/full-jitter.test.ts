import { describe, expect, it } from 'vitest';
import { fullJitterMs } from '../../consumers/full-jitter.js';

describe('fullJitterMs', () => {
  it('doubles the bound per retry up to the cap and draws below it', () => {
    // Prepare
    const bounds = { baseMs: 100, capMs: 500 };

    // Act
    const highest = [1, 2, 3, 4, 10].map((retry) => fullJitterMs(bounds, retry, () => 0.999_999));
    const lowest = fullJitterMs(bounds, 3, () => 0);

    // Assess
    expect(highest).toEqual([99, 199, 399, 499, 499]);
    expect(lowest).toBe(0);
  });
});
