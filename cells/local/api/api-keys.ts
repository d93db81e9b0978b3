import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Clock } from '../clock.js';
import type { DatabaseHandle } from '../storage/db.js';

/**
 * Producer API keys, stored hashed: `sha256(salt || key)` with a random 16-byte salt per key.
 *
 * Why sha256 and not scrypt: generated keys are 32 random bytes (256 bits of entropy), so there is
 * nothing to brute-force from a stolen hash and a slow KDF would only add milliseconds to every
 * request; the salt still keeps equal keys from having equal hashes. Keys supplied with
 * `--api-key` must be at least {@link MIN_API_KEY_LENGTH} characters for the same reason. Keys
 * that verified once are cached in memory (the process already holds them in request headers).
 *
 * @example
 * const keys = new ApiKeyStore(db, SYSTEM_CLOCK);
 * const { key } = keys.generate('producer'); // print once; only the hash is stored
 * keys.verify(key); // → key id, or undefined
 */
export const MIN_API_KEY_LENGTH = 20;

export class ApiKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiKeyError';
  }
}

interface KeyRow {
  id: string;
  salt: Buffer;
  hash: Buffer;
}

const CACHE_LIMIT = 1_000;

function hashKey(salt: Buffer, key: string): Buffer {
  return createHash('sha256').update(salt).update(key, 'utf8').digest();
}

/** A fresh key: 32 random bytes, base64url. */
export function newApiKey(): string {
  return randomBytes(32).toString('base64url');
}

export class ApiKeyStore {
  readonly #clock: Clock;
  readonly #all: Statement<[], KeyRow>;
  readonly #insert: Statement<[string, string, Buffer, Buffer, number]>;
  readonly #count: Statement<[], { n: number }>;
  #rows: KeyRow[];
  readonly #cache = new Map<string, string>();

  constructor(db: DatabaseHandle, clock: Clock) {
    this.#clock = clock;
    this.#all = db.prepare('SELECT id, salt, hash FROM api_keys');
    this.#insert = db.prepare(
      'INSERT INTO api_keys (id, label, salt, hash, created_at_ms) VALUES (?, ?, ?, ?, ?)',
    );
    this.#count = db.prepare('SELECT count(*) AS n FROM api_keys');
    this.#rows = this.#all.all();
  }

  count(): number {
    return this.#count.get()?.n ?? 0;
  }

  /** Registers a key unless it is already registered; returns its id. */
  add(key: string, label: string): { id: string; created: boolean } {
    if (key.length < MIN_API_KEY_LENGTH) {
      throw new ApiKeyError(
        `an API key must be at least ${MIN_API_KEY_LENGTH} characters, got ${key.length}`,
      );
    }
    const existing = this.#lookup(key);
    if (existing) return { id: existing, created: false };
    const id = randomUUID();
    const salt = randomBytes(16);
    this.#insert.run(id, label, salt, hashKey(salt, key), this.#clock.now());
    this.#rows = this.#all.all();
    return { id, created: true };
  }

  /** Creates a random key; the caller shows it once. */
  generate(label: string): { id: string; key: string } {
    const key = newApiKey();
    return { id: this.add(key, label).id, key };
  }

  /** The id of the key, or undefined when it is not a registered key. */
  verify(key: string): string | undefined {
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const id = this.#lookup(key);
    if (id) {
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      this.#cache.set(key, id);
    }
    return id;
  }

  #lookup(key: string): string | undefined {
    for (const row of this.#rows) {
      const candidate = hashKey(row.salt, key);
      if (candidate.length === row.hash.length && timingSafeEqual(candidate, row.hash)) return row.id;
    }
    return undefined;
  }
}
