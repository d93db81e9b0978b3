import { describe, expect, it } from 'vitest';
import { STAGE_NAMES } from '../../../cells/topology.js';
import { toJsonSchema2020 } from '../../../schemas/api/openapi-json-schema.js';
import { stageRequestSchema } from '../../../schemas/index.js';

/** Draft-04 → 2020-12: each rewritten keyword, schema positions only, and the real event schemas. */

const DRAFT_04 = 'http://json-schema.org/draft-04/schema#';

describe('toJsonSchema2020', () => {
  it('drops the draft-04 $schema and turns id into $id', () => {
    expect(toJsonSchema2020({ $schema: DRAFT_04, id: 'urn:x', type: 'string' })).toEqual({
      $id: 'urn:x',
      type: 'string',
    });
  });

  it('turns boolean exclusive bounds into numeric ones and drops false ones', () => {
    const schema = { minimum: 0, exclusiveMinimum: true, maximum: 10, exclusiveMaximum: false };

    expect(toJsonSchema2020(schema)).toEqual({ exclusiveMinimum: 0, maximum: 10 });
  });

  it('moves definitions to $defs and rewrites the refs into them', () => {
    const schema = {
      definitions: { money: { type: 'string' } },
      properties: { amount: { $ref: '#/definitions/money' } },
    };

    expect(toJsonSchema2020(schema)).toEqual({
      $defs: { money: { type: 'string' } },
      properties: { amount: { $ref: '#/$defs/money' } },
    });
  });

  it('turns tuple items into prefixItems and additionalItems into items', () => {
    const schema = { type: 'array', items: [{ type: 'string' }, { type: 'number' }], additionalItems: false };

    expect(toJsonSchema2020(schema)).toEqual({
      type: 'array',
      prefixItems: [{ type: 'string' }, { type: 'number' }],
      items: false,
    });
  });

  it('splits dependencies into dependentRequired and dependentSchemas', () => {
    const schema = { dependencies: { a: ['b'], c: { required: ['d'] } } };

    expect(toJsonSchema2020(schema)).toEqual({
      dependentRequired: { a: ['b'] },
      dependentSchemas: { c: { required: ['d'] } },
    });
  });

  it('rewrites nested schemas but never a property that is merely named id or definitions', () => {
    const schema = {
      type: 'object',
      properties: {
        id: { type: 'string' },
        definitions: { type: 'object', properties: { id: { minimum: 1, exclusiveMinimum: true } } },
      },
      oneOf: [{ not: { id: 'urn:y' } }],
      additionalProperties: { type: 'array', items: { minimum: 0, exclusiveMinimum: true } },
    };

    expect(toJsonSchema2020(schema)).toEqual({
      type: 'object',
      properties: {
        id: { type: 'string' },
        definitions: { type: 'object', properties: { id: { exclusiveMinimum: 1 } } },
      },
      oneOf: [{ not: { $id: 'urn:y' } }],
      additionalProperties: { type: 'array', items: { exclusiveMinimum: 0 } },
    });
  });

  it('leaves its input unchanged', () => {
    const schema = { $schema: DRAFT_04, minimum: 0, exclusiveMinimum: true };
    const copy = structuredClone(schema);

    toJsonSchema2020(schema);

    expect(schema).toEqual(copy);
  });

  it('changes nothing in the stage request schemas but $schema: they use no draft-04-only keyword', () => {
    for (const stage of STAGE_NAMES) {
      const { $schema, ...rest } = stageRequestSchema(stage, 10);

      expect($schema, stage).toBe(DRAFT_04);
      expect(toJsonSchema2020(stageRequestSchema(stage, 10)), stage).toEqual(rest);
    }
  });
});
