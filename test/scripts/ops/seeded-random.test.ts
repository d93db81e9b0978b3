import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../scripts/ops/seeded-random.js';

describe('mulberry32', () => {
  it('returns the same sequence for the same seed and another for another seed', () => {
    // Prepare
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);

    // Act
    const seqA = Array.from({ length: 5 }, () => a());
    const seqB = Array.from({ length: 5 }, () => b());
    const seqC = Array.from({ length: 5 }, () => c());

    // Assess
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
    for (const x of seqA) expect(x >= 0 && x < 1).toBe(true);
  });
});
