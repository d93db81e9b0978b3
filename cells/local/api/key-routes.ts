import type { FastifyInstance } from 'fastify';
import { type ApiKeySummary, KEY_NAME_PATTERN, ROLES, type Role } from '../../../schemas/api/index.js';
import type { FieldError } from '../../../schemas/index.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { Logger } from '../logger.js';
import { ApiKeyError, type ApiKeyStore, KeyNameTakenError, type KeyRecord } from './api-keys.js';
import { contractApp, contractRoute } from './contract-route.js';
import { HttpError } from './http-error.js';
import { objectBody, requireJson } from './request-body.js';

/**
 * Key management, operator keys only (`schemas/api/route-access.ts`): `POST /keys`
 * (`{"name", "role"}` → 201 with the new key, the only time the cell shows it), `GET /keys` (names,
 * roles, ids, created, revoked; never a secret or a hash) and `DELETE /keys/{ref}` (revoke by id,
 * or by the name of a working key; the key fails its very next request).
 *
 * @example
 * registerKeyRoutes(app, { keys, logger });
 */

export interface KeyRouteDeps {
  readonly keys: ApiKeyStore;
  readonly logger: Logger;
}

const NAME = new RegExp(KEY_NAME_PATTERN);

function summaryOf(record: KeyRecord): ApiKeySummary {
  return {
    id: record.id,
    name: record.name,
    role: record.role,
    createdAt: isoFromMs(record.createdAtMs),
    revokedAt: record.revokedAtMs === undefined ? null : isoFromMs(record.revokedAtMs),
  };
}

function checkCreateBody(b: Record<string, unknown>, errors: FieldError[]): void {
  if (typeof b.name !== 'string' || !NAME.test(b.name)) {
    errors.push({
      path: '/name',
      message:
        b.name === undefined
          ? 'is required'
          : 'must be 1 to 64 letters, digits, spaces and . _ : @ -, starting with a letter or digit',
    });
  }
  if (!ROLES.includes(b.role as Role)) {
    errors.push({
      path: '/role',
      message: b.role === undefined ? 'is required' : `must be one of ${ROLES.join(', ')}`,
    });
  }
}

export function registerKeyRoutes(app: FastifyInstance, deps: KeyRouteDeps): void {
  const { keys, logger } = deps;
  const api = contractApp(app);

  api.route({
    ...contractRoute('keysCreate'),
    handler: async (request, reply) => {
      requireJson(request);
      const body = objectBody(request.body, ['name', 'role'], checkCreateBody);
      let created: KeyRecord & { key: string };
      try {
        created = keys.create(body.name as string, body.role as Role);
      } catch (error) {
        if (error instanceof KeyNameTakenError) throw new HttpError(409, error.message);
        throw error;
      }
      logger.info('API key created', { id: created.id, name: created.name, role: created.role });
      const { createdAt } = summaryOf(created);
      return reply
        .code(201)
        .send({ key: created.key, id: created.id, name: created.name, role: created.role, createdAt });
    },
  });

  api.route({
    ...contractRoute('keysList'),
    handler: async () => ({ keys: keys.list().map(summaryOf) }),
  });

  api.route({
    ...contractRoute('keysRevoke'),
    handler: async (request) => {
      const { ref } = request.params as { ref: string };
      let revoked: KeyRecord | undefined;
      try {
        revoked = keys.revoke(ref);
      } catch (error) {
        if (error instanceof ApiKeyError) throw new HttpError(409, error.message);
        throw error;
      }
      if (!revoked) throw new HttpError(404, `no key with id or name "${ref}"; GET /keys lists them`);
      logger.info('API key revoked', { id: revoked.id, name: revoked.name, role: revoked.role });
      return summaryOf(revoked);
    },
  });
}
