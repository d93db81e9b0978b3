import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import { LOCAL_CELL_ROUTES, type LocalCellRouteName } from '../../../schemas/api/index.js';

/**
 * Registers a route of the HTTP contract (`schemas/api/local-cell-routes.ts`) with its method, URL
 * and `schema.response`: fastify serialises every answer with the contract's schema (a field the
 * schema does not list is dropped, so the contract tests in `test/schemas/api` guard it), and the
 * TypeBox type provider checks at compile time that a handler returns, or `reply.code(n).send`s,
 * exactly the contract's answer for that status.
 *
 * @example
 * contractApp(app).route({ ...contractRoute('stats'), handler: async () => deps.stats() });
 */

type Routes = typeof LOCAL_CELL_ROUTES;

/** A fastify instance whose route handlers are typed by the schemas they register. */
export type ContractApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** The same instance, typed by the TypeBox type provider (no runtime change). */
export function contractApp(app: FastifyInstance): ContractApp {
  return app.withTypeProvider<TypeBoxTypeProvider>();
}

/** The fastify route options of contract route `name`: method, URL and response schemas. */
export interface ContractRouteOptions<N extends LocalCellRouteName> {
  readonly method: Routes[N]['method'];
  readonly url: string;
  readonly schema: { readonly response: Routes[N]['response'] };
}

/**
 * Method, URL and `schema: { response }` of the contract's route `name`, to spread into
 * `route({...})`. The return type names the route's own response map, so handlers are checked
 * against that route's answers.
 */
export function contractRoute<N extends LocalCellRouteName>(name: N): ContractRouteOptions<N> {
  const route: Routes[N] = LOCAL_CELL_ROUTES[name];
  return { method: route.method, url: route.url, schema: { response: route.response } };
}
