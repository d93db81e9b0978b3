import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../../cells/local/local-cell.js';
import { defaultPlugins } from '../../../../cells/local/plugins/default-plugins.js';
import { SampleEvents } from '../../../../cells/local/sample-events.js';
import { verifyBackupFile } from '../../../../cells/local/storage/backup-verify.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../../cells/topology.js';
import { BACKUP_CONTENT_TYPE, BACKUP_HEADERS, type ReconcileAnswer } from '../../../../schemas/api/index.js';
import { CellClient, type TimelineBody } from '../helpers/cell-client.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from '../helpers/cell-process.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The backup round trip under load: producers keep posting while an operator takes a backup
 * through `POST /admin/backup`; a cell restored from it (`backup.restoreFrom`) holds every event
 * acknowledged before the backup was asked for, drains, reconciles and accepts new events.
 */

const samples = new SampleEvents(CELL_TOPOLOGY);
const stage = CELL_TOPOLOGY.stages[0] as StageTopology;
const LOADERS = 4;

let source: LocalCell;
let restored: LocalCell | undefined;
const dirs: string[] = [];

function cellOptions(dataDir: string) {
  return {
    dataDir,
    port: 0,
    apiKey: TEST_API_KEY,
    operatorKey: TEST_OPERATOR_KEY,
    // Messages in flight when the backup is taken are visible again a second later in the copy.
    visibilityTimeoutSec: 1,
    logLevel: 'silent' as const,
    plugins: defaultPlugins(), // GET /reconcile
  };
}

beforeAll(async () => {
  const dir = tempDataDir('backup-source-');
  dirs.push(dir);
  source = await startLocalCell(cellOptions(dir));
});

afterAll(async () => {
  await restored?.close();
  await source.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Producers posting one new invoice per request until `stop()`; every acknowledged event id, in order. */
function startLoad(client: CellClient) {
  const acked: { eventId: string; invoiceId: string }[] = [];
  let running = true;
  let seq = 0;
  const loop = async (n: number) => {
    while (running) {
      const invoiceId = `INV-BACKUP-${n}-${seq++}`;
      const event = samples.event(stage, { invoiceId });
      const res = await client.post(stage.routePath, event);
      if (res.status === 200) acked.push({ eventId: event.eventId, invoiceId });
    }
  };
  const loops = Array.from({ length: LOADERS }, (_, n) => loop(n));
  return {
    acked,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** The temp file of a backup is gone once its answer's stream has closed. */
async function noTempBackups(): Promise<void> {
  await waitFor(() => fs.readdirSync(source.dataDir).every((n) => !n.includes('backup')) || undefined, {
    what: 'no backup temp file left in the data dir',
    describe: () => fs.readdirSync(source.dataDir),
  });
}

async function postBackup(url: string, key: string): Promise<Response> {
  return fetch(`${url}/admin/backup`, { method: 'POST', headers: { 'x-api-key': key } });
}

describe('POST /admin/backup', () => {
  it('answers 403 to a producer key and 409 while another backup runs', async () => {
    const producer = await postBackup(source.url, TEST_API_KEY);
    const [a, b] = await Promise.all([
      postBackup(source.url, TEST_OPERATOR_KEY),
      postBackup(source.url, TEST_OPERATOR_KEY),
    ]);
    const statuses = [a.status, b.status].sort();
    await Promise.all([a.arrayBuffer(), b.arrayBuffer(), producer.arrayBuffer()]);

    expect(producer.status).toBe(403);
    expect(statuses).toEqual([200, 409]);
    await noTempBackups();
  });

  it('round trip under load: a restored cell holds every event acknowledged before the backup, drains, reconciles and accepts new events', async () => {
    // Prepare: producers posting, some events acknowledged.
    const producer = new CellClient(source.url);
    const load = startLoad(producer);
    await waitFor(() => load.acked.length >= 100 || undefined, { what: '100 acknowledged events' });

    // Act: the backup, asked for while the load goes on.
    const ackedBefore = [...load.acked];
    const res = await postBackup(source.url, TEST_OPERATOR_KEY);
    const body = Buffer.from(await res.arrayBuffer());
    const ackedDuring = load.acked.length - ackedBefore.length;
    await load.stop();
    const file = path.join(tempDataDir('backup-file-'), 'cell-backup.sqlite');
    dirs.push(path.dirname(file));
    fs.writeFileSync(file, body);

    // Assess the answer and the file.
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(BACKUP_CONTENT_TYPE);
    expect(Number(res.headers.get('content-length'))).toBe(body.length);
    expect(Number(res.headers.get(BACKUP_HEADERS.pages))).toBe(verifyBackupFile(file).pages);
    expect(ackedDuring).toBeGreaterThan(0); // the cell kept accepting while the backup ran
    await noTempBackups();

    // Act: restore into a new data dir and start a cell on it.
    const restoredDir = tempDataDir('backup-restored-');
    dirs.push(restoredDir);
    restored = await startLocalCell({ ...cellOptions(restoredDir), backup: { restoreFrom: file } });
    const client = new CellClient(restored.url);
    const drained = await waitFor(
      async () => {
        const { totals } = await client.stats();
        return totals.visible === 0 && totals.inFlight === 0 && totals.accepted === totals.stored
          ? totals
          : undefined;
      },
      { what: 'the restored cell drained', timeoutMs: 60_000, describe: () => client.stats() },
    );

    // Assess: every event acknowledged before the backup is stored.
    const missing: string[] = [];
    for (const { eventId, invoiceId } of ackedBefore) {
      const timeline = await client.get<TimelineBody>(`/invoices/${invoiceId}`);
      if (timeline.status !== 200 || !timeline.body.timeline.some((t) => t.eventId === eventId)) {
        missing.push(eventId);
      }
    }
    expect(missing).toEqual([]);
    expect(drained.stored).toBeGreaterThanOrEqual(ackedBefore.length);

    // Assess: it reconciles, and accepts and stores a new event.
    const reconcile = await client.get<ReconcileAnswer>('/reconcile');
    const fresh = samples.event(stage, { invoiceId: 'INV-BACKUP-AFTER-RESTORE' });
    const posted = await client.post(stage.routePath, fresh);
    const stored = await waitFor(
      async () => {
        const t = await client.get<TimelineBody>('/invoices/INV-BACKUP-AFTER-RESTORE');
        return t.status === 200 ? t.body : undefined;
      },
      { what: 'the new event stored' },
    );
    expect(reconcile.status).toBe(200);
    expect(reconcile.body).toMatchObject({ balanced: true, missing: 0 });
    expect(posted.status).toBe(200);
    expect(stored.timeline.map((t) => t.eventId)).toEqual([fresh.eventId]);
  });

  it('refuses to restore over a data dir a running cell holds, and replaces nothing', async () => {
    const backupDir = tempDataDir('backup-file-');
    dirs.push(backupDir);
    const file = path.join(backupDir, 'b.sqlite');
    fs.writeFileSync(
      file,
      Buffer.from(await (await postBackup(source.url, TEST_OPERATOR_KEY)).arrayBuffer()),
    );
    const before = fs.readdirSync(source.dataDir).sort();

    await expect(
      startLocalCell({ ...cellOptions(source.dataDir), backup: { restoreFrom: file } }),
    ).rejects.toThrow(/in use/);
    expect(fs.readdirSync(source.dataDir).sort()).toEqual(before);
    expect((await new CellClient(source.url).stats()).status).toBe('ready');
  });
});
