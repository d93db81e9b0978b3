import { describe, expect, it } from 'vitest';
import { routeAccess } from '../../../cells/local/api/roles.js';
import {
  ACCESS_ROLES,
  LOCAL_CELL_ROUTES,
  type LocalCellRouteName,
  ROUTE_ACCESS,
} from '../../../schemas/api/index.js';

/** The route → access table: complete, and no state-changing route open to viewers or producers. */

const names = Object.keys(LOCAL_CELL_ROUTES) as LocalCellRouteName[];

describe('ROUTE_ACCESS', () => {
  it('classifies every route of the contract, and nothing else', () => {
    expect(Object.keys(ROUTE_ACCESS).sort()).toEqual([...names].sort());
  });

  it('gives every state-changing route to operators only, but posting events and signing in or out', () => {
    const writes = names.filter((n) => LOCAL_CELL_ROUTES[n].method !== 'GET');
    const notOps = writes.filter((n) => ROUTE_ACCESS[n] !== 'ops');

    expect(notOps.sort()).toEqual(['ingest', 'signin', 'signout']);
    expect(ROUTE_ACCESS.ingest).toBe('ingest');
  });

  it('lets only producers ingest, never operators or viewers', () => {
    expect(ACCESS_ROLES.ingest).toEqual(['producer']);
    expect(ACCESS_ROLES.read).not.toContain('producer');
    expect(ACCESS_ROLES.ops).toEqual(['operator']);
  });
});

describe('routeAccess', () => {
  it('finds a route by method and fastify URL, HEAD as GET, and closes unknown routes to all but operators', () => {
    expect(routeAccess('POST', '/dlq/:stage/redrive')).toBe('ops');
    expect(routeAccess('GET', '/dlq/:stage/redrive')).toBe('read');
    expect(routeAccess('HEAD', '/stats')).toBe('read');
    expect(routeAccess('GET', '/plugin/unlisted')).toBe('ops');
  });
});
