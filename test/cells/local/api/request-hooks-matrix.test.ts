import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../../cells/local/local-cell.js';
import { DEFAULT_PLUGINS } from '../../../../cells/local/plugins/default-plugins.js';
import { CELL_TOPOLOGY } from '../../../../cells/topology.js';
import {
  type CreatedKeyAnswer,
  LOCAL_CELL_ROUTES,
  type LocalCellRouteName,
  ROUTE_ACCESS,
} from '../../../../schemas/api/index.js';
import { PROJECT_ROOT } from '../../../support/project-root.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from '../helpers/cell-process.js';

/**
 * The role matrix as enforced: every route of the contract (`LOCAL_CELL_ROUTES`) called with a
 * producer, a viewer and an operator key, and with no key on a loopback cell and on a cell bound
 * to 127.0.0.2. Each case is named `<route> as <caller> → <status>`; the whole matrix is also
 * written to test-output/role-matrix.md. A route's own answer when allowed is pinned (e.g. 400 for
 * an empty event, 404 for an unknown invoice), so "allowed" never hides a 401/403.
 */

const first = CELL_TOPOLOGY.stages[0]?.name ?? 'ingestion';
const now = Date.now();
const window = { from: new Date(now - 3_600_000).toISOString(), to: new Date(now).toISOString() };

interface Probe {
  readonly path: string;
  readonly body?: unknown;
  /** The answer when the caller may call the route. */
  readonly allowed: number;
}

/** One harmless request per route (dry runs, unknown ids, invalid bodies that change nothing). */
const PROBES: Record<LocalCellRouteName, Probe> = {
  ingest: { path: `/invoices/${first}`, body: {}, allowed: 400 },
  timeline: { path: '/invoices/INV-MATRIX-NONE', allowed: 404 },
  health: { path: '/health', allowed: 200 },
  stats: { path: '/stats', allowed: 200 },
  metrics: { path: '/metrics', allowed: 200 },
  dlq: { path: `/dlq/${first}`, allowed: 200 },
  redriveStart: { path: `/dlq/${first}/redrive`, body: { dryRun: true }, allowed: 200 },
  redriveStatus: { path: `/dlq/${first}/redrive`, allowed: 404 },
  replayStart: { path: '/replays', body: { ...window, dryRun: true }, allowed: 200 },
  replayStatus: { path: '/replays/matrix-none', allowed: 404 },
  faultsSet: { path: '/admin/faults', body: { failEventIds: [] }, allowed: 200 },
  faultsClear: { path: '/admin/faults', allowed: 200 },
  backup: { path: '/admin/backup', allowed: 200 },
  subscriberMessages: { path: `/subscribers/${first}/none/messages`, allowed: 404 },
  subscriberReceive: { path: `/subscribers/${first}/none/receive`, body: {}, allowed: 404 },
  subscriberAck: { path: `/subscribers/${first}/none/ack`, body: { receiptHandles: ['1.1'] }, allowed: 404 },
  subscriberSigningKey: { path: '/subscribers/signing-key', allowed: 200 },
  stuck: { path: '/stuck', allowed: 200 },
  reconcile: { path: `/reconcile?from=${window.from}&to=${window.to}`, allowed: 200 },
  alarms: { path: '/alarms', allowed: 200 },
  dashboards: { path: '/dashboards', allowed: 200 },
  dashboardData: { path: `/dashboards/executive/data?from=${window.from}&to=${window.to}`, allowed: 200 },
  reports: { path: '/reports', allowed: 200 },
  report: { path: '/reports/2026-13', allowed: 400 },
  webIndex: { path: '/', allowed: 200 },
  webAsset: { path: '/assets/app.css', allowed: 200 },
  openapi: { path: '/openapi.json', allowed: 200 },
  keysCreate: { path: '/keys', body: {}, allowed: 400 },
  keysList: { path: '/keys', allowed: 200 },
  keysRevoke: { path: '/keys/matrix-none', allowed: 404 },
  signinPage: { path: '/signin', allowed: 200 },
  signin: { path: '/signin', body: {}, allowed: 400 },
  signout: { path: '/signout', allowed: 200 },
  session: { path: '/session', allowed: 200 },
};

