import type { TSchema } from 'typebox';
import type { CellTopology, StageTopology } from '../../cells/topology.js';
import { type JsonSchema, stageRequestSchema } from '../index.js';
import { ErrorAnswerSchema } from './errors.js';
import { IngestAnswerSchema } from './ingest.js';
import { LOCAL_CELL_ROUTES } from './local-cell-routes.js';
import { toJsonSchema2020 } from './openapi-json-schema.js';

/**
 * The OpenAPI 3.1 description of the ingest API (`POST /invoices/{stage}`), generated from the
 * contract so that it cannot drift: the request bodies are the per-stage request schemas API
 * Gateway validates with (`stageRequestSchema`, draft-04 converted to 2020-12), the answers are
 * the local cell's route table (`LOCAL_CELL_ROUTES.ingest.response`: `IngestAnswerSchema`,
 * `ErrorAnswerSchema`). The local cell serves it at `GET /openapi.json`; `cdk synth` writes it
 * beside the templates (`stacks/openapi-artifact.ts`).
 *
 * One path per stage (not a `{stage}` parameter) because each stage has its own body schema.
 * Security: on AWS every method needs IAM (SigV4) and an API key (usage plan metering), both at
 * once; the local cell needs the API key only.
 *
 * @example
 * const document = buildIngestOpenApi(CELL_TOPOLOGY, { target: 'local' });
 * document.paths['/invoices/ingestion'].post.requestBody;
 */

/** Where the described API runs: API Gateway (`aws`) or the local cell (`local`). */
export type OpenApiTarget = 'aws' | 'local';

export interface IngestOpenApiOptions {
  readonly target: OpenApiTarget;
  /** `info.version`; default {@link INGEST_API_VERSION}. */
  readonly version?: string;
  /** `servers`; default none (clients resolve paths against the URL they fetched it from). */
  readonly servers?: readonly { readonly url: string; readonly description?: string }[];
}

/** The version of the ingest API's contract (`info.version`). */
export const INGEST_API_VERSION = '1.0.0';

/** The security scheme names of the document, as `as const` so tests and clients name them. */
export const OPENAPI_SECURITY = { apiKey: 'apiKey', sigv4: 'sigv4' } as const;

/** An OpenAPI document (plain JSON; the tests validate it against the OpenAPI 3.1 schema). */
export type OpenApiDocument = JsonSchema & {
  readonly openapi: string;
  readonly paths: Record<string, { readonly post: JsonSchema }>;
  readonly components: {
    readonly schemas: Record<string, JsonSchema>;
    readonly securitySchemes: Record<string, JsonSchema>;
  };
};

/**
 * Both schemes are `apiKey`-type header schemes. SigV4 is spelled the way API Gateway's own
 * OpenAPI exports spell IAM authorization: an `apiKey` scheme on `Authorization` with
 * `x-amazon-apigateway-authtype: awsSigv4`
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-authtype.html).
 */
const SECURITY_SCHEMES = {
  [OPENAPI_SECURITY.apiKey]: {
    type: 'apiKey',
    in: 'header',
    name: 'x-api-key',
    description:
      'A producer API key. On AWS it meters and throttles through the usage plan; the local cell checks it and throttles per key (429 with Retry-After).',
  },
  [OPENAPI_SECURITY.sigv4]: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    'x-amazon-apigateway-authtype': 'awsSigv4',
    description: 'AWS Signature Version 4 (IAM authorization, service execute-api). AWS only.',
  },
} as const;

/** Who may call, per target: on AWS both schemes together (one requirement object = AND). */
const SECURITY: Readonly<Record<OpenApiTarget, readonly Record<string, readonly string[]>[]>> = {
  aws: [{ [OPENAPI_SECURITY.sigv4]: [], [OPENAPI_SECURITY.apiKey]: [] }],
  local: [{ [OPENAPI_SECURITY.apiKey]: [] }],
};

/** Component names of the contract's answer schemas; any other schema is inlined. */
const NAMED_ANSWERS: ReadonlyMap<TSchema, string> = new Map<TSchema, string>([
  [IngestAnswerSchema, 'IngestAnswer'],
  [ErrorAnswerSchema, 'ErrorAnswer'],
]);

