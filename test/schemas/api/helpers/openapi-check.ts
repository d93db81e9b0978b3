import type { ValidateFunction } from 'ajv';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { OpenApiDocument } from '../../../../schemas/api/openapi.js';
import type { JsonSchema } from '../../../../schemas/index.js';

/**
 * Reads schemas out of an OpenAPI 3.1 document and checks values against them with ajv's
 * JSON Schema 2020-12 dialect (OpenAPI 3.1's own), so tests check answers and requests against
 * the document a client would read, not against the TypeScript sources it was made from.
 *
 * @example
 * const schema = responseSchemaIn(document, '/invoices/ingestion', 400);
 * expect(schemaProblems(schema, body)).toEqual([]);
 */

const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;
// strict: the document's schemas must be clean 2020-12 (no unknown keyword, no draft-04 leftover).
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validators = new WeakMap<JsonSchema, ValidateFunction>();

/** `schema`, or the component it names with `$ref: '#/components/schemas/<name>'`. */
export function resolveSchema(document: OpenApiDocument, schema: JsonSchema): JsonSchema {
  const ref = schema.$ref as string | undefined;
  if (ref === undefined) return schema;
  const name = /^#\/components\/schemas\/([^/]+)$/.exec(ref)?.[1];
  const target = name === undefined ? undefined : document.components.schemas[name];
  if (!target) throw new Error(`unresolvable $ref ${ref}`);
  return target;
}

/** The POST operation of `path`; throws when the document has none. */
export function operationIn(document: OpenApiDocument, path: string): JsonSchema {
  const operation = document.paths[path]?.post;
  if (!operation) throw new Error(`the document has no POST ${path}`);
  return operation;
}

/**
 * The JSON schema of the answer of `POST path` with `status`: the exact code, else its range
 * (`4XX`), as OpenAPI resolves them; undefined when the document lists neither.
 */
export function responseSchemaIn(
  document: OpenApiDocument,
  path: string,
  status: number,
): JsonSchema | undefined {
  const responses = operationIn(document, path).responses as Record<string, JsonSchema>;
  const response = responses[String(status)] ?? responses[`${String(status).charAt(0)}XX`];
  const schema = response?.content?.['application/json']?.schema as JsonSchema | undefined;
  return schema === undefined ? undefined : resolveSchema(document, schema);
}

/** The request body schema of `POST path`. */
export function requestSchemaIn(document: OpenApiDocument, path: string): JsonSchema {
  const body = operationIn(document, path).requestBody as JsonSchema;
  return resolveSchema(document, body.content['application/json'].schema as JsonSchema);
}

/** ajv 2020's complaints about `value` under `schema` ([] when it conforms). */
export function schemaProblems(schema: JsonSchema, value: unknown): string[] {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(schema, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '(root)'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`,
  );
}
