import { type Static, Type } from 'typebox';
import { IsoTimeSchema, List, LiteralUnion, Nullable } from './common.js';

/**
 * API keys and dashboard sessions of the local cell: the roles a key can have, the answers of the
 * key management routes (`POST /keys`, `GET /keys`, `DELETE /keys/{ref}`, operator keys only) and
 * of the sign-in routes (`POST /signin`, `GET /session`).
 *
 * A key's secret appears in exactly one answer, the 201 of `POST /keys`; the cell stores only a
 * salted hash of it, so no other answer can carry it.
 *
 * @example
 * const created = (await res.json()) as CreatedKeyAnswer; // { key, id, name, role, createdAt }
 * console.log(`${created.name} (${created.role}): ${created.key}`);
 */

/**
 * What a key may do. `producer`: post events. `viewer`: every read and the web dashboard.
 * `operator`: everything a viewer may, plus redrive, replay, fault injection and key management.
 */
export const ROLES = ['producer', 'operator', 'viewer'] as const;
/** A key's role. */
export type Role = (typeof ROLES)[number];
/** A key's role, as the contract spells it. */
export const RoleSchema = LiteralUnion(ROLES, { description: 'producer, operator or viewer' });

/**
 * A key name: 1 to 64 letters, digits, spaces and `. _ : @ -`, starting with a letter or digit
 * (no control characters, so a name prints safely in a table or a log line).
 */
export const KEY_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9 ._:@-]{0,63}$';

/** A key as listed: never its secret or its hash. */
export const ApiKeySummarySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  createdAt: IsoTimeSchema,
  /** When it was revoked; null while it works. */
  revokedAt: Nullable(IsoTimeSchema),
});
/** A key as listed. */
export type ApiKeySummary = Static<typeof ApiKeySummarySchema>;

/** The body of `GET /keys`: every key, revoked ones included, oldest first. */
export const KeysAnswerSchema = Type.Object({ keys: List(ApiKeySummarySchema) });
/** The body of `GET /keys`. */
export type KeysAnswer = Static<typeof KeysAnswerSchema>;

/** The 201 body of `POST /keys`: the new key's secret, shown this once. */
export const CreatedKeyAnswerSchema = Type.Object({
  key: Type.String(),
  id: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  createdAt: IsoTimeSchema,
});
/** The 201 body of `POST /keys`. */
export type CreatedKeyAnswer = Static<typeof CreatedKeyAnswerSchema>;

/**
 * The body of `GET /session` and of a JSON `POST /signin`: who the dashboard session is, and the
 * CSRF token every state-changing request made with the session cookie must send as
 * `x-csrf-token` (requests authenticated by `x-api-key` need none).
 */
export const SessionAnswerSchema = Type.Object({
  signedIn: Type.Boolean(),
  keyId: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  role: Type.Optional(RoleSchema),
  expiresAt: Type.Optional(IsoTimeSchema),
  csrfToken: Type.String(),
});
/** The body of `GET /session`. */
export type SessionAnswer = Static<typeof SessionAnswerSchema>;
