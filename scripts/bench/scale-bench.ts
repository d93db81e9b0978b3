import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CELL_TOPOLOGY } from '../../cells/topology.js';
import type { CellIdentity } from '../../consumers/record.js';
import type { DashboardsAnswer } from '../../schemas/api/index.js';
import { type CellChild, stopCell } from './cell-process.js';
import { fmt } from './results-table.js';
import { type InvoiceDraw, InvoiceSource } from './scale-batches.js';
import { bulkLoad } from './scale-bulk.js';
import { benchKeys, databaseBytes, databaseFile, processRssMiB, startScaleCell } from './scale-cell.js';
import { dataDirOf, readFill, storedElsewhere } from './scale-data-dir.js';
import { type HttpSendResult, type IngestTarget, sendOverHttp } from './scale-fill.js';
import { type FillRecord, writeFillRecord } from './scale-fill-record.js';
import { readAs, readStats } from './scale-http.js';
import { parseScaleOptions, type ScaleOptions, ScaleOptionsError } from './scale-options.js';
import { type IngestProbe, medianProbe } from './scale-probe.js';
import { measureReads, readPaths } from './scale-reads.js';
import {
  createScaleTraffic,
  SCALE_FAILURE_RATE,
  SCALE_LATE_SHARE,
  SCALE_SPAN_MS,
  SCALE_STALL_RATE,
  type ScaleTraffic,
} from './scale-records.js';
import {
  loadLine,
  machineLine,
  type SizeResult,
  sizeTable,
  summaryTable,
  targetVerdicts,
} from './scale-report.js';
import { runSoak } from './scale-soak.js';
import { soakHeader, soakVerdicts } from './scale-soak-report.js';

/**
 * `npm run bench:scale` — issue 9's benchmark: fills a local cell to each `--sizes` count and, at
 * each, restarts it and measures p50/p95 of every read path, the ingest rate through the real
 * HTTP pipeline, bytes on disk per record and the cell's RSS; then a soak at `--soak-rate`
 * events/s. Prints figures and met/MISSED against the issue's targets; never fails on them.
 *
 * The first `--http-records` records go through the real pipeline (HTTP → bus → queues →
 * processor → store); the rest through the bulk loader (`scale-bulk.ts`: the same store and
 * first-write hooks, in-process, cell stopped). Results go to stdout, progress to stderr.
 *
 * @example
 * npx tsx scripts/bench/scale-bench.ts --sizes 20000,50000 --http-records 20000 --reads 5 \
 *   --ingest-probe 2000 --soak-minutes 1 --soak-rate 200
 */

/** Invoices sampled for the events per invoice of a bulk phase (to spread it over the span). */
const EVENTS_SAMPLE = 2_000;

/** Whose records the bulk loader writes: the cell's default `--cell-name` and its fixed region (local-cell.ts). */
const BENCH_CELL: CellIdentity = { cell: 'local', region: 'local' };

const out = (line: string) => process.stdout.write(`${line}\n`);
const log = (line: string) => process.stderr.write(`${line}\n`);

class ScaleBench {
  readonly #options: ScaleOptions;
  readonly #dataDir: string;
  readonly #keys = benchKeys();
  readonly #source: InvoiceSource;
  /** The fill's invoices when this run draws from another seed (`storedElsewhere`). */
  readonly #storedElsewhere: { seed: number; invoices: number } | undefined;
  #cell: CellChild | undefined;
  #startSec = Number.NaN;
  #stored = 0;
  #viaHttp = 0;
  #viaBulk = 0;
  #views: string[] = [];

  constructor(options: ScaleOptions, dataDir: string, earlier?: FillRecord) {
    this.#options = options;
    this.#dataDir = dataDir;
    this.#storedElsewhere = earlier ? storedElsewhere(dataDir, options.seed) : undefined;
    this.#source = new InvoiceSource(
      createScaleTraffic({ seed: options.seed, topology: CELL_TOPOLOGY, nowMs: Date.now() }),
      earlier?.invoices ?? 0,
    );
    if (earlier) [this.#viaHttp, this.#viaBulk] = [earlier.viaHttp, earlier.viaBulk];
  }

