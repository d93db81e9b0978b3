/**
 * The contract of the local cell's HTTP API: for every answer a TypeBox schema (plain JSON
 * Schema at runtime, which fastify's serializer and ajv take) and its static type beside it,
 * `<Thing>AnswerSchema` / `<Thing>Answer`, plus {@link LOCAL_CELL_ROUTES}. The server serialises
 * with the schemas; the web app (`import type` only) and the ops CLI read the types. Nobody
 * re-types or guesses a field.
 *
 * @example
 * import type { StuckAnswer } from '../../schemas/api/index.js';
 * const stuck = (await (await fetch(`${url}/stuck`)).json()) as StuckAnswer;
 */
export * from './backup.js';
export * from './cell.js';
export * from './common.js';
export * from './dashboards.js';
export * from './errors.js';
export * from './ingest.js';
export * from './invoices.js';
export * from './keys.js';
export * from './local-cell-routes.js';
export * from './monitoring.js';
export * from './ops.js';
export * from './reports.js';
export * from './route-access.js';
export * from './subscriber-delivery.js';
export * from './subscribers.js';