type Caller = 'producer' | 'viewer' | 'operator' | 'none (loopback)' | 'none (127.0.0.2)';
const CALLERS: readonly Caller[] = ['producer', 'viewer', 'operator', 'none (loopback)', 'none (127.0.0.2)'];

/** What the matrix expects: the route's own answer, or the refusal the table gives the caller. */
function expectedStatus(name: LocalCellRouteName, caller: Caller): number {
  const access = ROUTE_ACCESS[name];
  const probe = PROBES[name];
  if (access === 'public') return probe.allowed;
  if (caller === 'none (loopback)') return access === 'read' ? probe.allowed : 401;
  if (caller === 'none (127.0.0.2)') return name === 'webIndex' ? 303 : 401;
  const roles: Record<typeof access, readonly Caller[]> = {
    ingest: ['producer'],
    read: ['viewer', 'operator'],
    ops: ['operator'],
  };
  return roles[access].includes(caller) ? probe.allowed : 403;
}

const CASES = (Object.keys(LOCAL_CELL_ROUTES) as LocalCellRouteName[]).flatMap((name) =>
  CALLERS.map((caller) => {
    const route = LOCAL_CELL_ROUTES[name];
    const expected = expectedStatus(name, caller);
    return { name, caller, method: route.method, path: PROBES[name].path, expected };
  }),
);

let loopback: LocalCell;
let exposed: LocalCell;
const dirs: string[] = [];
const keyOf: Partial<Record<Caller, string>> = { producer: TEST_API_KEY, operator: TEST_OPERATOR_KEY };
const observed = new Map<string, number>();

async function startCell(host: string): Promise<LocalCell> {
  const dataDir = tempDataDir('role-matrix-');
  dirs.push(dataDir);
  return startLocalCell({
    dataDir,
    host,
    port: 0,
    apiKey: TEST_API_KEY,
    operatorKey: TEST_OPERATOR_KEY,
    enableFaultInjection: true,
    processorThread: 'inline',
    logLevel: 'silent',
    plugins: DEFAULT_PLUGINS,
  });
}

beforeAll(async () => {
  loopback = await startCell('127.0.0.1');
  exposed = await startCell('127.0.0.2');
  const res = await fetch(`${loopback.url}/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': TEST_OPERATOR_KEY },
    body: JSON.stringify({ name: 'matrix-viewer', role: 'viewer' }),
  });
  keyOf.viewer = ((await res.json()) as CreatedKeyAnswer).key;
}, 60_000);

afterAll(async () => {
  await loopback?.close();
  await exposed?.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  const rows = Object.keys(LOCAL_CELL_ROUTES).map((name) => {
    const route = LOCAL_CELL_ROUTES[name as LocalCellRouteName];
    const cells = CALLERS.map((c) => String(observed.get(`${name} ${c}`) ?? '-'));
    return `| ${route.method} ${route.url} | ${ROUTE_ACCESS[name as LocalCellRouteName]} | ${cells.join(' | ')} |`;
  });
  const table = [
    `| route | access | ${CALLERS.join(' | ')} |`,
    `|---|---|${CALLERS.map(() => '---').join('|')}|`,
    ...rows,
  ];
  const out = path.join(PROJECT_ROOT, 'test-output');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'role-matrix.md'), `${table.join('\n')}\n`);
});

describe('the role matrix (route × caller → status)', () => {
  it.each(CASES)('$method $path as $caller → $expected', async (c) => {
    // Prepare
    const cell = c.caller === 'none (127.0.0.2)' ? exposed : loopback;
    const key = keyOf[c.caller];
    const body = PROBES[c.name].body;
    const headers: Record<string, string> = key ? { 'x-api-key': key } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';

    // Act
    const res = await fetch(`${cell.url}${c.path}`, {
      method: c.method,
      headers,
      redirect: 'manual',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    observed.set(`${c.name} ${c.caller}`, res.status);

    // Assess
    expect(res.status, text.slice(0, 300)).toBe(c.expected);
    if (c.expected === 403 && key)
      expect(text).toMatch(/needs an? (producer|viewer or operator|operator) key/);
    if (c.expected === 303) expect(res.headers.get('location')).toBe('/signin');
  });
});
