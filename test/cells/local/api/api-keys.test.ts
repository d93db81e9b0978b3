import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiKeyError, ApiKeyStore, KeyNameTakenError } from '../../../../cells/local/api/api-keys.js';
import { provisionApiKeys } from '../../../../cells/local/api/key-provisioning.js';
import { type DatabaseHandle, openCellDatabase } from '../../../../cells/local/storage/db.js';
import { ManualClock, SYSTEM_CLOCK } from '../../../../consumers/clock.js';
import { tempDataDir } from '../helpers/cell-process.js';

const PRODUCER = 'producer-key-0123456789-abcdefgh';
const OPERATOR = 'operator-key-0123456789-abcdefgh';

describe('ApiKeyStore', () => {
  let dir: string;
  let db: DatabaseHandle;
  let clock: ManualClock;

  beforeEach(() => {
    dir = tempDataDir('api-keys-');
    db = openCellDatabase({ file: path.join(dir, 'cell.sqlite'), synchronous: 'NORMAL', role: 'api' });
    clock = new ManualClock(Date.parse('2026-11-20T09:00:00Z'));
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates a key of a role that verifies as its name and role, stored only hashed', () => {
    const keys = new ApiKeyStore(db, clock);

    const created = keys.create('alice', 'viewer');

    expect(keys.verify(created.key)).toEqual({ id: created.id, name: 'alice', role: 'viewer' });
    const stored = db.prepare('SELECT * FROM api_keys').all() as Record<string, unknown>[];
    expect(JSON.stringify(stored)).not.toContain(created.key);
    expect(keys.list()).toEqual([
      { id: created.id, name: 'alice', role: 'viewer', createdAtMs: clock.now(), revokedAtMs: undefined },
    ]);
  });

  it('stops verifying a revoked key at once, though it verified (and was cached) before', () => {
    const keys = new ApiKeyStore(db, clock);
    const { key, id } = keys.create('alice', 'operator');
    expect(keys.verify(key)?.id).toBe(id);

    clock.advance(1_000);
    const revoked = keys.revoke('alice');

    expect(revoked?.revokedAtMs).toBe(clock.now());
    expect(keys.verify(key)).toBeUndefined();
    expect(keys.active(id)).toBeUndefined();
    expect(new ApiKeyStore(db, clock).verify(key)).toBeUndefined();
  });

  it('revokes by id or by name, and answers undefined for neither', () => {
    const keys = new ApiKeyStore(db, clock);
    const a = keys.create('a', 'producer');

    expect(keys.revoke(a.id)?.name).toBe('a');
    expect(keys.revoke('nobody')).toBeUndefined();
  });

  it('refuses a second working key of one name, and allows the name again once revoked', () => {
    const keys = new ApiKeyStore(db, clock);
    keys.create('ci', 'producer');

    expect(() => keys.create('ci', 'viewer')).toThrow(KeyNameTakenError);
    keys.revoke('ci');
    expect(keys.create('ci', 'viewer').role).toBe('viewer');
  });

  it('refuses a short key, a key registered with another role, and a revoked key', () => {
    const keys = new ApiKeyStore(db, clock);
    keys.add(PRODUCER, 'p', 'producer');

    expect(() => keys.add('short', 'x', 'producer')).toThrow(/at least 20 characters, got 5/);
    expect(() => keys.add(PRODUCER, 'p', 'operator')).toThrow(/already registered as a producer key/);
    keys.revoke('p');
    expect(() => keys.add(PRODUCER, 'p', 'producer')).toThrow(ApiKeyError);
    expect(() => keys.add(PRODUCER, 'p', 'producer')).toThrow(/was revoked/);
  });

  it('registers the same key twice as one key', () => {
    const keys = new ApiKeyStore(db, clock);

    const first = keys.add(PRODUCER, 'p', 'producer');
    const again = keys.add(PRODUCER, 'p', 'producer');

    expect(first.created).toBe(true);
    expect(again).toEqual({ id: first.id, created: false });
    expect(keys.count()).toBe(1);
  });
});

describe('provisionApiKeys', () => {
  let dir: string;
  let db: DatabaseHandle;

  beforeEach(() => {
    dir = tempDataDir('api-keys-');
    db = openCellDatabase({ file: path.join(dir, 'cell.sqlite'), synchronous: 'NORMAL', role: 'api' });
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('generates a producer key on first start only, and says whether an operator key exists', () => {
    const keys = new ApiKeyStore(db, SYSTEM_CLOCK);

    const first = provisionApiKeys(keys, {});
    const second = provisionApiKeys(keys, {});
    const withOperator = provisionApiKeys(keys, { operatorKey: OPERATOR });

    expect(first.apiKeyGenerated).toBe(true);
    expect(keys.verify(first.apiKey ?? '')?.role).toBe('producer');
    expect(first.hasOperatorKey).toBe(false);
    expect(second).toEqual({ apiKey: undefined, apiKeyGenerated: false, hasOperatorKey: false });
    expect(withOperator.hasOperatorKey).toBe(true);
    expect(keys.verify(OPERATOR)?.role).toBe('operator');
  });

  it('refuses one key as both the producer and the operator key', () => {
    const keys = new ApiKeyStore(db, SYSTEM_CLOCK);

    expect(() => provisionApiKeys(keys, { apiKey: OPERATOR, operatorKey: OPERATOR })).toThrow(
      /already registered as an operator key/,
    );
  });
});
