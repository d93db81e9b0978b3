import { isoFromMs } from '../../schemas/time.js';
import { percentile } from './percentile.js';
import { readAs } from './scale-http.js';

/**
 * The read paths the scale bench times at each size: every dashboard view over the last 24 h,
 * 7 d and 30 d, `/reconcile` over 24 h, `/stuck`, `/stats`, `/alarms` and the timeline of a random
 * known invoice. Each path gets one untimed-for-percentiles first request (reported as "cold":
 * the first read after a restart pays for cold pages), then `reads` timed requests one at a time,
 * so the figures are latencies, not throughput. A path stops early once it has spent
 * {@link PATH_BUDGET_MS}, so a slow path cannot hold the bench for hours; `n` says how many ran.
 *
 * @example
 * const figures = await measureReads(port, operatorKey, readPaths(views, Date.now(), pick), 20);
 */

const DAY_MS = 86_400_000;

/** The dashboard windows, ending now. */
export const READ_WINDOWS = [
  { label: '24 h', ms: DAY_MS },
  { label: '7 d', ms: 7 * DAY_MS },
  { label: '30 d', ms: 30 * DAY_MS },
] as const;

/** Time one path may take at one size, cold request included. */
export const PATH_BUDGET_MS = 60_000;

/** The p95 every read path must meet at the largest size (issue 9). */
export const READ_P95_TARGET_MS = 200;

export interface ReadPath {
  /** As printed, e.g. `executive 7 d`, `stuck`. */
  readonly name: string;
  /** The request path and query (a function: the timeline reads a different invoice each time). */
  readonly path: () => string;
}

export interface ReadFigures {
  readonly name: string;
  /** Timed requests made (≤ `reads`). */
  readonly n: number;
  readonly coldMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  /** Answers other than 200, plus dashboard panels that answered `{ error }`. */
  readonly failures: number;
  /** The first failure, shortened. */
  readonly firstFailure?: string;
}

function windowQuery(nowMs: number, ms: number): string {
  return `from=${encodeURIComponent(isoFromMs(nowMs - ms))}&to=${encodeURIComponent(isoFromMs(nowMs))}`;
}

/** Every read path, windows ending at `nowMs`. Pure apart from `randomInvoice`. */
export function readPaths(views: readonly string[], nowMs: number, randomInvoice: () => string): ReadPath[] {
  const paths: ReadPath[] = [];
  for (const view of views) {
    for (const w of READ_WINDOWS) {
      const path = `/dashboards/${encodeURIComponent(view)}/data?${windowQuery(nowMs, w.ms)}`;
      paths.push({ name: `${view} ${w.label}`, path: () => path });
    }
  }
  const reconcile = `/reconcile?${windowQuery(nowMs, DAY_MS)}`;
  paths.push(
    { name: 'reconcile 24 h', path: () => reconcile },
    { name: 'stuck', path: () => '/stuck' },
    { name: 'stats', path: () => '/stats' },
    { name: 'alarms', path: () => '/alarms' },
    { name: 'invoice timeline', path: () => `/invoices/${encodeURIComponent(randomInvoice())}` },
  );
  return paths;
}

/** Why an answer counts as a failure, or undefined: not 200, or a dashboard panel with an error. */
export function failureOf(status: number, body: string): string | undefined {
  if (status !== 200) return `${status} ${body.slice(0, 200)}`;
  if (!body.startsWith('{"view"')) return undefined;
  const panels = (JSON.parse(body) as { panels?: Record<string, object> }).panels ?? {};
  const failed = Object.entries(panels).filter(([, panel]) => 'error' in panel);
  if (failed.length === 0) return undefined;
  const [id, panel] = failed[0] as [string, { error: string }];
  return `${failed.length} panel(s) failed, e.g. ${id}: ${panel.error.slice(0, 160)}`;
}

/** Latency figures of one path's timed requests (ascending order not required). */
export function summarizeLatencies(
  name: string,
  coldMs: number,
  latencies: readonly number[],
  failures: readonly string[],
): ReadFigures {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    name,
    n: sorted.length,
    coldMs,
    p50Ms: percentile(sorted, 0.5),
    p95Ms: percentile(sorted, 0.95),
    maxMs: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
    failures: failures.length,
    ...(failures[0] !== undefined ? { firstFailure: failures[0] } : {}),
  };
}

/** Times every path: one cold request, then up to `reads` timed ones, within the path budget. */
export async function measureReads(
  port: number,
  key: string,
  paths: readonly ReadPath[],
  reads: number,
  log: (line: string) => void,
): Promise<ReadFigures[]> {
  const figures: ReadFigures[] = [];
  for (const path of paths) {
    const failures: string[] = [];
    const timed = async (): Promise<number> => {
      try {
        const res = await readAs(port, key, path.path());
        const failure = failureOf(res.status, res.body);
        if (failure) failures.push(failure);
        return res.ms;
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
        return Number.NaN;
      }
    };
    const started = performance.now();
    const coldMs = await timed();
    const latencies: number[] = [];
    while (latencies.length < reads && performance.now() - started < PATH_BUDGET_MS) {
      const ms = await timed();
      if (Number.isFinite(ms)) latencies.push(ms);
    }
    const result = summarizeLatencies(path.name, coldMs, latencies, failures);
    if (result.firstFailure)
      log(`read ${path.name}: ${result.failures} failed, first: ${result.firstFailure}`);
    figures.push(result);
  }
  return figures;
}
