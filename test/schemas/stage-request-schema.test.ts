import AjvDraft04Module from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY, type StageName } from '../../cells/topology.js';
import { CURRENCY_CODES } from '../../schemas/currencies.js';
import { readExampleEvent } from '../../schemas/files.js';
import {
  type JsonSchema,
  STAGE_SCHEMA_FILES,
  stageEventSchema,
  stageRequestSchema,
} from '../../schemas/index.js';

const MAX_EVENTS = CELL_TOPOLOGY.settings.maxEventsPerRequest;
const stages = CELL_TOPOLOGY.stages.map((s) => s.name);
const DRAFT_04 = 'http://json-schema.org/draft-04/schema#';

/**
 * The draft-04 keywords. API Gateway models are draft-04: later keywords (`$id`, `const`,
 * `if`/`then`/`else`, `contains`, `propertyNames`, `examples`, `$defs`, numeric
 * `exclusiveMinimum`, ...) are rejected by it or silently not enforced, so none may appear.
 */
const DRAFT_04_KEYWORDS = new Set([
  '$schema',
  'title',
  'description',
  'default',
  'type',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'patternProperties',
  'items',
  'additionalItems',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minProperties',
  'maxProperties',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'definitions',
  'dependencies',
]);

/** Every draft-04 violation in `schema`, as `path: problem`, walking only schema positions. */
function draft04Violations(schema: unknown, path = '#'): string[] {
  if (typeof schema === 'boolean') return [`${path}: boolean schemas are draft-06+`];
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    return [`${path}: not a schema object`];
  }
  const s = schema as JsonSchema;
  const problems: string[] = [];
  for (const key of Object.keys(s)) {
    if (!DRAFT_04_KEYWORDS.has(key)) problems.push(`${path}: keyword "${key}" is not draft-04`);
  }
  if ('$schema' in s && (path !== '#' || s.$schema !== DRAFT_04)) {
    problems.push(`${path}: $schema must be ${DRAFT_04}, and only at the root`);
  }
  for (const key of ['exclusiveMinimum', 'exclusiveMaximum']) {
    if (key in s && typeof s[key] !== 'boolean')
      problems.push(`${path}: ${key} must be a boolean in draft-04`);
  }
  for (const key of ['properties', 'patternProperties', 'definitions'] as const) {
    for (const [name, sub] of Object.entries(s[key] ?? {})) {
      problems.push(...draft04Violations(sub, `${path}/${key}/${name}`));
    }
  }
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    (s[key] ?? []).forEach((sub: unknown, i: number) => {
      problems.push(...draft04Violations(sub, `${path}/${key}/${i}`));
    });
  }
  for (const key of ['not', 'additionalProperties', 'additionalItems', 'items'] as const) {
    const sub = s[key];
    if (sub === undefined || typeof sub === 'boolean') continue; // booleans are fine here in draft-04
    if (Array.isArray(sub)) {
      sub.forEach((x, i) => {
        problems.push(...draft04Violations(x, `${path}/${key}/${i}`));
      });
    } else problems.push(...draft04Violations(sub, `${path}/${key}`));
  }
  return problems;
}

const AjvDraft04 = AjvDraft04Module.default;
function compileForGateway(stage: StageName) {
  // strict: every keyword must be known to a draft-04 validator; formats are not checked by the gateway.
  const ajv = new AjvDraft04({ allErrors: true, strict: true, strictTypes: false, validateFormats: false });
  return ajv.compile(stageRequestSchema(stage, MAX_EVENTS));
}

function example(stage: StageName): Record<string, unknown> {
  return readExampleEvent(stage);
}

describe('stageRequestSchema', () => {
  it.each(stages)('uses only draft-04 keywords for %s', (stage) => {
    // Act
    const problems = [
      ...draft04Violations(stageRequestSchema(stage, MAX_EVENTS)),
      ...draft04Violations(stageEventSchema(stage)),
      ...draft04Violations(STAGE_SCHEMA_FILES[stage]),
    ];

    // Assess
    expect(problems).toEqual([]);
  });

  it('detects a keyword that is not draft-04 (the check can fail)', () => {
    // Assess
    expect(
      draft04Violations({
        $id: 'x',
        properties: { a: { const: 1 }, b: { exclusiveMinimum: 0 } },
        anyOf: [{ if: {} }],
      }),
    ).toEqual([
      '#: keyword "$id" is not draft-04',
      '#/properties/a: keyword "const" is not draft-04',
      '#/properties/b: exclusiveMinimum must be a boolean in draft-04',
      '#/anyOf/0: keyword "if" is not draft-04',
    ]);
  });

  it.each(stages)(
    'compiles with ajv-draft-04 and accepts the %s example alone and in a full batch',
    (stage) => {
      // Prepare
      const validate = compileForGateway(stage);
      const events = Array.from({ length: MAX_EVENTS }, (_, i) => ({
        ...example(stage),
        eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      }));

      // Act
      const single = validate(example(stage));
      const batch = validate({ events });

      // Assess
      expect(validate.errors ?? []).toEqual([]);
      expect(single).toBe(true);
      expect(batch).toBe(true);
    },
  );

  it('rejects a batch larger than the PutEvents limit', () => {
    // Prepare
    const validate = compileForGateway('ingestion');
    const events = Array.from({ length: MAX_EVENTS + 1 }, () => example('ingestion'));

    // Act
    const accepted = validate({ events });

    // Assess
    expect(accepted).toBe(false);
  });

  it.each([
    { value: '10.005', currency: 'USD', accepted: false },
    { value: '10.05', currency: 'USD', accepted: true },
    { value: '1500.5', currency: 'JPY', accepted: false },
    { value: '1500', currency: 'JPY', accepted: true },
    { value: '10.005', currency: 'BHD', accepted: true },
    { value: '10.0005', currency: 'BHD', accepted: false },
  ])('bounds decimals by currency exponent at the edge: $value $currency accepted=$accepted', (amount) => {
    // Prepare
    const validate = compileForGateway('ingestion');
    const body = { ...example('ingestion'), amount: { value: amount.value, currency: amount.currency } };

    // Act
    const accepted = validate(body);

    // Assess
    expect(accepted).toBe(amount.accepted);
  });

  it('puts every currency code in exactly one exponent group', () => {
    // Prepare
    const schema = stageRequestSchema('ingestion', MAX_EVENTS);
    const groups = schema.oneOf[0].properties.amount.anyOf as JsonSchema[];

    // Act
    const codes = groups.flatMap((g) => g.properties.currency.enum as string[]);

    // Assess
    expect(codes.sort()).toEqual([...CURRENCY_CODES].sort());
  });
});
