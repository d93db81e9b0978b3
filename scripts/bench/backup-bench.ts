import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startLocalCell } from '../../cells/local/local-cell.js';
import { SampleEvents } from '../../cells/local/sample-events.js';
import { restoreCellDatabase } from '../../cells/local/storage/backup-restore.js';
import { verifyBackupFile } from '../../cells/local/storage/backup-verify.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../cells/topology.js';
import { BACKUP_HEADERS } from '../../schemas/api/index.js';
import { request } from './bench-http.js';
import { BodyFactory } from './body-factory.js';

/**
 * `npm run bench:backup [-- --records 1000000]`: fills an in-process local cell with N stored
 * records through its HTTP API (batches of 10 events, 32 senders, every stage in turn), waits
 * until it has drained, then measures the operator's path: `POST /admin/backup` streamed to a
 * file (size, seconds, MB/s, and the cell's own copy time), `verifyBackupFile` (integrity_check)
 * and a restore into a fresh data dir (verify + copy + fsync). Prints one table.
 *
 * Options: `--records <n>` (default 1,000,000), `--data-dir <dir>` (an empty dir to work in; kept;
 * default: a temp dir, removed at the end unless `--keep`).
 *
 * @example
 * npx tsx scripts/bench/backup-bench.ts --records 100000
 */

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    'data-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const records = Number(values.records);
if (!Number.isSafeInteger(records) || records < 10) {
  process.stderr.write(`--records must be an integer of at least 10, got ${values.records}\n`);
  process.exit(2);
}
// A dir the bench made is removed at the end (unless --keep); one passed in is left alone.
const madeWorkDir = values['data-dir'] === undefined;
const workDir = values['data-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'backup-bench-'));
const BATCH = 10;
const SENDERS = 32;
const MB = 1_000_000;

const apiKey = `bench-producer-${randomBytes(12).toString('hex')}`;
const operatorKey = `bench-operator-${randomBytes(12).toString('hex')}`;

async function fill(port: number): Promise<number> {
  const bodies = new BodyFactory(CELL_TOPOLOGY, new SampleEvents(CELL_TOPOLOGY));
  const stages = CELL_TOPOLOGY.stages;
  let next = 0;
  let accepted = 0;
  let lastReport = Date.now();
  const sender = async () => {
    while (next * BATCH < records) {
      const stage = stages[next++ % stages.length] as StageTopology;
      const res = await request(port, apiKey, 'POST', stage.routePath, bodies.body(stage, BATCH));
      if (res.status === 200) accepted += BATCH;
      else if (res.status !== 429 && res.status !== 503)
        throw new Error(`fill failed: ${res.status} ${res.body}`);
      if (Date.now() - lastReport > 5_000) {
        lastReport = Date.now();
        process.stderr.write(
          `filling: ${accepted.toLocaleString('en-US')} / ${records.toLocaleString('en-US')}\n`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, sender));
  return accepted;
}

async function waitDrained(port: number, accepted: number): Promise<number> {
  for (;;) {
    const res = await request(port, apiKey, 'GET', '/stats');
    const { totals } = JSON.parse(res.body) as {
      totals: { stored: number; visible: number; inFlight: number };
    };
    if (totals.stored >= accepted && totals.visible === 0 && totals.inFlight === 0) return totals.stored;
    await delay(500);
  }
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; sec: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, sec: (performance.now() - started) / 1000 };
}

async function download(url: string, file: string): Promise<{ bytes: number; cellCopySec: number }> {
  const res = await fetch(`${url}/admin/backup`, { method: 'POST', headers: { 'x-api-key': operatorKey } });
  if (res.status !== 200) throw new Error(`backup failed: ${res.status} ${await res.text()}`);
  await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), fs.createWriteStream(file));
  return {
    bytes: fs.statSync(file).size,
    cellCopySec: Number(res.headers.get(BACKUP_HEADERS.durationMs)) / 1000,
  };
}

async function main(): Promise<void> {
  const dataDir = path.join(workDir, 'cell');
  const cell = await startLocalCell({
    dataDir,
    port: 0,
    apiKey,
    operatorKey,
    rateLimitRps: 10_000_000,
    burst: 10_000_000,
    synchronous: 'NORMAL',
    logLevel: 'warn',
  });
  const file = path.join(workDir, 'cell-backup.sqlite');
  try {
    const filled = await timed(async () => waitDrained(cell.port, await fill(cell.port)));
    process.stderr.write(
      `filled ${filled.value.toLocaleString('en-US')} records in ${filled.sec.toFixed(0)} s\n`,
    );
    const dbBytes = fs.statSync(cell.dbFile).size;
    const backup = await timed(() => download(cell.url, file));
    const verify = await timed(() => verifyBackupFile(file));
    const restoreDir = path.join(workDir, 'restored');
    const restore = await timed(() =>
      restoreCellDatabase({
        backupFile: file,
        dbFile: path.join(restoreDir, 'cell.sqlite'),
        nowMs: Date.now(),
      }),
    );
    const rows: [string, string][] = [
      ['records stored', filled.value.toLocaleString('en-US')],
      ['database file (MB, before checkpoint)', (dbBytes / MB).toFixed(1)],
      ['backup size (MB)', (backup.value.bytes / MB).toFixed(1)],
      ['backup, request to last byte (s)', backup.sec.toFixed(2)],
      ['backup throughput (MB/s)', (backup.value.bytes / MB / backup.sec).toFixed(1)],
      ['of which the cell copied pages (s)', backup.value.cellCopySec.toFixed(2)],
      ['verify: integrity_check (s)', verify.sec.toFixed(2)],
      ['restore: verify + copy + fsync (s)', restore.sec.toFixed(2)],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${v.padStart(12)}`).join('\n')}\n`);
  } finally {
    await cell.close();
    if (madeWorkDir && !values.keep) fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `backup bench failed: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
  );
  process.exit(1);
});
