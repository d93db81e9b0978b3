import {
  ACCESS_ROLES,
  LOCAL_CELL_ROUTES,
  type LocalCellRouteName,
  ROUTE_ACCESS,
  type Role,
  type RouteAccess,
} from '../../../schemas/api/index.js';
import type { KeyIdentity } from './api-keys.js';

/**
 * The server side of the route → access table (`schemas/api/route-access.ts`): the access class of
 * a matched fastify route, whether a role may call it, and the 401/403 messages, which name the
 * role the route needs.
 *
 * @example
 * const access = routeAccess('POST', '/dlq/:stage/redrive'); // 'ops'
 * mayCall('producer', access); // false
 */

const ACCESS_BY_ROUTE: ReadonlyMap<string, RouteAccess> = new Map(
  (Object.keys(LOCAL_CELL_ROUTES) as LocalCellRouteName[]).map((name) => {
    const route = LOCAL_CELL_ROUTES[name];
    return [`${route.method} ${route.url}`, ROUTE_ACCESS[name]];
  }),
);

/**
 * The access class of a matched route (`request.routeOptions.url`). HEAD is GET's (fastify adds a
 * HEAD route for every GET). A route outside the contract is `ops`: closed to all but operators
 * rather than open by accident.
 */
export function routeAccess(method: string, url: string): RouteAccess {
  return ACCESS_BY_ROUTE.get(`${method === 'HEAD' ? 'GET' : method} ${url}`) ?? 'ops';
}

/** Whether a key of `role` may call a route of class `access`. */
export function mayCall(role: Role, access: RouteAccess): boolean {
  return ACCESS_ROLES[access].includes(role);
}

/** `a producer key`, `a viewer or operator key`, `an operator key`. */
export function keysThatMayCall(access: RouteAccess): string {
  const roles = ACCESS_ROLES[access];
  const article = /^[aeiou]/.test(roles[0] ?? '') ? 'an' : 'a';
  return `${article} ${roles.join(' or ')} key`;
}

/** The 401 message of a request without a key. */
export function missingKeyMessage(method: string, url: string, access: RouteAccess): string {
  return `missing x-api-key header: ${method} ${url} needs ${keysThatMayCall(access)}`;
}

/** The 403 message of a working key whose role may not call the route. */
export function forbiddenMessage(
  method: string,
  url: string,
  access: RouteAccess,
  caller: KeyIdentity,
): string {
  return `${method} ${url} needs ${keysThatMayCall(access)}; the key "${caller.name}" is a ${caller.role} key`;
}
