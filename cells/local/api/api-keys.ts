import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Clock } from '../../../consumers/clock.js';
import type { Role } from '../../../schemas/api/index.js';
import type { DatabaseHandle } from '../storage/db.js';

/**
 * API keys with a name and a role, stored hashed: `sha256(salt || key)` with a random 16-byte salt
 * per key, revocable (a revoked key stays listed, with when it was revoked).
 *
 * Why sha256 and not scrypt: generated keys are 32 random bytes (256 bits of entropy), so there is
 * nothing to brute-force from a stolen hash and a slow KDF would only add milliseconds to every
 * request; the salt still keeps equal keys from having equal hashes. Keys supplied with
 * `--api-key`/`--operator-key` must be at least {@link MIN_API_KEY_LENGTH} characters for the same
 * reason. Keys that verified once are cached in memory (the process already holds them in request
 * headers); a revocation empties that cache, so a revoked key fails its very next request.
 *
 * @example
 * const keys = new ApiKeyStore(db, SYSTEM_CLOCK);
 * const { key } = keys.create('billing-export', 'producer'); // print once; only the hash is stored
 * keys.verify(key); // → { id, name, role }, or undefined
 */
export const MIN_API_KEY_LENGTH = 20;

/** A key the cell refuses to register or create (too short, a name in use, another role). */
export class ApiKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiKeyError';
  }
}

/** A key name that already names a key that works (409). */
export class KeyNameTakenError extends ApiKeyError {
  constructor(name: string) {
    super(`a key named "${name}" already exists; pick another name or revoke that key first`);
    this.name = 'KeyNameTakenError';
  }
}

/** Who a working key is. */
export interface KeyIdentity {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
}

/** A key as listed: never its secret or hash. */
export interface KeyRecord extends KeyIdentity {
  readonly createdAtMs: number;
  /** When it was revoked; undefined while it works. */
  readonly revokedAtMs: number | undefined;
}

interface KeyRow {
  id: string;
  name: string;
  role: Role;
  salt: Buffer;
  hash: Buffer;
  created_at_ms: number;
  revoked_at_ms: number | null;
}

const CACHE_LIMIT = 1_000;

function hashKey(salt: Buffer, key: string): Buffer {
  return createHash('sha256').update(salt).update(key, 'utf8').digest();
}

/** A fresh key: 32 random bytes, base64url. */
export function newApiKey(): string {
  return randomBytes(32).toString('base64url');
}

/** `a producer`, `an operator`, `a viewer`. */
function withArticle(role: Role): string {
  return `${role === 'operator' ? 'an' : 'a'} ${role}`;
}

function recordOf(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdAtMs: row.created_at_ms,
    revokedAtMs: row.revoked_at_ms ?? undefined,
  };
}

export class ApiKeyStore {
  readonly #clock: Clock;
  readonly #all: Statement<[], KeyRow>;
  readonly #insert: Statement<[string, string, Role, Buffer, Buffer, number]>;
  readonly #revoke: Statement<[number, string]>;
  #rows: KeyRow[];
  readonly #cache = new Map<string, KeyIdentity>();

