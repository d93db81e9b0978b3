import { readdirSync, readFileSync } from 'node:fs';
import AjvDraft04Module from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY, isStageName, type StageName } from '../../cells/topology.js';
import { SCHEMAS_DIR } from '../../schemas/files.js';
import { stageRequestSchema, validateRequestBody } from '../../schemas/index.js';

const FIXTURES = new URL('fixtures/', SCHEMAS_DIR);
const MAX_EVENTS = CELL_TOPOLOGY.settings.maxEventsPerRequest;

interface InvalidFixture {
  readonly description: string;
  readonly stage: StageName;
  readonly body: unknown;
  readonly expectedErrors: readonly { readonly path: string; readonly messageIncludes: string }[];
  /** Whether the API Gateway request model (draft-04, no code) rejects it too. */
  readonly gatewayRejects: boolean;
}

function readJson(dir: string, file: string): unknown {
  return JSON.parse(readFileSync(new URL(`${dir}/${file}`, FIXTURES), 'utf8'));
}

const validFixtures = readdirSync(new URL('valid', FIXTURES))
  .filter((f) => f.endsWith('.json'))
  .map((file) => {
    const stage = file.slice(0, file.indexOf('-'));
    if (!isStageName(stage)) throw new Error(`valid fixture ${file} does not start with a stage name`);
    return { file, stage, body: readJson('valid', file) };
  });

const invalidFixtures = readdirSync(new URL('invalid', FIXTURES))
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, ...(readJson('invalid', file) as InvalidFixture) }));

const AjvDraft04 = AjvDraft04Module.default;
/**
 * A stand-in for API Gateway's request validator: draft-04, the same model the CellStack deploys,
 * formats not checked (the conservative assumption about what the gateway enforces).
 */
const gatewayAjv = new AjvDraft04({ allErrors: true, strict: false, validateFormats: false });
const gatewayValidators = new Map(
  CELL_TOPOLOGY.stages.map((s) => [s.name, gatewayAjv.compile(stageRequestSchema(s.name, MAX_EVENTS))]),
);
function gatewayValidate(stage: StageName, body: unknown): boolean {
  const validate = gatewayValidators.get(stage);
  if (!validate) throw new Error(`no gateway model for ${stage}`);
  return validate(body);
}

describe('event contract fixtures', () => {
  it('has at least 4 valid and 15 invalid fixtures, with a valid one for every stage', () => {
    // Assess
    expect(validFixtures.length).toBeGreaterThanOrEqual(4);
    expect(invalidFixtures.length).toBeGreaterThanOrEqual(15);
    expect(new Set(validFixtures.map((f) => f.stage))).toEqual(
      new Set(CELL_TOPOLOGY.stages.map((s) => s.name)),
    );
  });

  describe('valid', () => {
    it.each(validFixtures)('accepts $file', ({ stage, body }) => {
      // Act
      const result = validateRequestBody(stage, body, MAX_EVENTS);

      // Assess
      expect(result.ok ? [] : result.errors).toEqual([]);
      expect(gatewayValidate(stage, body)).toBe(true);
    });
  });

  describe('invalid', () => {
    it.each(invalidFixtures)('rejects $file naming exactly the offending fields', (fixture) => {
      // Act
      const result = validateRequestBody(fixture.stage, fixture.body, MAX_EVENTS);

      // Assess
      expect(result.ok).toBe(false);
      const errors = result.ok ? [] : result.errors;
      expect(new Set(errors.map((e) => e.path))).toEqual(new Set(fixture.expectedErrors.map((e) => e.path)));
      for (const expected of fixture.expectedErrors) {
        expect(errors).toContainEqual(
          expect.objectContaining({
            path: expected.path,
            message: expect.stringContaining(expected.messageIncludes),
          }),
        );
      }
    });

    it.each(invalidFixtures)('agrees with the API Gateway model on $file', (fixture) => {
      // Act
      const accepted = gatewayValidate(fixture.stage, fixture.body);

      // Assess
      expect(accepted).toBe(!fixture.gatewayRejects);
    });
  });
});
