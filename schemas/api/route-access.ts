import type { Role } from './keys.js';
import type { LocalCellRouteName } from './local-cell-routes.js';

/**
 * Who may call each route of the local cell: the one route → access table. The server's request
 * hook enforces it (`cells/local/api/request-hooks.ts`), and `satisfies Record<LocalCellRouteName,
 * …>` makes a route added to {@link LOCAL_CELL_ROUTES} without a class here a compile error, so no
 * route is ever left unclassified.
 *
 * Access classes:
 * - `public`: no key; a presented key is not looked at (the health check, the OpenAPI document a
 *   producer reads before it has a key, the sign-in routes, and the public key that webhook
 *   receivers verify subscriber pushes with).
 * - `ingest`: posting events, producer keys only.
 * - `read`: viewer and operator keys; open without a key while the cell listens on loopback only
 *   (a key that IS presented is still checked: a producer key gets 403).
 * - `ops`: operator keys only (redrive, replay, fault injection, key management, and receiving
 *   from / acking a subscriber queue: both change queue state, and no narrower role exists).
 *
 * Operators do not ingest: posting events is the producers' job, and a leaked operator key should
 * not also be a way to write invoice events (scripts that need both hold two keys).
 *
 * @example
 * const access = ROUTE_ACCESS.redriveStart; // 'ops'
 * ACCESS_ROLES[access]; // ['operator']
 */

/** An access class of a route. */
export type RouteAccess = 'public' | 'ingest' | 'read' | 'ops';

/** The roles whose keys may call a route of each access class (`public` needs no key at all). */
export const ACCESS_ROLES: Readonly<Record<RouteAccess, readonly Role[]>> = {
  public: ['producer', 'operator', 'viewer'],
  ingest: ['producer'],
  read: ['viewer', 'operator'],
  ops: ['operator'],
};

/** The access class of every route of the contract. */
export const ROUTE_ACCESS = {
  ingest: 'ingest',
  timeline: 'read',
  health: 'public',
  stats: 'read',
  metrics: 'read',
  dlq: 'read',
  redriveStart: 'ops',
  redriveStatus: 'read',
  replayStart: 'ops',
  replayStatus: 'read',
  faultsSet: 'ops',
  faultsClear: 'ops',
  backup: 'ops',
  subscriberMessages: 'read',
  subscriberReceive: 'ops',
  subscriberAck: 'ops',
  subscriberSigningKey: 'public',
  stuck: 'read',
  reconcile: 'read',
  alarms: 'read',
  dashboards: 'read',
  dashboardData: 'read',
  reports: 'read',
  report: 'read',
  webIndex: 'read',
  webAsset: 'read',
  openapi: 'public',
  keysCreate: 'ops',
  keysList: 'ops',
  keysRevoke: 'ops',
  signinPage: 'public',
  signin: 'public',
  signout: 'public',
  session: 'public',
} as const satisfies Record<LocalCellRouteName, RouteAccess>;
