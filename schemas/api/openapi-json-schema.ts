/**
 * Draft-04 → JSON Schema 2020-12, the dialect of OpenAPI 3.1 Schema Objects. The event schemas
 * (`schemas/*.schema.json`) are draft-04 because API Gateway models require it; today they use no
 * draft-04-only keyword at all (only `$schema` differs), but this keeps the OpenAPI document right
 * if one appears:
 * - `$schema` is dropped: inside an OpenAPI 3.1 document the dialect is the document's
 *   (2020-12), and a draft-04 `$schema` would switch validators back to draft-04;
 * - `id` → `$id`; `definitions` → `$defs` and `#/definitions/…` refs → `#/$defs/…`;
 * - boolean `exclusiveMinimum`/`exclusiveMaximum` (modifiers of `minimum`/`maximum`) → numbers;
 * - `items: [...]` → `prefixItems`, with `additionalItems` → `items`;
 * - `dependencies` → `dependentRequired` (arrays) and `dependentSchemas` (schemas).
 * Only schema positions are rewritten: a *property* named `id` or `definitions` stays as it is.
 *
 * @example
 * const schema = toJsonSchema2020({ $schema: 'http://json-schema.org/draft-04/schema#', minimum: 0, exclusiveMinimum: true });
 * // { exclusiveMinimum: 0 }
 */

type Node = Record<string, unknown>;

/** Keywords whose value is a map of name → schema. */
const SCHEMA_MAPS = ['properties', 'patternProperties', 'definitions'] as const;
/** Keywords whose value is a list of schemas. */
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf'] as const;
/** Keywords whose value is one schema (or, for the two `additional*`, a boolean). */
const SCHEMA_SINGLES = ['not', 'additionalProperties', 'additionalItems'] as const;

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function convertMap(map: unknown): unknown {
  if (!isNode(map)) return map;
  return Object.fromEntries(Object.entries(map).map(([name, schema]) => [name, toJsonSchema2020(schema)]));
}

/** Boolean `exclusiveMinimum: true` + `minimum: n` → `exclusiveMinimum: n` (same for maximum). */
function convertExclusiveBounds(out: Node): void {
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof out[exclusive] !== 'boolean') continue;
    if (out[exclusive] === true && typeof out[bound] === 'number') {
      out[exclusive] = out[bound];
      delete out[bound];
    } else delete out[exclusive];
  }
}

/** Tuple `items` and `dependencies`, whose 2020-12 spelling depends on the value's shape. */
function convertShapeDependent(out: Node): void {
  if (Array.isArray(out.items)) {
    out.prefixItems = out.items;
    if ('additionalItems' in out) out.items = out.additionalItems;
    else delete out.items;
    delete out.additionalItems;
  }
  if (isNode(out.dependencies)) {
    const entries = Object.entries(out.dependencies);
    const required = entries.filter(([, v]) => Array.isArray(v));
    const schemas = entries.filter(([, v]) => !Array.isArray(v));
    if (required.length > 0) out.dependentRequired = Object.fromEntries(required);
    if (schemas.length > 0) out.dependentSchemas = Object.fromEntries(schemas);
    delete out.dependencies;
  }
}

/**
 * A 2020-12 copy of draft-04 `schema` (see the module comment); pure, the input is not changed.
 * A `$ref` into `#/definitions` is rewritten to `#/$defs`; note that a schema embedded in an
 * OpenAPI document resolves `#/…` against the document unless it carries an `$id`.
 */
export function toJsonSchema2020(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema2020);
  if (!isNode(schema)) return schema;
  const { $schema: _dialect, id, ...rest } = schema;
  const out: Node = { ...rest };
  if (typeof id === 'string' && !('$id' in out)) out.$id = id;
  else if (id !== undefined) out.id = id;
  for (const key of SCHEMA_MAPS) if (key in out) out[key] = convertMap(out[key]);
  for (const key of SCHEMA_LISTS) if (Array.isArray(out[key])) out[key] = out[key].map(toJsonSchema2020);
  for (const key of SCHEMA_SINGLES) if (isNode(out[key])) out[key] = toJsonSchema2020(out[key]);
  if (isNode(out.items) || Array.isArray(out.items)) out.items = toJsonSchema2020(out.items);
  if (isNode(out.dependencies)) out.dependencies = convertMap(out.dependencies);
  if ('definitions' in out) {
    out.$defs = out.definitions;
    delete out.definitions;
  }
  if (typeof out.$ref === 'string') out.$ref = out.$ref.replace(/^#\/definitions\//, '#/$defs/');
  convertExclusiveBounds(out);
  convertShapeDependent(out);
  return out;
}
