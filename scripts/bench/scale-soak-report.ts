import { fmt } from './results-table.js';
import { RSS_TARGET_MIB } from './scale-report.js';

/**
 * What the soak prints, as pure functions of its minutes: a header, a row per minute (fixed
 * widths, so each row prints as its minute ends) and the verdicts of issue 9's soak targets: no
 * request over 1 s, no RSS growth after minute 5, RSS under 512 MiB at steady state.
 *
 * @example
 * log(soakHeader());
 * log(soakRow(minute));
 * for (const line of soakVerdicts(minutes, 1_500)) log(line);
 */

/** One minute of the soak. */
export interface SoakMinute {
  /** 1-based. */
  readonly minute: number;
  readonly sentEvents: number;
  readonly acceptedEvents: number;
  /** Events not sent because the open loop's cap of outstanding requests was reached. */
  readonly skippedEvents: number;
  readonly failedRequests: number;
  readonly rssMiB: number;
  readonly ingestP99Ms: number;
  readonly readP99Ms: number;
  readonly maxMs: number;
  readonly over1s: number;
  /** `/stats` visible + in flight at the minute's end; NaN when /stats did not answer. */
  readonly backlog: number;
}

/** RSS is steady when it grew at most this share after minute 5 (allocator and cache noise). */
export const RSS_GROWTH_TOLERANCE = 0.05;
/** The minute after which RSS must not grow (issue 9). */
export const WARM_MINUTES = 5;

const COLUMNS = [
  ['minute', 6],
  ['sent', 9],
  ['accepted', 9],
  ['skipped', 8],
  ['failed req', 10],
  ['RSS MiB', 8],
  ['ingest p99 ms', 13],
  ['read p99 ms', 11],
  ['max ms', 9],
  ['over 1 s', 8],
  ['backlog', 8],
] as const;

function row(cells: readonly string[]): string {
  return `| ${cells.map((c, i) => c.padStart(COLUMNS[i]?.[1] ?? 0)).join(' | ')} |`;
}

/** The header and rule of the per-minute rows. */
export function soakHeader(): string[] {
  return [row(COLUMNS.map(([name]) => name)), `|${COLUMNS.map(([, w]) => '-'.repeat(w + 2)).join('|')}|`];
}

/** One minute as a row under {@link soakHeader}. */
export function soakRow(m: SoakMinute): string {
  return row([
    String(m.minute),
    fmt(m.sentEvents),
    fmt(m.acceptedEvents),
    fmt(m.skippedEvents),
    fmt(m.failedRequests),
    fmt(m.rssMiB),
    fmt(m.ingestP99Ms, 1),
    fmt(m.readP99Ms, 1),
    fmt(m.maxMs, 1),
    fmt(m.over1s),
    fmt(m.backlog),
  ]);
}

function metOrMissed(met: boolean): string {
  return met ? 'met' : 'MISSED';
}

/** The soak's totals and verdicts. */
export function soakVerdicts(minutes: readonly SoakMinute[], rate: number): string[] {
  const sum = (f: (m: SoakMinute) => number) => minutes.reduce((a, m) => a + f(m), 0);
  const over1s = sum((m) => m.over1s);
  const finite = minutes.map((m) => m.maxMs).filter(Number.isFinite);
  const maxMs = finite.length > 0 ? Math.max(...finite) : Number.NaN;
  const sent = sum((m) => m.sentEvents);
  const accepted = sum((m) => m.acceptedEvents);
  const skipped = sum((m) => m.skippedEvents);
  const failed = sum((m) => m.failedRequests);
  const last = minutes[minutes.length - 1];
  const warm = minutes.find((m) => m.minute === WARM_MINUTES);
  const steady = minutes.filter((m) => m.minute >= WARM_MINUTES);
  const steadyRss = Math.max(...(steady.length > 0 ? steady : minutes).map((m) => m.rssMiB));
  const lines = [
    '',
    `soak: ${fmt(sent)} events sent of ${fmt(rate * 60 * minutes.length)} planned (${fmt(rate)}/s), ` +
      `${fmt(accepted)} accepted, ${fmt(skipped)} skipped at the outstanding cap, ${fmt(failed)} requests failed; ` +
      `backlog at the end ${fmt(last?.backlog ?? Number.NaN)}`,
    `- no request over 1 s: ${metOrMissed(over1s === 0)} (${fmt(over1s)} over 1 s; slowest ${fmt(maxMs, 1)} ms)`,
  ];
  if (warm && last && last.minute > WARM_MINUTES) {
    const growth = last.rssMiB - warm.rssMiB;
    lines.push(
      `- no RSS growth after minute ${WARM_MINUTES}: ${metOrMissed(growth <= RSS_GROWTH_TOLERANCE * warm.rssMiB)} ` +
        `(minute ${WARM_MINUTES} ${fmt(warm.rssMiB)} MiB → minute ${last.minute} ${fmt(last.rssMiB)} MiB, ` +
        `${growth >= 0 ? '+' : ''}${fmt(growth)} MiB; tolerance ${RSS_GROWTH_TOLERANCE * 100} %)`,
    );
  } else {
    lines.push(
      `- no RSS growth after minute ${WARM_MINUTES}: n/a (the soak ran ${minutes.length} minute(s); ` +
        `growth is judged from minute ${WARM_MINUTES} on)`,
    );
  }
  lines.push(
    `- cell RSS ≤ ${RSS_TARGET_MIB} MiB at steady state: ${metOrMissed(steadyRss <= RSS_TARGET_MIB)} ` +
      `(max ${fmt(steadyRss)} MiB${steady.length > 0 ? ` from minute ${WARM_MINUTES} on` : ''})`,
  );
  return lines;
}