  constructor(db: DatabaseHandle, clock: Clock) {
    this.#clock = clock;
    this.#all = db.prepare(
      'SELECT id, name, role, salt, hash, created_at_ms, revoked_at_ms FROM api_keys ORDER BY created_at_ms, rowid',
    );
    this.#insert = db.prepare(
      'INSERT INTO api_keys (id, name, role, salt, hash, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#revoke = db.prepare('UPDATE api_keys SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms IS NULL');
    this.#rows = this.#all.all();
  }

  /** Every key ever registered, revoked ones included. */
  count(): number {
    return this.#rows.length;
  }

  /**
   * Registers a key (from the command line) unless it is already registered with this role;
   * returns its id. Refuses a short key, a key registered with another role, and a revoked key.
   * `name` gets a `-2`, `-3`… suffix when a working key has it already.
   */
  add(key: string, name: string, role: Role): { id: string; created: boolean } {
    if (key.length < MIN_API_KEY_LENGTH) {
      throw new ApiKeyError(
        `an API key must be at least ${MIN_API_KEY_LENGTH} characters, got ${key.length}`,
      );
    }
    const existing = this.#lookup(key);
    if (existing) {
      if (existing.revoked_at_ms !== null) {
        throw new ApiKeyError(`this ${existing.role} key ("${existing.name}") was revoked; pass a new key`);
      }
      if (existing.role !== role) {
        throw new ApiKeyError(
          `this key is already registered as ${withArticle(existing.role)} key ("${existing.name}"); use another key for the ${role} role`,
        );
      }
      return { id: existing.id, created: false };
    }
    return { id: this.#insertKey(key, this.#freeName(name), role).id, created: true };
  }

  /** Creates a random key with a name no working key has; the caller shows the key once. */
  create(name: string, role: Role): KeyRecord & { key: string } {
    if (this.#activeNamed(name).length > 0) throw new KeyNameTakenError(name);
    const key = newApiKey();
    return { ...this.#insertKey(key, name, role), key };
  }

  /** Every key, oldest first, revoked ones included. */
  list(): KeyRecord[] {
    return this.#rows.map(recordOf);
  }

  /**
   * Revokes the key with id `ref`, else the one working key named `ref`; undefined when there is
   * none. Revoking a revoked key changes nothing. Throws {@link ApiKeyError} when several working
   * keys share the name (keys of older data dirs may), so the caller revokes by id.
   */
  revoke(ref: string): KeyRecord | undefined {
    let row = this.#rows.find((r) => r.id === ref);
    if (!row) {
      const named = this.#activeNamed(ref);
      if (named.length > 1) {
        throw new ApiKeyError(
          `${named.length} keys are named "${ref}" (ids ${named.map((r) => r.id).join(', ')}); revoke one by id`,
        );
      }
      row = named[0];
    }
    if (!row) return undefined;
    this.#revoke.run(this.#clock.now(), row.id);
    this.#reload();
    return recordOf(this.#rows.find((r) => r.id === row.id) as KeyRow);
  }

  /** Who the key is, or undefined when it is not a working key of this cell. */
  verify(key: string): KeyIdentity | undefined {
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const row = this.#lookup(key);
    if (!row || row.revoked_at_ms !== null) return undefined;
    const identity: KeyIdentity = { id: row.id, name: row.name, role: row.role };
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(key, identity);
    return identity;
  }

  /** The working key with this id (a session's key), or undefined once it is revoked or unknown. */
  active(id: string): KeyIdentity | undefined {
    const row = this.#rows.find((r) => r.id === id && r.revoked_at_ms === null);
    return row ? { id: row.id, name: row.name, role: row.role } : undefined;
  }

  #insertKey(key: string, name: string, role: Role): KeyRecord {
    const id = randomUUID();
    const salt = randomBytes(16);
    const createdAtMs = this.#clock.now();
    this.#insert.run(id, name, role, salt, hashKey(salt, key), createdAtMs);
    this.#reload();
    return { id, name, role, createdAtMs, revokedAtMs: undefined };
  }

  #reload(): void {
    this.#rows = this.#all.all();
    // A revoked key must fail its next request: forget every key verified so far.
    this.#cache.clear();
  }

  #activeNamed(name: string): KeyRow[] {
    return this.#rows.filter((r) => r.name === name && r.revoked_at_ms === null);
  }

  #freeName(name: string): string {
    let candidate = name;
    for (let n = 2; this.#activeNamed(candidate).length > 0; n++) candidate = `${name}-${n}`;
    return candidate;
  }

  #lookup(key: string): KeyRow | undefined {
    for (const row of this.#rows) {
      const candidate = hashKey(row.salt, key);
      if (candidate.length === row.hash.length && timingSafeEqual(candidate, row.hash)) return row;
    }
    return undefined;
  }
}
