import type { ScenarioRow } from './scenario.js';

/** `12,345` with `digits` decimals, or `n/a` for a non-finite number. */
export function fmt(n: number, digits = 0): string {
  return Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';
}

const HEADER = [
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

/**
 * The results as a Markdown table, one line a string, followed by a blank line and the legend.
 *
 * @example
 * for (const line of resultsTable(rows, ceilings)) console.log(line);
 */
export function resultsTable(rows: readonly ScenarioRow[], ceilings: ReadonlyMap<string, number>): string[] {
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
  const widths = HEADER.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    '',
    line(HEADER),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...table.map(line),
    '',
    'accepted = 2xx events / load wall time; stored = records / (last stored_at − first receivedAt); e2e = stored_at_ms − receivedAtMs per record (ingest-to-queryable);',
    'late req = open-loop sends skipped because the outstanding cap was reached; % of raw = stored ev/s / raw ceiling (same sync mode).',
  ];
}
