import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../cells/topology.js';
import { SCHEMAS_DIR } from '../../schemas/files.js';
import { STAGE_SCHEMA_FILES, validateEvent } from '../../schemas/index.js';

const SCHEMAS = SCHEMAS_DIR;
const stages = CELL_TOPOLOGY.stages.map((s) => s.name);

describe('stage schemas', () => {
  it.each(stages)('has a draft-04 schema file registered for %s', (stage) => {
    // Prepare
    const file = new URL(`${stage}.schema.json`, SCHEMAS);

    // Act
    const onDisk = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

    // Assess
    expect(STAGE_SCHEMA_FILES[stage]).toEqual(onDisk);
    expect(onDisk.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(onDisk).toHaveProperty('properties.status.enum');
  });

  it.each(stages)('has a valid example for %s', (stage) => {
    // Prepare
    const file = new URL(`examples/${stage}.json`, SCHEMAS);
    expect(existsSync(file)).toBe(true);

    // Act
    const errors = validateEvent(stage, JSON.parse(readFileSync(file, 'utf8')));

    // Assess
    expect(errors).toEqual([]);
  });

  it('registers no schema for a stage the topology does not have', () => {
    // Assess
    expect(Object.keys(STAGE_SCHEMA_FILES).sort()).toEqual([...stages].sort());
  });
});
