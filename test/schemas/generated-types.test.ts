import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_TYPES_PATH, renderTypes } from '../../scripts/gen-types.js';

describe('schemas/types.generated.ts', () => {
  it('matches what the schema files generate now (run `npm run gen:types` when this fails)', async () => {
    // Prepare
    const committed = readFileSync(GENERATED_TYPES_PATH, 'utf8');

    // Act
    const rendered = await renderTypes();

    // Assess
    expect(committed).toBe(rendered);
  });
});
