import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SYSTEM_CLOCK } from '../cells/local/clock.js';
import { FifoQueue } from '../cells/local/messaging/fifo-queue.js';
import { SampleEvents } from '../cells/local/sample-events.js';
import { openCellDatabase, type SynchronousMode } from '../cells/local/storage/db.js';
import { CELL_TOPOLOGY, type StageTopology } from '../cells/topology.js';
import { toInvoiceRecord } from '../consumers/record.js';

/**
 * `npm run bench` — throughput and latency of the local cell, measured from a separate process
 * over loopback. Prints figures; never fails on them.
 *
 * For each SQLite synchronous mode (full, normal) and each request shape (1 event per POST,
 * 10 events per POST) it runs a steady scenario (open loop at 5,000 events/s) and a max scenario
 * (closed loop, concurrency cap), each bounded in time and count, then drains and reads
 * ingest-to-queryable latency (stored_at_ms − receivedAtMs, both stamped by the cell) from the
 * SQLite file opened read-only after the cell stopped. It also measures the raw durable-append
 * ceiling: the same rows (archive + queue message + dedup + record) inserted with no pipeline.
 *
 * Client: node:http with a keep-alive Agent. Global fetch (undici) in Node 20 costs several times
 * more CPU per request (WHATWG streams) — measured here at ~7k vs ~47k trivial requests/s — and on
 * a 2-core machine the client's CPU is taken from the cell.
 *
 * Options (argv): --duration-sec 15 --steady-rate 5000 --concurrency 64 --max-events 400000
 *   --sync full,normal --sizes 1,10 --rates 5000,0 (0 = max) --quick (5 s runs, smaller ceiling run)
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const argValue = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const QUICK = args.includes('--quick');
const DURATION_SEC = argValue('--duration-sec', QUICK ? 5 : 15);
const STEADY_RATE = argValue('--steady-rate', 5_000);
const CONCURRENCY = argValue('--concurrency', 64);
const MAX_EVENTS_PER_RUN = argValue('--max-events', 400_000);
const DRAIN_TIMEOUT_MS = 120_000;
/** Open loop: at most this many requests outstanding; sends beyond it are skipped (counted late). */
const OPEN_LOOP_CAP = argValue('--open-loop-cap', 512);
const API_KEY = `bench-${randomUUID()}`;

const topology = CELL_TOPOLOGY;
const samples = new SampleEvents(topology);

interface CellChild {
  readonly child: ChildProcess;
  readonly port: number;
  readonly dataDir: string;
}

async function startCell(dataDir: string, synchronous: string): Promise<CellChild> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'cells/local/main.ts'),
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--api-key',
      API_KEY,
      '--rate-limit',
      '10000000',
      '--burst',
      '10000000',
      '--synchronous',
      synchronous,
      '--log-level',
      'info',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error('cell did not start within 30 s')), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (;;) {
        const nl = buffer.indexOf('\n');
        if (nl < 0) break;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string; level?: string };
          if (entry.msg === 'cell ready' && entry.url) {
            clearTimeout(timer);
            resolve({ child, port: Number(new URL(entry.url).port), dataDir });
          } else if (entry.level === 'error' || entry.level === 'warn')
            process.stderr.write(`cell: ${line}\n`);
        } catch {
          process.stderr.write(`cell: ${line}\n`);
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`cell exited with ${code} before ready`)));
  });
}

