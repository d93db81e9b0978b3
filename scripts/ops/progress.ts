import cliProgress from 'cli-progress';
import type { OpsIo } from './output.js';

/**
 * Progress of long operations (load, redrive, replay) on stderr, so stdout stays the result: a live
 * `cli-progress` bar when stderr is a terminal, plain lines every few seconds otherwise (CI logs,
 * pipes), always a last line when the operation ends.
 *
 * @example
 * const progress = createProgress(io, { label: 'replay audit-1' });
 * progress.update({ value: 40, total: 100, text: '40/100 events' });
 * progress.stop('completed: 100 events');
 */
export interface ProgressUpdate {
  /** Done so far; with `total`, drawn as a bar. */
  readonly value?: number;
  readonly total?: number;
  /** The line's text (counts, rates, state). */
  readonly text: string;
}

export interface Progress {
  update(update: ProgressUpdate): void;
  /** Ends the live line and writes `finalText` (if any) as a plain line. */
  stop(finalText?: string): void;
}

export interface ProgressOptions {
  readonly label: string;
  /** Plain-line interval when stderr is not a terminal. */
  readonly plainIntervalMs?: number;
}

const DEFAULT_PLAIN_INTERVAL_MS = 2_000;

/** A progress reporter that fits `io`: live bar on a TTY, periodic plain lines otherwise. */
export function createProgress(io: OpsIo, options: ProgressOptions): Progress {
  if (io.stderrIsTty && io.progressStream) return new BarProgress(io.progressStream, options.label);
  return new PlainProgress(io, options.label, options.plainIntervalMs ?? DEFAULT_PLAIN_INTERVAL_MS);
}

/** Plain lines: the first update, then at most one per interval, then the final line. */
class PlainProgress implements Progress {
  readonly #io: OpsIo;
  readonly #label: string;
  readonly #intervalMs: number;
  #lastAt = Number.NEGATIVE_INFINITY;
  #lastText = '';
  #lastPrinted = '';

  constructor(io: OpsIo, label: string, intervalMs: number) {
    this.#io = io;
    this.#label = label;
    this.#intervalMs = intervalMs;
  }

  update(update: ProgressUpdate): void {
    const now = this.#io.now();
    const text = withBar(update);
    if (now - this.#lastAt < this.#intervalMs || text === this.#lastText) return;
    this.#lastAt = now;
    this.#lastText = text;
    this.#lastPrinted = update.text;
    this.#io.stderr(`${this.#label}: ${text}\n`);
  }

  stop(finalText?: string): void {
    // The last periodic line may already say it.
    if (finalText !== undefined && finalText !== this.#lastPrinted)
      this.#io.stderr(`${this.#label}: ${finalText}\n`);
  }
}

function withBar(update: ProgressUpdate): string {
  if (update.total === undefined || update.value === undefined || update.total <= 0) return update.text;
  const pct = Math.min(100, Math.floor((update.value / update.total) * 100));
  return `${pct}% ${update.text}`;
}

/** A live single-line bar (cli-progress) with the text as payload. */
class BarProgress implements Progress {
  readonly #bar: cliProgress.SingleBar;
  readonly #stream: NodeJS.WritableStream;
  readonly #label: string;
  #started = false;

  constructor(stream: NodeJS.WritableStream, label: string) {
    this.#stream = stream;
    this.#label = label;
    this.#bar = new cliProgress.SingleBar(
      {
        stream,
        format: (options, params, payload: { text?: string; bounded?: boolean }) => {
          const bar = payload.bounded
            ? `[${cliProgress.Format.BarFormat(params.progress, options)}] ${Math.floor(params.progress * 100)}% `
            : '';
          return `${label} ${bar}${payload.text ?? ''}`;
        },
        hideCursor: true,
        barsize: 24,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(update: ProgressUpdate): void {
    const bounded = update.total !== undefined && update.value !== undefined && update.total > 0;
    const payload = { text: update.text, bounded };
    const total = bounded ? (update.total as number) : 1;
    const value = bounded ? Math.min(update.value as number, total) : 0;
    if (!this.#started) {
      this.#bar.start(total, value, payload);
      this.#started = true;
    } else {
      this.#bar.setTotal(total);
      this.#bar.update(value, payload);
    }
  }

  stop(finalText?: string): void {
    if (this.#started) this.#bar.stop();
    if (finalText !== undefined) this.#stream.write(`${this.#label}: ${finalText}\n`);
  }
}