const STATUS_DESCRIPTIONS: Readonly<Record<string, string>> = {
  '200':
    'Every event was accepted or is a duplicate of one already stored; one entry per event, in request order.',
  '409': 'Some event failed: the same body as 200; retry only the failed entries.',
  '502':
    'Some event failed: the same body as 200, the other events were stored. Retry the failed entries, unless their errorCode is EventIdConflict (no retry can fix that).',
  '4XX':
    'Refused before anything was stored: invalid body (400, with `errors` naming the fields), missing or unknown API key (401/403), unknown stage (404), unsupported media type (415), too large (413), throttled (429, Retry-After).',
  '5XX':
    'Nothing stored; retry the whole request (503, with Retry-After on the local cell, while the cell starts, drains or cannot take the events).',
};

/** A JSON copy of a TypeBox schema (TypeBox's `~kind` markers are not enumerable, so they drop). */
function plainSchema(schema: TSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema)) as JsonSchema;
}

/** OpenAPI's status key: fastify's `4xx` is OpenAPI's `4XX`. */
function openApiStatus(status: string): string {
  return status.replace(/xx$/, 'XX');
}

function answerSchemaRef(schema: TSchema): JsonSchema {
  const name = NAMED_ANSWERS.get(schema);
  return name ? { $ref: `#/components/schemas/${name}` } : plainSchema(schema);
}

/** The ingest route's responses, from the route table (exact codes first, then ranges). */
function ingestResponses(): JsonSchema {
  const entries = Object.entries(LOCAL_CELL_ROUTES.ingest.response as Readonly<Record<string, TSchema>>);
  const responses: JsonSchema = {};
  for (const [status, schema] of entries.sort(([a], [b]) => a.localeCompare(b))) {
    const key = openApiStatus(status);
    responses[key] = {
      description: STATUS_DESCRIPTIONS[key] ?? `HTTP ${key}`,
      content: { 'application/json': { schema: answerSchemaRef(schema) } },
    };
  }
  return responses;
}

function requestComponentName(stage: StageTopology): string {
  return `${stage.title}Request`;
}

function ingestOperation(stage: StageTopology, maxEvents: number, responses: JsonSchema): JsonSchema {
  return {
    operationId: `ingest${stage.title}Events`,
    summary: `Submit ${stage.name} events`,
    description:
      `One ${stage.name} event, or \`{"events": [...]}\` with 1 to ${maxEvents} events (all or nothing: ` +
      'one invalid event refuses the request). `eventId` is the idempotency key: resending an event is harmless.',
    tags: ['ingest'],
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: { $ref: `#/components/schemas/${requestComponentName(stage)}` } },
      },
    },
    responses,
  };
}

/**
 * The OpenAPI 3.1 document of the ingest API of a cell with `topology`. Pure: a fresh object per
 * call, the same JSON for the same input.
 *
 * @example
 * writeFileSync('ingest.openapi.json', JSON.stringify(buildIngestOpenApi(topology, { target: 'aws' }), null, 2));
 */
export function buildIngestOpenApi(topology: CellTopology, options: IngestOpenApiOptions): OpenApiDocument {
  const maxEvents = topology.settings.maxEventsPerRequest;
  const responses = ingestResponses();
  const paths: OpenApiDocument['paths'] = {};
  const schemas: Record<string, JsonSchema> = {};
  for (const stage of topology.stages) {
    paths[stage.routePath] = { post: ingestOperation(stage, maxEvents, responses) };
    schemas[requestComponentName(stage)] = toJsonSchema2020(
      stageRequestSchema(stage.name, maxEvents),
    ) as JsonSchema;
  }
  for (const [schema, name] of NAMED_ANSWERS) schemas[name] = plainSchema(schema);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Invoice ingest API',
      version: options.version ?? INGEST_API_VERSION,
      description:
        options.target === 'aws'
          ? 'The ingest API of an invoice cell on AWS (API Gateway → EventBridge). Requests need IAM (SigV4) and a producer API key.'
          : 'The ingest API of the local invoice cell. Writes need a producer API key.',
    },
    ...(options.servers ? { servers: options.servers.map((s) => ({ ...s })) } : {}),
    security: SECURITY[options.target].map((requirement) => ({ ...requirement })),
    tags: [{ name: 'ingest', description: 'Invoice lifecycle events, one route per stage.' }],
    paths,
    components: {
      schemas,
      securitySchemes: JSON.parse(JSON.stringify(SECURITY_SCHEMES)) as JsonSchema,
    },
  };
}
