import type { TSchema } from 'typebox';
import { HealthAnswerSchema, StatsAnswerSchema } from './cell.js';
import { DashboardDataAnswerSchema, DashboardsAnswerSchema } from './dashboards.js';
import { ErrorAnswerSchema } from './errors.js';
import { IngestAnswerSchema } from './ingest.js';
import { TimelineAnswerSchema } from './invoices.js';
import {
  ApiKeySummarySchema,
  CreatedKeyAnswerSchema,
  KeysAnswerSchema,
  SessionAnswerSchema,
} from './keys.js';
import { AlarmsAnswerSchema, ReconcileAnswerSchema, StuckAnswerSchema } from './monitoring.js';
import {
  DlqAnswerSchema,
  FaultsAnswerSchema,
  RedriveDryRunAnswerSchema,
  RedriveStatusAnswerSchema,
  ReplayStatusAnswerSchema,
} from './ops.js';
import { ReportsAnswerSchema } from './reports.js';
import { SigningKeyAnswerSchema } from './subscriber-delivery.js';
import {
  SubscriberAckAnswerSchema,
  SubscriberMessagesAnswerSchema,
  SubscriberReceiveAnswerSchema,
} from './subscribers.js';

/**
 * Every route of the local cell with the schema of each answer by status: the server passes
 * `response` to fastify as `schema: { response }` (fastify serialises with it and drops what it
 * does not list), clients read the same types. Keys are fastify's: a status code, or `4xx`/`5xx`
 * for every other error (an exact code wins). Routes that answer text or assets (`/metrics`, `/`,
 * `/assets/{name}`) list only their JSON error answers.
 *
 * @example
 * const route = LOCAL_CELL_ROUTES.timeline;
 * app.route({ method: route.method, url: route.url, schema: { response: route.response }, handler });
 */

/** A fastify response map: status code (or `4xx`/`5xx`) → schema of the body. */
export type ResponseMap = Readonly<Record<string, TSchema>>;

/** One route of the contract. */
export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** fastify's URL pattern (`:param`). */
  readonly url: string;
  readonly response: ResponseMap;
}

/** The JSON error answers every route can give (auth, throttling, readiness, bad input, failures). */
export const ERROR_RESPONSES = { '4xx': ErrorAnswerSchema, '5xx': ErrorAnswerSchema } as const;

function route<const R extends ResponseMap>(
  method: ApiRoute['method'],
  url: string,
  response: R,
): {
  readonly method: ApiRoute['method'];
  readonly url: string;
  readonly response: R & typeof ERROR_RESPONSES;
} {
  return { method, url, response: { ...ERROR_RESPONSES, ...response } };
}