async function stopCell(cell: CellChild): Promise<void> {
  if (cell.child.exitCode !== null) return;
  const exited = new Promise((resolve) => cell.child.once('exit', resolve));
  cell.child.kill('SIGTERM');
  await Promise.race([exited, delay(60_000)]);
  if (cell.child.exitCode === null) cell.child.kill('SIGKILL');
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

function request(
  port: number,
  method: string,
  urlPath: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        headers: body
          ? {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
              'x-api-key': API_KEY,
            }
          : { 'x-api-key': API_KEY },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Request bodies from per-stage templates: each event gets a fresh eventId and invoiceId by string
 * concatenation (a few µs), so the client neither pre-builds hundreds of MB of bodies nor spends
 * its CPU on JSON while it should be sending.
 */
class BodyFactory {
  readonly #parts = new Map<StageTopology, [string, string, string]>();

  constructor() {
    for (const stage of topology.stages) {
      const json = JSON.stringify(
        samples.event(stage, { invoiceId: 'INVOICE-PLACEHOLDER', eventId: 'EVENT-PLACEHOLDER' }),
      );
      const [head, rest] = json.split('EVENT-PLACEHOLDER') as [string, string];
      const [middle, tail] = rest.split('INVOICE-PLACEHOLDER') as [string, string];
      this.#parts.set(stage, [head, middle, tail]);
    }
  }

  event(stage: StageTopology): string {
    const [head, middle, tail] = this.#parts.get(stage) as [string, string, string];
    return `${head}${randomUUID()}${middle}INV-${randomUUID()}${tail}`;
  }

  body(stage: StageTopology, size: number): string {
    if (size === 1) return this.event(stage);
    const events: string[] = [];
    for (let i = 0; i < size; i++) events.push(this.event(stage));
    return `{"events":[${events.join(',')}]}`;
  }
}

const bodies = new BodyFactory();

interface LoadResult {
  readonly sentEvents: number;
  readonly acceptedEvents: number;
  readonly failedRequests: number;
  readonly wallSec: number;
  readonly requestP50Ms: number;
  readonly requestP99Ms: number;
  readonly lateRequests: number;
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/**
 * Sends requests of `size` events, at most MAX_EVENTS_PER_RUN in all. rate > 0: open loop (a
 * request every size/rate seconds, at most OPEN_LOOP_CAP outstanding; a send that finds the cap
 * reached is skipped and counted late). rate = 0: closed loop with CONCURRENCY senders.
 */
async function generateLoad(port: number, size: number, rate: number): Promise<LoadResult> {
  const stages = topology.stages;
  const maxRequests = Math.ceil(MAX_EVENTS_PER_RUN / size);
  const latencies: number[] = [];
  let next = 0;
  let accepted = 0;
  let failed = 0;
  let late = 0;
  let outstanding = 0;
  const started = performance.now();
  const deadline = started + DURATION_SEC * 1000;
  const sendOne = async (i: number) => {
    const stage = stages[i % stages.length] as StageTopology;
    const body = bodies.body(stage, size);
    const t0 = performance.now();
    outstanding++;
    try {
      const res = await request(port, 'POST', stage.routePath, body);
      if (res.status === 200) accepted += size;
      else failed++;
    } catch {
      failed++;
    } finally {
      outstanding--;
      latencies.push(performance.now() - t0);
    }
  };
  if (rate > 0) {
    const intervalMs = (1000 * size) / rate;
    const inFlight = new Set<Promise<void>>();
    while (next < maxRequests && performance.now() < deadline) {
      const due = started + next * intervalMs;
      const wait = due - performance.now();
      if (wait > 1) await delay(wait);
      // Catch up on every send that is due (timers are coarse), each as its own request.
      while (next < maxRequests && started + next * intervalMs <= performance.now()) {
        if (outstanding >= OPEN_LOOP_CAP) {
          late++;
          next++;
          continue;
        }
        const p = sendOne(next++);
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      if (wait <= 1) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(inFlight);
  } else {
    const worker = async () => {
      while (performance.now() < deadline && next < maxRequests) await sendOne(next++);
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }
  const wallSec = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    sentEvents: next * size,
    acceptedEvents: accepted,
    failedRequests: failed,
    wallSec,
    requestP50Ms: percentile(latencies, 0.5),
    requestP99Ms: percentile(latencies, 0.99),
    lateRequests: late,
  };
}

async function waitDrained(port: number, accepted: number): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const res = await request(port, 'GET', '/stats');
    const stats = JSON.parse(res.body) as { totals: { stored: number; visible: number; inFlight: number } };
    if (stats.totals.stored >= accepted && stats.totals.visible === 0 && stats.totals.inFlight === 0) return;
    await delay(200);
  }
  process.stderr.write('warning: the cell did not drain within the timeout\n');
}

interface StoredFigures {
  readonly stored: number;
  readonly storedPerSec: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
}

/** Figures over the records the timed load produced (warm-up excluded), from the file read-only. */
function readStoredFigures(dataDir: string, loadStartMs: number): StoredFigures {
  const db = new Database(path.join(dataDir, 'cell.sqlite'), { readonly: true });
  try {
    const latencies = db
      .prepare<[number], { l: number }>(
        'SELECT stored_at_ms - received_at_ms AS l FROM records WHERE received_at_ms >= ? ORDER BY l',
      )
      .all(loadStartMs)
      .map((r) => r.l);
    const span = db
      .prepare<[number], { first: number; last: number; n: number }>(
        'SELECT min(received_at_ms) AS first, max(stored_at_ms) AS last, count(*) AS n FROM records WHERE received_at_ms >= ?',
      )
      .get(loadStartMs) as { first: number; last: number; n: number };
    return {
      stored: span.n,
      storedPerSec: span.n / Math.max(0.001, (span.last - span.first) / 1000),
      p50Ms: percentile(latencies, 0.5),
      p95Ms: percentile(latencies, 0.95),
      p99Ms: percentile(latencies, 0.99),
    };
  } finally {
    db.close();
  }
}

interface Row {
  readonly scenario: string;
  readonly sync: string;
  readonly load: LoadResult;
  readonly stored: StoredFigures;
}

async function runScenario(sync: string, size: number, rate: number): Promise<Row> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cell-bench-'));
  const cell = await startCell(dataDir, sync);
  try {
    // Warm up the validators and connections before the clock starts.
    await generateLoadWarmup(cell.port);
    const loadStartMs = Date.now();
    const load = await generateLoad(cell.port, size, rate);
    await waitDrained(cell.port, load.acceptedEvents + WARMUP_EVENTS);
    await stopCell(cell);
    const stored = readStoredFigures(dataDir, loadStartMs);
    return {
      scenario: `${size === 1 ? 'single' : `batch ${size}`} @ ${rate > 0 ? `${rate}/s` : `max (c=${CONCURRENCY})`}`,
      sync,
      load,
      stored,
    };
  } finally {
    await stopCell(cell);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const WARMUP_EVENTS = 200;
async function generateLoadWarmup(port: number): Promise<void> {
  for (let i = 0; i < WARMUP_EVENTS / 10; i++) {
    const stage = topology.stages[i % topology.stages.length] as StageTopology;
    const res = await request(port, 'POST', stage.routePath, bodies.body(stage, 10));
    if (res.status !== 200) throw new Error(`warm-up request failed: ${res.status} ${res.body}`);
  }
}

/** The same rows the pipeline writes per event, inserted directly: the machine's durable ceiling. */
function rawCeiling(sync: SynchronousMode): number {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cell-raw-'));
  const file = path.join(dataDir, 'cell.sqlite');
  const db = openCellDatabase({ file, synchronous: sync, role: 'api' });
  try {
    const stage = topology.stages[0] as StageTopology;
    const queue = new FifoQueue(
      db,
      {
        name: stage.ids.queue,
        dlqName: stage.ids.dlq,
        visibilityTimeoutSec: 180,
        maxReceiveCount: 5,
        dedupWindowSec: 300,
      },
      SYSTEM_CLOCK,
    );
    const insertArchive = db.prepare(
      `INSERT INTO archive (event_id, bus_event_id, detail_type, invoice_id, received_at_ms, body)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const n = QUICK ? 50_000 : 200_000;
    const group = 100;
    const messages = Array.from({ length: n }, () => {
      const event = samples.event(stage, { invoiceId: `INV-${randomUUID()}` });
      const message = { stage: stage.name, receivedAtMs: Date.now(), event };
      return {
        event,
        body: JSON.stringify(message),
        record: toInvoiceRecord(message, { cell: 'raw', region: 'raw' }),
      };
    });
    const ingest = db.transaction((chunk: typeof messages) => {
      for (const m of chunk) {
        insertArchive.run(
          m.event.eventId,
          randomUUID(),
          stage.detailType,
          m.event.invoiceId,
          Date.now(),
          m.body,
        );
      }
      queue.send(chunk.map((m) => ({ groupId: m.event.invoiceId, dedupId: m.event.eventId, body: m.body })));
    });
    const receiveAndStore = db.transaction(() => {
      const batches = queue.receiveBatches(50, 10);
      return batches.flat();
    });
    const started = performance.now();
    for (let i = 0; i < n; i += group) ingest.immediate(messages.slice(i, i + group));
    // Receive + record + delete, the processing side's rows, in the same engine.
    const byId = new Map(messages.map((m) => [m.event.eventId, m.record]));
    for (;;) {
      const received = receiveAndStore.immediate();
      if (received.length === 0) break;
      db.transaction(() => {
        // The store's own transaction body, without its async group commit.
        for (const m of received) {
          const record = byId.get(m.dedupId);
          if (record) rawInsertRecord(db, record);
        }
        queue.deleteMessages(received.map((m) => m.receiptHandle));
      }).immediate();
    }
    return n / ((performance.now() - started) / 1000);
  } finally {
    db.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

let rawInsert: Database.Statement | undefined;
let rawInsertDb: Database.Database | undefined;
function rawInsertRecord(db: Database.Database, record: ReturnType<typeof toInvoiceRecord>): void {
  if (rawInsertDb !== db) {
    rawInsertDb = db;
    rawInsert = db.prepare(
      `INSERT INTO records (event_id, measure_name, time_ms, cell, region, stage, stage_order, invoice_id,
         vendor_id, currency, version, status, amount_minor, vendor_name, received_at_ms, due_date_ms,
         payment_terms_days, stored_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
  }
  const d = record.dimensions;
  const m = record.measures;
  rawInsert?.run(
    d.eventId,
    record.measureName,
    record.timeMs,
    d.cell,
    d.region,
    d.stage,
    0,
    d.invoiceId,
    d.vendorId,
    d.currency,
    record.version,
    m.status,
    BigInt(m.amountMinor),
    m.vendorName,
    m.receivedAtMs,
    m.dueDateMs,
    m.paymentTermsDays,
    Date.now(),
  );
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';
}

async function main(): Promise<void> {
  const list = (name: string, fallback: string[]) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? (args[i + 1] as string).split(',') : fallback;
  };
  const syncModes = list('--sync', ['full', 'normal']);
  const sizes = list('--sizes', ['1', '10']).map(Number);
  const rates = list('--rates', [String(STEADY_RATE), '0']).map(Number);
  console.log(
    `local cell bench: ${os.cpus().length} cores, node ${process.version}, ${DURATION_SEC} s per scenario, ` +
      `steady ${STEADY_RATE} events/s (open loop, ≤ ${OPEN_LOOP_CAP} outstanding), max = closed loop with ${CONCURRENCY} senders`,
  );
  const ceilings = new Map<string, number>();
  for (const sync of syncModes) {
    const ceiling = rawCeiling(sync.toUpperCase() as SynchronousMode);
    ceilings.set(sync, ceiling);
    console.log(`raw durable-append ceiling (synchronous=${sync}): ${fmt(ceiling)} events/s`);
  }
  const rows: Row[] = [];
  for (const sync of syncModes) {
    for (const size of sizes) {
      for (const rate of rates) {
        const row = await runScenario(sync, size, rate);
        rows.push(row);
        console.log(
          `done: ${row.scenario} sync=${sync}: accepted ${fmt(row.load.acceptedEvents / row.load.wallSec)}/s, ` +
            `p99 ingest-to-queryable ${fmt(row.stored.p99Ms)} ms`,
        );
      }
    }
  }
  const header = [
    'scenario',
    'sync',
    'accepted ev/s',
    'stored ev/s',
    'req p50 ms',
    'req p99 ms',
    'e2e p50 ms',
    'e2e p95 ms',
    'e2e p99 ms',
    'failed req',
    'late req',
    '% of raw',
  ];
  const table = rows.map((r) => [
    r.scenario,
    r.sync,
    fmt(r.load.acceptedEvents / r.load.wallSec),
    fmt(r.stored.storedPerSec),
    fmt(r.load.requestP50Ms, 1),
    fmt(r.load.requestP99Ms, 1),
    fmt(r.stored.p50Ms),
    fmt(r.stored.p95Ms),
    fmt(r.stored.p99Ms),
    fmt(r.load.failedRequests),
    fmt(r.load.lateRequests),
    `${fmt((100 * r.stored.storedPerSec) / (ceilings.get(r.sync) ?? Number.NaN), 1)}%`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log('');
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of table) console.log(line(row));
  console.log('');
  console.log(
    'accepted = 2xx events / load wall time; stored = records / (last stored_at − first receivedAt); e2e = stored_at_ms − receivedAtMs per record (ingest-to-queryable);',
  );
  console.log(
    'late req = open-loop sends skipped because the outstanding cap was reached; % of raw = stored ev/s / raw ceiling (same sync mode).',
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
