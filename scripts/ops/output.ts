/**
 * Output of `invoice-ops`: human tables by default, JSON for machines (`--json`). A tiny table
 * renderer (no installed table library; padding columns is a dozen lines) and the few formatters
 * every verb shares. Nothing here writes: verbs build text and hand it to the {@link OpsIo}.
 *
 * @example
 * io.stdout(renderTable(['stage', 'count'], [['ingestion', '3']]));
 * io.stdout(renderJson({ stage: 'ingestion', count: 3 }));
 */

/** Where a verb writes and what it may ask of the process; built by the CLI entry. */
export interface OpsIo {
  /** Results (tables, JSON). */
  stdout(text: string): void;
  /** Errors, warnings, progress lines. */
  stderr(text: string): void;
  /** True when stderr is a terminal: progress is drawn as a live bar instead of plain lines. */
  readonly stderrIsTty: boolean;
  /** The stream a live progress bar draws on (stderr), when it is a terminal. */
  readonly progressStream?: NodeJS.WritableStream;
  /** Reads all of stdin (the `send` verb without a file). */
  readStdin(): Promise<string>;
  now(): number;
}

/** What every verb gets besides its backend and options. */
export interface VerbContext {
  readonly io: OpsIo;
  /** `--json`: one JSON document on stdout instead of tables. */
  readonly json: boolean;
  /** Aborted on Ctrl-C. */
  readonly signal: AbortSignal;
}

export type Align = 'left' | 'right';

export interface Column {
  readonly header: string;
  readonly align?: Align;
}

/**
 * Renders rows under headers, columns padded to their widest cell, two spaces apart, with a newline
 * after every line. An empty table renders `(none)` under the headers.
 */
export function renderTable(
  columns: readonly (string | Column)[],
  rows: readonly (readonly string[])[],
): string {
  const cols: Column[] = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  const widths = cols.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cols
      .map((c, i) => {
        const cell = cells[i] ?? '';
        const width = widths[i] as number;
        return c.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const out = [line(cols.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w)))];
  if (rows.length === 0) out.push('(none)');
  else for (const row of rows) out.push(line(row));
  return `${out.join('\n')}\n`;
}

/** Pretty JSON with a trailing newline; bigints as strings. */
export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}

/** `45s`, `12m 5s`, `3h 20m`, `2d 4h`: ages and durations at a glance. */
export function formatDuration(totalSec: number): string {
  if (!Number.isFinite(totalSec)) return '-';
  const sec = Math.max(0, Math.round(totalSec));
  if (sec < 60) return `${sec}s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min}m ${sec % 60}s`;
  const hours = Math.floor(min / 60);
  if (hours < 48) return `${hours}h ${min % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** Milliseconds with a unit, for latencies. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)}s` : `${Math.round(ms)}ms`;
}

/** A count with thousands separators, or `-` when unknown. */
export function formatCount(n: number | undefined): string {
  return n === undefined ? '-' : n.toLocaleString('en-US');
}

/** Lines under a heading, for notes and caveats; empty string when there are none. */
export function renderNotes(notes: readonly string[]): string {
  return notes.length === 0 ? '' : `${notes.map((n) => `note: ${n}`).join('\n')}\n`;
}

/** The message of anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
