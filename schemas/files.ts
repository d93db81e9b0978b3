import fs from 'node:fs';

/**
 * Where the contract's files live, resolved from this module (so callers in any folder, and the
 * tests, never count `../` segments): the schema documents and one example event per stage.
 *
 * @example
 * const event = readExampleEvent('ingestion');
 */
export const SCHEMAS_DIR = new URL('./', import.meta.url);

/** The example event of a stage (`schemas/examples/<stage>.json`), parsed. */
export function readExampleEvent(stage: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(new URL(`examples/${stage}.json`, SCHEMAS_DIR), 'utf8'));
}

/** The parts of a stage schema document that callers read; the rest stays untyped JSON. */
export interface StageSchemaDocument {
  readonly properties?: Readonly<Record<string, { readonly enum?: readonly unknown[] } | undefined>>;
  readonly [key: string]: unknown;
}

/** The raw schema document of a stage (`schemas/<stage>.schema.json`), parsed. */
export function readStageSchemaFile(stage: string): StageSchemaDocument {
  return JSON.parse(fs.readFileSync(new URL(`${stage}.schema.json`, SCHEMAS_DIR), 'utf8'));
}
