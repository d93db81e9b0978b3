import path from 'node:path';
import Database from 'better-sqlite3';
import { percentile } from './percentile.js';

/** Throughput and ingest-to-queryable latency of the records a load produced. */
export interface StoredFigures {
  readonly stored: number;
  readonly storedPerSec: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
}

/**
 * Figures over the records the timed load produced (warm-up excluded), from the cell's SQLite file
 * opened read-only after the cell stopped: latency = stored_at_ms − received_at_ms, both stamped by
 * the cell.
 *
 * @example
 * const stored = readStoredFigures(dataDir, loadStartMs);
 */
export function readStoredFigures(dataDir: string, loadStartMs: number): StoredFigures {
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