  /**
   * After each phase and each bulk commit: what a later `--measure-existing` or `--resume` run
   * needs to go on without repeating ids (invoices drawn but not yet written are skipped, never
   * sent twice). `bulkInserted`: the running bulk phase's records so far.
   */
  #recordFill(bulkInserted = 0): void {
    writeFillRecord(this.#dataDir, {
      seed: this.#options.seed,
      invoices: this.#source.count,
      viaHttp: this.#viaHttp,
      viaBulk: this.#viaBulk + bulkInserted,
    });
  }

  /**
   * The history for a bulk phase of `records` records, oldest first over the whole span (so the
   * phase's records spread over it as the random fill's do), starting at the next invoice.
   */
  #orderedHistory(records: number): ScaleTraffic {
    const firstIndex = this.#source.count;
    const timing = { seed: this.#options.seed, topology: CELL_TOPOLOGY, nowMs: Date.now() };
    const sample = createScaleTraffic(timing);
    let events = 0;
    for (let i = 0; i < EVENTS_SAMPLE; i++) events += sample.invoice(firstIndex + i).events.length;
    const invoices = Math.ceil(records / (events / EVENTS_SAMPLE));
    return createScaleTraffic({ ...timing, historyOrder: { firstIndex, invoices } });
  }

  get #target(): IngestTarget {
    if (!this.#cell) throw new Error('the cell is not running');
    return { port: this.#cell.port, producerKey: this.#keys.producer, operatorKey: this.#keys.operator };
  }

  async #start(): Promise<CellChild> {
    if (this.#cell) return this.#cell;
    const { cell, startSec } = await startScaleCell(this.#dataDir, this.#options.synchronous, this.#keys);
    this.#cell = cell;
    this.#startSec = startSec;
    return cell;
  }

  async stop(): Promise<void> {
    if (this.#cell) await stopCell(this.#cell);
    this.#cell = undefined;
  }

  async #restart(): Promise<CellChild> {
    await this.stop();
    const cell = await this.#start();
    const stored = (await readStats(cell.port, this.#keys.operator)).totals.stored;
    if (stored !== this.#stored)
      log(`warning: /stats counts ${stored} stored records, the bench wrote ${this.#stored}`);
    this.#stored = stored;
    return cell;
  }

  /** A random invoice id the cell stores, for the timeline read. */
  #randomStoredInvoice(): () => string {
    const elsewhere = this.#storedElsewhere;
    if (elsewhere) {
      const traffic = createScaleTraffic({
        seed: elsewhere.seed,
        topology: CELL_TOPOLOGY,
        nowMs: Date.now(),
      });
      return () => traffic.invoice(Math.floor(Math.random() * elsewhere.invoices)).invoiceId;
    }
    const source = this.#source;
    return () => source.invoiceId(Math.floor(Math.random() * source.count));
  }

  /**
   * Live traffic (events occurring now, late ones included) sharing the history's invoice numbers:
   * what the probes and the soak send. The fill's traffic is spread over the history instead, and
   * ingesting that touches bins across all of it — not what a feed sends.
   */
  #liveSource(): InvoiceDraw {
    return this.#source.timedBy(
      createScaleTraffic({
        seed: this.#options.seed,
        topology: CELL_TOPOLOGY,
        nowMs: Date.now(),
        live: true,
      }),
    );
  }

  async #sendOverHttp(events: number, label: string, timing: 'history' | 'live'): Promise<HttpSendResult> {
    await this.#start();
    const result = await sendOverHttp(this.#target, {
      source: timing === 'live' ? this.#liveSource() : this.#source,
      stages: CELL_TOPOLOGY.stages,
      events,
      label,
      log,
    });
    this.#viaHttp += result.events;
    this.#stored = result.stored;
    this.#recordFill();
    return result;
  }

  /**
   * `--ingest-rounds` rounds of `--ingest-probe` live events, each first on an empty cell (a fresh
   * temp data dir, deleted after) and then on this one; the median round of each, with every
   * round's rate. One probe on this 2-core machine swings by ±20 % and the machine drifts over
   * minutes (empty-cell probes of one day: 2,675 to 4,046 events/s), so the baseline is measured
   * in turn with the filled cell, not once at the start of a run.
   */
  async #pairedIngest(): Promise<{ ingest: IngestProbe; emptyIngest: IngestProbe }> {
    const rounds = this.#options.ingestRounds;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-baseline-'));
    const empty = new ScaleBench(this.#options, dir);
    const filled: HttpSendResult[] = [];
    const baseline: HttpSendResult[] = [];
    try {
      for (let i = 1; i <= rounds; i++) {
        const of = rounds > 1 ? ` ${i}/${rounds}` : '';
        baseline.push(
          await empty.#sendOverHttp(this.#options.ingestProbe, `ingest probe (empty cell)${of}`, 'live'),
        );
        filled.push(await this.#sendOverHttp(this.#options.ingestProbe, `ingest probe${of}`, 'live'));
      }
    } finally {
      await empty.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return { ingest: medianProbe(filled), emptyIngest: medianProbe(baseline) };
  }

  /** HTTP up to `--http-records`, then the bulk loader (cell stopped) up to `size`. */
  async #fillTo(size: number): Promise<void> {
    const httpTarget = Math.min(size, this.#options.httpRecords);
    if (this.#stored < httpTarget) {
      const r = await this.#sendOverHttp(httpTarget - this.#stored, 'http fill', 'history');
      out(
        `http fill: ${fmt(r.events)} events in ${fmt(r.sec, 1)} s = ${fmt(r.eventsPerSec)} events/s ` +
          `(${fmt(r.requests)} requests of ≤ 10, ${fmt(r.retries)} retried)`,
      );
    }
    if (this.#stored >= size) return;
    await this.stop();
    const records = size - this.#stored;
    const r = await bulkLoad({
      dataDir: this.#dataDir,
      dbFile: databaseFile(this.#dataDir),
      synchronous: this.#options.synchronous === 'full' ? 'FULL' : 'NORMAL',
      topology: CELL_TOPOLOGY,
      cell: BENCH_CELL,
      source: this.#source.timedBy(this.#orderedHistory(records)),
      records,
      log,
      onProgress: (inserted) => this.#recordFill(inserted),
    });
    this.#viaBulk += r.inserted;
    this.#stored += r.inserted;
    this.#recordFill();
    out(
      `bulk load: ${fmt(r.inserted)} records in ${fmt(r.sec, 1)} s = ${fmt(r.recordsPerSec)} records/s` +
        (r.rejected > 0 ? ` (${fmt(r.rejected)} REFUSED by the store)` : ''),
    );
  }

  /** Fill, restart, reads, ingest probe, disk and RSS at one size. */
  async #measure(size: number): Promise<SizeResult> {
    await this.#fillTo(size);
    const cell = await this.#restart();
    // Reads are timed in steady state: after the start-up warm-up, whose reads of the last days'
    // index pages compete with them for the two cores and the disk (each path's first request
    // is still reported apart, as cold).
    log("waiting for the cell's start-up cache warm-up before timing reads");
    const warmupSec = await cell.warmup;
    if (this.#views.length === 0) await this.#readViews(cell);
    const stored = this.#stored;
    const [viaHttp, viaBulk] = [this.#viaHttp, this.#viaBulk];
    log(`measuring reads at ${fmt(stored)} records`);
    const paths = readPaths(this.#views, Date.now(), this.#randomStoredInvoice());
    const reads = await measureReads(cell.port, this.#keys.operator, paths, this.#options.reads, log);
    const pid = cell.child.pid ?? 0;
    const rssAfterReadsMiB = processRssMiB(pid);
    const { ingest, emptyIngest } = await this.#pairedIngest();
    const result: SizeResult = {
      size,
      stored,
      viaHttp,
      viaBulk,
      startSec: this.#startSec,
      ...(warmupSec === undefined ? {} : { warmupSec }),
      reads,
      ingest,
      emptyIngest,
      dbBytes: databaseBytes(this.#dataDir),
      rssAfterReadsMiB,
      rssAfterIngestMiB: processRssMiB(pid),
      load: loadLine(),
    };
    for (const line of sizeTable(result)) out(line);
    return result;
  }

  async run(): Promise<void> {
    const o = this.#options;
    out('# bench:scale');
    out(machineLine());
    out(
      `options: sizes ${o.sizes.map((s) => fmt(s)).join(', ')}; first ${fmt(o.httpRecords)} records through HTTP; ` +
        `${o.reads} reads per path; ingest probe ${fmt(o.ingestProbe)} events × ${o.ingestRounds} (median); soak ${o.soakMinutes} min at ${fmt(o.soakRate)} events/s; ` +
        `synchronous ${o.synchronous}; seed ${o.seed}; data dir ${this.#dataDir}`,
    );
    out(
      `traffic: invoices through ${CELL_TOPOLOGY.stages.map((s) => s.name).join(' → ')} in 10-event batches; ` +
        `the fill's spread over the last ${SCALE_SPAN_MS / 86_400_000} days, the ingest probes' and the soak's live ` +
        `(lifecycles of the last day, as a feed sends); ${SCALE_LATE_SHARE * 100} % late events (1–72 h), ` +
        `${SCALE_FAILURE_RATE * 100} % failing and ${SCALE_STALL_RATE * 100} % stalling invoices, 8 currencies, 20 vendors`,
    );
    const results: SizeResult[] = [];
    if (o.measureExisting) {
      const cell = await this.#start();
      this.#stored = (await readStats(cell.port, this.#keys.operator)).totals.stored;
      out(`measuring the cell in ${this.#dataDir} as it is: ${fmt(this.#stored)} records stored`);
      results.push(await this.#measure(this.#stored));
    } else {
      if (o.resume) await this.#resumeAt();
      for (const size of o.sizes) {
        if (size <= this.#stored) {
          out(`${fmt(size)} records: passed before this run resumed, not measured again`);
          continue;
        }
        results.push(await this.#measure(size));
      }
    }
    for (const line of summaryTable(results)) out(line);
    for (const line of targetVerdicts(results)) out(line);
    if (o.soakMinutes > 0) await this.#soak();
  }

  /** `--resume`: what the cell holds and how it came, per the fill record of the stopped run. */
  async #resumeAt(): Promise<void> {
    const cell = await this.#start();
    await this.#readViews(cell);
    this.#stored = (await readStats(cell.port, this.#keys.operator)).totals.stored;
    const known = this.#viaHttp + this.#viaBulk;
    out(
      `resuming the fill of ${this.#dataDir} at ${fmt(this.#stored)} records stored: ${fmt(this.#viaHttp)} through HTTP, ` +
        `${fmt(this.#viaBulk)} through the bulk loader` +
        (this.#stored === known
          ? ''
          : `, ${fmt(this.#stored - known)} by a phase that was cut before it was recorded`) +
        `; invoices from #${fmt(this.#source.count)} on`,
    );
  }

  async #readViews(cell: CellChild): Promise<void> {
    const dashboards = await readAs(cell.port, this.#keys.operator, '/dashboards');
    this.#views = (JSON.parse(dashboards.body) as DashboardsAnswer).map((d) => d.id);
  }

  async #soak(): Promise<void> {
    const { soakMinutes, soakRate } = this.#options;
    const cell = await this.#restart();
    out('');
    out(
      `### soak: ${soakMinutes} min at ${fmt(soakRate)} events/s on the filled cell (restarted, ${fmt(this.#stored)} records stored)`,
    );
    out('');
    for (const line of soakHeader()) out(line);
    const minutes = await runSoak({
      target: this.#target,
      pid: cell.child.pid ?? 0,
      source: this.#liveSource(),
      stages: CELL_TOPOLOGY.stages,
      views: this.#views,
      minutes: soakMinutes,
      rate: soakRate,
      log: out,
    });
    // The soak drew invoices from the same numbering: a later run on this data dir must start after them.
    this.#viaHttp += minutes.reduce((sum, m) => sum + m.acceptedEvents, 0);
    this.#recordFill();
    for (const line of soakVerdicts(minutes, soakRate)) out(line);
    out(`machine at the end of the soak: ${loadLine()}`);
  }
}

async function main(): Promise<void> {
  const options = parseScaleOptions(process.argv.slice(2));
  const { dir, made } = dataDirOf(options);
  const bench = new ScaleBench(
    options,
    dir,
    options.measureExisting || options.resume ? readFill(dir, options.seed, options.resume, log) : undefined,
  );
  try {
    await bench.run();
  } finally {
    await bench.stop();
    if (made && !options.keep) fs.rmSync(dir, { recursive: true, force: true });
    else log(`data dir kept: ${dir}`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof ScaleOptionsError) {
    (error.exitCode === 0 ? process.stdout : process.stderr).write(`${error.message}\n`);
    process.exit(error.exitCode);
  }
  process.stderr.write(
    `scale bench failed: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
  );
  process.exit(1);
});
