import os from 'node:os';
import { fmt } from './results-table.js';
import type { IngestProbe } from './scale-probe.js';
import { READ_P95_TARGET_MS, type ReadFigures } from './scale-reads.js';

/**
 * What `bench:scale` prints, as pure functions of its figures: the machine line, one table per
 * size, the summary table (sizes as columns) and the target verdicts of issue 9 (met / MISSED;
 * the bench never fails on them).
 *
 * @example
 * for (const line of sizeTable(result)) console.log(line);
 * for (const line of [...summaryTable(results), ...targetVerdicts(results)]) console.log(line);
 */

/** RSS the cell must stay under at steady state (issue 9). */
export const RSS_TARGET_MIB = 512;
/** Ingest at the largest size must stay within this share of the empty cell's rate. */
export const INGEST_TOLERANCE = 0.1;

/** Everything measured at one size. */
export interface SizeResult {
  readonly size: number;
  /** `/stats` `totals.stored` when the reads began. */
  readonly stored: number;
  /** Records that came through HTTP (fill and ingest probes) and through the bulk loader so far. */
  readonly viaHttp: number;
  readonly viaBulk: number;
  /** Spawn to `cell ready` after the restart. */
  readonly startSec: number;
  /** `cell ready` to the end of the cell's start-up cache warm-up, which the reads wait for; undefined: none ran. */
  readonly warmupSec?: number;
  readonly reads: readonly ReadFigures[];
  /** The median ingest probe and every probe's rate. */
  readonly ingest: IngestProbe;
  /**
   * The same probes on an empty cell, each run just before its filled-cell round: the machine's
   * speed drifts by ±20 % over minutes here, so the baseline is measured alongside, not once.
   */
  readonly emptyIngest: IngestProbe;
  /** `cell.sqlite` + `cell.sqlite-wal` after the probe. */
  readonly dbBytes: number;
  readonly rssAfterReadsMiB: number;
  readonly rssAfterIngestMiB: number;
  /** {@link loadLine} at the end of the size's measurements. */
  readonly load: string;
}

/** `n` as a count with thousands separators; `unknown` for NaN (a cell filled by an earlier run). */
function count(n: number): string {
  return Number.isNaN(n) ? 'unknown' : fmt(n, 0);
}

/** A size as a column title: `1M`, `2.5M`, `20k`, `300`. */
export function sizeLabel(size: number): string {
  if (size >= 1_000_000) return `${Number((size / 1_000_000).toFixed(2))}M`;
  if (size >= 1_000) return `${Number((size / 1_000).toFixed(1))}k`;
  return String(size);
}

/** A Markdown table, columns padded to their widest cell; the first column left-aligned. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}

/** The machine and the date, for the top of the output. */
export function machineLine(now: Date = new Date()): string {
  const cpus = os.cpus();
  return (
    `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown cpu'}, ` +
    `${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM, node ${process.version}, ${os.platform()} ${os.release()}; ` +
    `${now.toISOString()}; ${loadLine()}`
  );
}

/**
 * The machine's 1-minute load average: the bench shares its cores with whatever else runs, and a
 * load above the core count means every figure here is slowed by others.
 */
export function loadLine(): string {
  return `load average ${fmt(os.loadavg()[0] ?? Number.NaN, 1)} on ${os.cpus().length} cores`;
}

function metOrMissed(met: boolean): string {
  return met ? 'met' : 'MISSED';
}

/**
 * The probes' rates as printed: `3 probes: 3,100, 3,250, 2,900 events/s`.
 *
 * @example
 * probeRates({ ...probe, rounds: [3100, 3250] }); // '2 probes: 3,100, 3,250 events/s'
 */
export function probeRates(probe: IngestProbe): string {
  const n = probe.rounds.length;
  return `${n} probe${n === 1 ? '' : 's'}: ${probe.rounds.map((r) => count(r)).join(', ')} events/s`;
}

/** Ingest at a size as a share of its empty cell's rate, e.g. `-4.2 %`. */
function ingestChange(result: SizeResult): string {
  const empty = result.emptyIngest.eventsPerSec;
  return `${fmt((100 * (result.ingest.eventsPerSec - empty)) / empty, 1)} %`;
}