/** The local cell's routes, by name. */
export const LOCAL_CELL_ROUTES = {
  /** 502 carries the same body as 200: some entry `failed` (the AWS cell answers alike; see ingest.ts). */
  ingest: route('POST', '/invoices/:stage', { 200: IngestAnswerSchema, 502: IngestAnswerSchema }),
  timeline: route('GET', '/invoices/:invoiceId', { 200: TimelineAnswerSchema }),
  /** 503 (not ready) answers `{ status }`, not an error body. */
  health: route('GET', '/health', { 200: HealthAnswerSchema, 503: HealthAnswerSchema }),
  stats: route('GET', '/stats', { 200: StatsAnswerSchema }),
  /** 200 is Prometheus text (`text/plain; version=0.0.4`). */
  metrics: route('GET', '/metrics', {}),
  dlq: route('GET', '/dlq/:stage', { 200: DlqAnswerSchema }),
  /** 200 answers a dry run, 202 a started task; 409 (an error) while one runs. */
  redriveStart: route('POST', '/dlq/:stage/redrive', {
    200: RedriveDryRunAnswerSchema,
    202: RedriveStatusAnswerSchema,
  }),
  redriveStatus: route('GET', '/dlq/:stage/redrive', { 200: RedriveStatusAnswerSchema }),
  /** 200 answers a dry run, 202 a started replay; 409 (an error) for a name in use. */
  replayStart: route('POST', '/replays', { 200: ReplayStatusAnswerSchema, 202: ReplayStatusAnswerSchema }),
  replayStatus: route('GET', '/replays/:name', { 200: ReplayStatusAnswerSchema }),
  /** Only with `--enable-fault-injection`. */
  faultsSet: route('POST', '/admin/faults', { 200: FaultsAnswerSchema }),
  faultsClear: route('DELETE', '/admin/faults', { 200: FaultsAnswerSchema }),
  /** 200 is the backup itself, a SQLite file (`schemas/api/backup.ts`); 409 while one runs. */
  backup: route('POST', '/admin/backup', {}),
  subscriberMessages: route('GET', '/subscribers/:stage/:id/messages', {
    200: SubscriberMessagesAnswerSchema,
  }),
  /** SQS `ReceiveMessage` on a declared subscriber's queue; 200 with no messages when none is ready. */
  subscriberReceive: route('POST', '/subscribers/:stage/:id/receive', { 200: SubscriberReceiveAnswerSchema }),
  /** SQS `DeleteMessageBatch`: 200 with a result per receipt handle (a stale one is `failed`). */
  subscriberAck: route('POST', '/subscribers/:stage/:id/ack', { 200: SubscriberAckAnswerSchema }),
  /** The Ed25519 public key that verifies pushes to subscriber endpoints (`subscriber-delivery.ts`). */
  subscriberSigningKey: route('GET', '/subscribers/signing-key', { 200: SigningKeyAnswerSchema }),
  stuck: route('GET', '/stuck', { 200: StuckAnswerSchema }),
  reconcile: route('GET', '/reconcile', { 200: ReconcileAnswerSchema }),
  alarms: route('GET', '/alarms', { 200: AlarmsAnswerSchema }),
  dashboards: route('GET', '/dashboards', { 200: DashboardsAnswerSchema }),
  dashboardData: route('GET', '/dashboards/:view/data', { 200: DashboardDataAnswerSchema }),
  /** The stored monthly reports, newest month first (reports plugin; `schemas/api/reports.ts`). */
  reports: route('GET', '/reports', { 200: ReportsAnswerSchema }),
  /** 200 is the report file (`?format=html|json|csv`, json by default): stored, or generated on demand. */
  report: route('GET', '/reports/:month', {}),
  /** The web dashboard's HTML page (dashboard plugin). */
  webIndex: route('GET', '/', {}),
  /** The web dashboard's scripts and styles; 404 is a JSON error. */
  webAsset: route('GET', '/assets/:name', {}),
  /**
   * The ingest API's OpenAPI 3.1 document (`schemas/api/openapi.ts`). 200 is that JSON document,
   * listed without a schema on purpose: its schema is the OpenAPI 3.1 meta-schema, which
   * `test/schemas/api/openapi*.test.ts` checks it against; a TypeBox copy would be a weaker
   * duplicate, and fastify would re-serialise the whole document through it.
   */
  openapi: route('GET', '/openapi.json', {}),
  /** Key management (operator keys): 201 carries the new key's secret, the only answer that does. */
  keysCreate: route('POST', '/keys', { 201: CreatedKeyAnswerSchema }),
  keysList: route('GET', '/keys', { 200: KeysAnswerSchema }),
  /** `ref` is a key id or the name of a key that works; 200 is the revoked key. */
  keysRevoke: route('DELETE', '/keys/:ref', { 200: ApiKeySummarySchema }),
  /** The dashboard's sign-in page (HTML; signed in: who, and a sign-out button). */
  signinPage: route('GET', '/signin', {}),
  /** A form post answers 303 to the dashboard; a JSON post answers the session. */
  signin: route('POST', '/signin', { 200: SessionAnswerSchema }),
  /** A form post answers 303 to the sign-in page; a JSON post answers the ended session. */
  signout: route('POST', '/signout', { 200: SessionAnswerSchema }),
  session: route('GET', '/session', { 200: SessionAnswerSchema }),
} as const satisfies Record<string, ApiRoute>;

/** A route name of {@link LOCAL_CELL_ROUTES}. */
export type LocalCellRouteName = keyof typeof LOCAL_CELL_ROUTES;

/**
 * The schema of an answer of `route` with `status`: the exact code, else `4xx`/`5xx`; undefined
 * when the contract has none (a text answer).
 *
 * @example
 * const schema = responseSchemaOf(LOCAL_CELL_ROUTES.ingest, 502); // IngestAnswerSchema
 */
export function responseSchemaOf(route: ApiRoute, status: number): TSchema | undefined {
  return route.response[String(status)] ?? route.response[`${String(status).charAt(0)}xx`];
}
