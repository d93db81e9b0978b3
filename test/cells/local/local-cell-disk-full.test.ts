import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../cells/local/local-cell.js';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import type { InvoiceEvent } from '../../../schemas/types.js';
import { CellClient, type CellResponse, type StatsBody } from './helpers/cell-client.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from './helpers/cell-process.js';
import { waitFor } from './helpers/wait-for.js';

const samples = new SampleEvents(CELL_TOPOLOGY);
const stage = CELL_TOPOLOGY.stages[0] as StageTopology;
const EVENTS_PER_REQUEST = CELL_TOPOLOGY.settings.maxEventsPerRequest;
/** Far more than a full request ever needs: the cap is reached long before. */
const MAX_REQUESTS = 2_000;
const NO_CAP = 1_000_000_000;

/** Rows of `table` holding any of `eventIds`, read on a connection of its own. */
function countRows(dbFile: string, table: 'archive' | 'records', eventIds: readonly string[]): number {
  const db = new Database(dbFile, { readonly: true });
  try {
    const marks = eventIds.map(() => '?').join(',');
    const row = db
      .prepare(`SELECT count(*) AS n FROM ${table} WHERE event_id IN (${marks})`)
      .get(...eventIds);
    return (row as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('LocalCell on a full disk', () => {
  let cell: LocalCell | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    await cell?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    cell = undefined;
  });

  it('answers 503 with Retry-After, keeps reads and every acknowledged event, and recovers by itself', {
    timeout: 120_000,
  }, async () => {
    // Prepare: a running cell with one stored event, then a disk with no room left.
    dataDir = tempDataDir('cell-disk-full-');
    cell = await startLocalCell({
      dataDir,
      port: 0,
      apiKey: TEST_API_KEY,
      operatorKey: TEST_OPERATOR_KEY,
      logLevel: 'silent',
      visibilityTimeoutSec: 1,
    });
    const client = new CellClient(cell.url);
    const first = samples.event(stage, { invoiceId: 'INV-DF-FIRST' });
    expect((await client.post(stage.routePath, first)).status).toBe(200);
    await waitFor(async () => (await client.get('/invoices/INV-DF-FIRST')).status === 200, {
      what: 'the first event stored',
      describe: async () => [await client.get('/invoices/INV-DF-FIRST'), (await client.get('/stats')).body],
    });
    await cell.setMaxPageCount(1);

    // Act 1: post until the disk is full.
    const acknowledged: InvoiceEvent[] = [first];
    let refused: { events: InvoiceEvent[]; response: CellResponse } | undefined;
    for (let i = 0; i < MAX_REQUESTS && !refused; i++) {
      const events = Array.from({ length: EVENTS_PER_REQUEST }, (_, j) =>
        samples.event(stage, { invoiceId: `INV-DF-${i}-${j}` }),
      );
      const response = await client.post(stage.routePath, { events });
      if (response.status === 200) acknowledged.push(...events);
      else refused = { events, response };
    }
    const readWhileFull = await client.get('/invoices/INV-DF-FIRST');
    const refusedIds = refused?.events.map((e) => e.eventId) ?? [];
    const storedOfRefused = countRows(cell.dbFile, 'archive', refusedIds);

    // Act 2: space returns; the refused request is sent again and the backlog drains.
    await cell.setMaxPageCount(NO_CAP);
    const retried = await client.post(stage.routePath, { events: refused?.events ?? [] });
    const expected = acknowledged.length + refusedIds.length;
    const totals = await waitFor(
      async () => {
        const stats = (await client.get<StatsBody>('/stats')).body;
        return stats.totals.stored === expected && stats.totals.visible + stats.totals.inFlight === 0
          ? stats.totals
          : undefined;
      },
      {
        what: 'the backlog drained',
        timeoutMs: 60_000,
        describe: async () => (await client.get('/stats')).body,
      },
    );
    const acknowledgedIds = acknowledged.map((e) => e.eventId);

    // Assess
    expect(refused?.response.status).toBe(503);
    expect(refused?.response.headers.get('retry-after')).toBe('10');
    expect(refused?.response.body).toEqual({
      message: "the cell's disk is full: nothing of this request was stored; retry once space is freed",
    });
    expect(readWhileFull.status).toBe(200);
    expect(storedOfRefused).toBe(0);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({
      failedEntryCount: 0,
      entries: refusedIds.map((_, index) => ({ index, status: 'accepted' })),
    });
    expect(countRows(cell.dbFile, 'records', acknowledgedIds)).toBe(acknowledgedIds.length);
    expect(totals).toMatchObject({ accepted: expected, stored: expected, inDlq: 0, unaccounted: 0 });
  });
});