/** The table and figures of one size. */
export function sizeTable(result: SizeResult): string[] {
  const rows = result.reads.map((r) => [
    r.name,
    String(r.n),
    fmt(r.coldMs, 1),
    fmt(r.p50Ms, 1),
    fmt(r.p95Ms, 1),
    fmt(r.maxMs, 1),
    String(r.failures),
    metOrMissed(r.p95Ms <= READ_P95_TARGET_MS && r.failures === 0),
  ]);
  const { ingest, emptyIngest } = result;
  return [
    '',
    `### ${count(result.size)} records (${count(result.stored)} stored: ${count(result.viaHttp)} through HTTP, ` +
      `${count(result.viaBulk)} through the bulk loader)`,
    '',
    ...markdownTable(
      ['read path', 'n', 'cold ms', 'p50 ms', 'p95 ms', 'max ms', 'failed', `p95 ≤ ${READ_P95_TARGET_MS} ms`],
      rows,
    ),
    '',
    `ingest through HTTP: ${count(ingest.events)} events in ${fmt(ingest.sec, 1)} s = ${count(ingest.eventsPerSec)} events/s ` +
      `(median of ${probeRates(ingest)}; ${count(ingest.retries)} requests retried)`,
    `ingest on an empty cell, probed in turn: ${count(emptyIngest.eventsPerSec)} events/s ` +
      `(median of ${probeRates(emptyIngest)}); the filled cell ${ingestChange(result)}`,
    `disk: ${fmt(result.dbBytes / 1e6, 1)} MB (cell.sqlite + -wal) = ${fmt(result.dbBytes / Math.max(1, ingest.stored), 0)} bytes per stored record`,
    `cell RSS: ${fmt(result.rssAfterReadsMiB, 0)} MiB after the reads, ${fmt(result.rssAfterIngestMiB, 0)} MiB after the ingest probe; ` +
      `restart to ready: ${fmt(result.startSec, 1)} s; ${warmupText(result)}; ${result.load}`,
  ];
}

function warmupText(result: SizeResult): string {
  return result.warmupSec === undefined
    ? 'no start-up cache warm-up (small file)'
    : `start-up cache warm-up ended ${fmt(result.warmupSec, 1)} s after ready; the reads waited for it`;
}

/** Every figure per size, sizes as columns. */
export function summaryTable(results: readonly SizeResult[]): string[] {
  const header = ['figure', ...results.map((r) => sizeLabel(r.size))];
  const row = (name: string, value: (r: SizeResult) => string) => [name, ...results.map(value)];
  const names = results[0]?.reads.map((r) => r.name) ?? [];
  const rows = [
    row('records through HTTP', (r) => count(r.viaHttp)),
    row('records through the bulk loader', (r) => count(r.viaBulk)),
    ...names.map((name) =>
      row(`${name} p95 ms`, (r) => fmt(r.reads.find((f) => f.name === name)?.p95Ms ?? Number.NaN, 1)),
    ),
    row('ingest events/s (HTTP)', (r) => count(r.ingest.eventsPerSec)),
    row('ingest events/s, empty cell', (r) => count(r.emptyIngest.eventsPerSec)),
    row('ingest vs empty cell', ingestChange),
    row('bytes on disk per record', (r) => fmt(r.dbBytes / Math.max(1, r.ingest.stored), 0)),
    row('cell RSS MiB (max)', (r) => fmt(Math.max(r.rssAfterReadsMiB, r.rssAfterIngestMiB), 0)),
    row('restart to ready s', (r) => fmt(r.startSec, 1)),
    row('cache warm-up after ready s', (r) => (r.warmupSec === undefined ? 'none' : fmt(r.warmupSec, 1))),
  ];
  return ['', '### summary', '', ...markdownTable(header, rows)];
}

/** The targets for the sizes measured, judged at the largest size (RSS at every size). */
export function targetVerdicts(results: readonly SizeResult[]): string[] {
  const last = results[results.length - 1];
  if (!last) return [];
  const at = `${count(last.size)} records`;
  const reads = [...last.reads].sort((a, b) => b.p95Ms - a.p95Ms || b.failures - a.failures);
  const over = reads.filter((r) => !(r.p95Ms <= READ_P95_TARGET_MS) || r.failures > 0);
  const worst = reads[0];
  const emptyPerSec = last.emptyIngest.eventsPerSec;
  const floor = (1 - INGEST_TOLERANCE) * emptyPerSec;
  const rss = results.map((r) => ({ size: r.size, mib: Math.max(r.rssAfterReadsMiB, r.rssAfterIngestMiB) }));
  const maxRss = rss.reduce((a, b) => (b.mib > a.mib ? b : a));
  return [
    '',
    '### targets',
    '',
    `- every read path p95 ≤ ${READ_P95_TARGET_MS} ms at ${at}: ${metOrMissed(over.length === 0)} ` +
      `(${over.length} of ${reads.length} paths over or failing; worst ${worst?.name} ${fmt(worst?.p95Ms ?? Number.NaN, 1)} ms)`,
    `- ingest at ${at} within ${INGEST_TOLERANCE * 100} % of the empty cell: ` +
      `${metOrMissed(last.ingest.eventsPerSec >= floor)} (${count(last.ingest.eventsPerSec)} vs ${count(emptyPerSec)} events/s, ` +
      `${ingestChange(last)}, medians of probes taken in turn)`,
    `- cell RSS ≤ ${RSS_TARGET_MIB} MiB at every size: ${metOrMissed(maxRss.mib <= RSS_TARGET_MIB)} ` +
      `(max ${fmt(maxRss.mib, 0)} MiB at ${count(maxRss.size)} records)`,
  ];
}
