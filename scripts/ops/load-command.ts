import type { CellTopology } from '../../cells/topology.js';
import { EXIT_CODES, type OpsBackend } from './backend.js';
import { createLoadGenerator } from './load-generator.js';
import { type LoadSnapshot, type LoadSummary, runLoad } from './load-runner.js';
import {
  formatCount,
  formatDuration,
  formatMs,
  renderJson,
  renderTable,
  type VerbContext,
} from './output.js';
import { createProgress } from './progress.js';

/**
 * `invoice-ops load`: generated invoice lifecycles ({@link createLoadGenerator}) sent at a target
 * rate ({@link runLoad}) with a live progress line, then a summary. Generated failures (MISMATCHED,
 * REJECTED, ...) and stalls are business outcomes the cell accepts; the exit code is 1 only when
 * events were refused or failed every attempt, 130 after Ctrl-C.
 *
 * @example
 * await runLoadCommand(backend, { topology, seed: 42, ratePerSec: 100, durationMs: 60_000, baseTimeMs: Date.now() }, ctx);
 */
export interface LoadCommandOptions {
  readonly topology: CellTopology;
  readonly seed: number;
  readonly ratePerSec: number;
  readonly durationMs?: number;
  readonly count?: number;
  readonly failureRate?: number;
  readonly stallRate?: number;
  readonly vendors?: number;
  readonly concurrency?: number;
  /** Business "now" of the generated lifecycles. */
  readonly baseTimeMs: number;
}

function progressText(s: LoadSnapshot): string {
  return [
    `${s.recentRate.toFixed(0)} ev/s`,
    `accepted ${formatCount(s.accepted + s.duplicates)}`,
    `errors ${formatCount(s.failed + s.requestErrors)}`,
    `p50 ${formatMs(s.p50Ms)}`,
    `p99 ${formatMs(s.p99Ms)}`,
  ].join(' | ');
}

export async function runLoadCommand(
  backend: OpsBackend,
  options: LoadCommandOptions,
  ctx: VerbContext,
): Promise<number> {
  const generator = createLoadGenerator({
    seed: options.seed,
    topology: options.topology,
    baseTimeMs: options.baseTimeMs,
    ...(options.failureRate !== undefined ? { failureRate: options.failureRate } : {}),
    ...(options.stallRate !== undefined ? { stallRate: options.stallRate } : {}),
    ...(options.vendors !== undefined ? { vendors: options.vendors } : {}),
  });
  const progress = createProgress(ctx.io, { label: 'load' });
  ctx.io.stderr(
    `load: seed ${options.seed}, ${options.ratePerSec} events/s${options.durationMs !== undefined ? ` for ${formatDuration(options.durationMs / 1000)}` : ''}${options.count !== undefined ? `, ${options.count} events at most` : ''} to ${backend.target}\n`,
  );
  let summary: LoadSummary;
  try {
    summary = await runLoad({
      generator,
      send: (stage, events) => backend.send(stage, events),
      ratePerSec: options.ratePerSec,
      ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
      ...(options.count !== undefined ? { count: options.count } : {}),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      maxEventsPerRequest: options.topology.settings.maxEventsPerRequest,
      signal: ctx.signal,
      onProgress: (s) =>
        progress.update({
          ...(options.count !== undefined
            ? { value: s.sent, total: options.count }
            : options.durationMs !== undefined
              ? { value: s.elapsedMs, total: options.durationMs }
              : {}),
          text: progressText(s),
        }),
    });
  } finally {
    progress.stop();
  }
  const rate =
    summary.elapsedMs > 0 ? ((summary.accepted + summary.duplicates) * 1000) / summary.elapsedMs : 0;
  if (ctx.json) {
    ctx.io.stdout(renderJson({ target: backend.target, ...summary, averageRate: rate }));
  } else {
    const rows: [string, string][] = [
      ['seed', String(summary.seed)],
      ['elapsed', formatDuration(summary.elapsedMs / 1000)],
      ['events sent', formatCount(summary.sent)],
      ['accepted', formatCount(summary.accepted)],
      ['duplicates', formatCount(summary.duplicates)],
      ['failed', formatCount(summary.failed)],
      ['request errors', formatCount(summary.requestErrors)],
      ['requests', formatCount(summary.requests)],
      ['average rate', `${rate.toFixed(1)} events/s`],
      ['latency p50 / p99', `${formatMs(summary.p50Ms)} / ${formatMs(summary.p99Ms)}`],
      ['invoices started', formatCount(summary.invoicesStarted)],
      ['invoices finished', formatCount(summary.invoicesFinished)],
      ['invoices abandoned', formatCount(summary.invoicesAbandoned)],
      ['invoices cut short', formatCount(summary.invoicesCutShort)],
      [
        'planned outcomes',
        `${summary.plannedOutcomes.completed} completed, ${summary.plannedOutcomes.failed} failed, ${summary.plannedOutcomes.stalled} stalled`,
      ],
    ];
    ctx.io.stdout(renderTable(['load', { header: 'value', align: 'right' }], rows));
    for (const e of summary.errorSamples) ctx.io.stderr(`error sample: ${e}\n`);
    if (summary.invoicesCutShort > 0) {
      ctx.io.stderr(
        `note: ${summary.invoicesCutShort} invoice(s) were cut short by the end of the run and will look stalled\n`,
      );
    }
  }
  if (summary.interrupted) return EXIT_CODES.interrupted;
  return summary.failed > 0 ? EXIT_CODES.failed : EXIT_CODES.ok;
}
