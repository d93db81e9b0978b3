import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeysAnswer } from '../../../schemas/api/index.js';
import {
  type CellProcess,
  startCellProcess,
  stopAllCells,
  TEST_API_KEY,
  TEST_OPERATOR_KEY,
  tempDataDir,
} from '../../cells/local/helpers/cell-process.js';
import { jsonOf, runOps } from './support/run-ops.js';

/**
 * `invoice-ops keys create|list|revoke` against a real local cell (child process), as an operator
 * would run them: the new key printed once and working with its role, listed without its secret,
 * revoked by name and refused at once; a producer key and bad arguments refused with a message.
 */

let cell: CellProcess;
const operator = () => ['--local', cell.url, '--api-key', TEST_OPERATOR_KEY];

beforeAll(async () => {
  cell = await startCellProcess({ dataDir: tempDataDir('ops-keys-') });
});

afterAll(async () => {
  await cell?.stop();
  await stopAllCells();
  if (cell) fs.rmSync(cell.dataDir, { recursive: true, force: true });
});

function statsWith(key: string): Promise<number> {
  return fetch(`${cell.url}/stats`, { headers: { 'x-api-key': key } }).then((r) => r.status);
}

describe('invoice-ops keys', () => {
  it('creates a viewer key once (--json), lists it without its secret and revokes it by name', async () => {
    // Act
    const created = await runOps([
      'keys',
      'create',
      ...operator(),
      '--role',
      'viewer',
      '--name',
      'alice',
      '--json',
    ]);
    const { key, name, role } = jsonOf<{ key: string; name: string; role: string }>(created);
    const readsBefore = await statsWith(key);
    const table = await runOps(['keys', 'list', ...operator()]);
    const listed = jsonOf<KeysAnswer>(await runOps(['keys', 'list', ...operator(), '--json']));
    const revoked = await runOps(['keys', 'revoke', 'alice', ...operator()]);
    const readsAfter = await statsWith(key);

    // Assess
    expect(created.code).toBe(0);
    expect(Object.keys(jsonOf<object>(created)).sort()).toEqual(['key', 'name', 'role']);
    expect({ name, role }).toEqual({ name: 'alice', role: 'viewer' });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/alice\s+viewer/);
    expect(table.stdout).not.toContain(key);
    expect(JSON.stringify(listed)).not.toContain(key);
    expect(listed.keys.find((k) => k.name === 'alice')).toMatchObject({ role: 'viewer', revokedAt: null });
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/revoked viewer key "alice"/);
    expect([readsBefore, readsAfter]).toEqual([200, 403]);
  });

  it('prints a new key alone on stdout, and what it is on stderr', async () => {
    const result = await runOps(['keys', 'create', ...operator(), '--role', 'producer', '--name', 'billing']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(result.stderr).toMatch(/created producer key "billing" .* shown only now/);
  });

  it('refuses with a producer key, naming the role needed', async () => {
    const result = await runOps(['keys', 'list', '--local', cell.url, '--api-key', TEST_API_KEY]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /GET \/keys needs an operator key; the key "start-api-key" is a producer key/,
    );
  });

  it('refuses a name in use and an unknown key, changing nothing', async () => {
    await runOps(['keys', 'create', ...operator(), '--role', 'viewer', '--name', 'twice']);

    const taken = await runOps(['keys', 'create', ...operator(), '--role', 'viewer', '--name', 'twice']);
    const unknown = await runOps(['keys', 'revoke', 'nobody', ...operator()]);
    const listed = jsonOf<KeysAnswer>(await runOps(['keys', 'list', ...operator(), '--json']));

    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/a key named "twice" already exists/);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no key with id or name "nobody"/);
    expect(listed.keys.filter((k) => k.name === 'twice')).toHaveLength(1);
  });

  it.each([
    { args: ['--role', 'admin', '--name', 'x'], message: /--role.*admin.*producer, operator, viewer/s },
    { args: ['--role', 'viewer', '--name', '../etc'], message: /--name.*must be 1 to 64 letters/ },
    { args: ['--name', 'x'], message: /--role/ },
  ])('exits 2 on bad arguments: $message', async ({ args, message }) => {
    const result = await runOps(['keys', 'create', ...operator(), ...args]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('exits 2 without --local', async () => {
    const result = await runOps(['keys', 'list', '--api-key', TEST_OPERATOR_KEY]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/keys needs --local <url>/);
  });
});
