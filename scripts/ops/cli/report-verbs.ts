import { UsageError } from '../backend.js';
import { runAlarms, runReconcile, runStuck, runTimeline } from '../report-commands.js';
import { invoiceId, parseDurationMs } from './option-parsers.js';
import type { TargetOptions } from './target-backend.js';
import type { VerbKit } from './verb-kit.js';

/**
 * The read-only verbs: `timeline`, `stuck`, `reconcile` (exit 1 on a gap) and `alarms`.
 *
 * @example
 * registerTimeline(kit);
 * registerStuck(kit);
 */
export function registerTimeline(kit: VerbKit): void {
  kit
    .withTarget(
      kit.program
        .command('timeline')
        .description('every stored stage event of one invoice, in lifecycle order')
        .argument('<invoiceId>', 'the invoice', invoiceId),
    )
    .action(async (id: string, opts: TargetOptions) => {
      kit.setExitCode(await runTimeline(kit.backendFor(opts), id, kit.verbContext(opts)));
    });
}

export function registerStuck(kit: VerbKit): void {
  kit
    .withTarget(
      kit.program
        .command('stuck')
        .description(
          'stuck invoices (past their stage SLA) and stuck messages (DLQs, old queue messages), by stage and age',
        )
        .addOption(kit.stageOption('only this stage')),
    )
    .action(async (opts: TargetOptions & { stage?: string }) => {
      kit.setExitCode(
        await runStuck(
          kit.backendFor(opts),
          opts.stage ? kit.stagesOf(opts.stage)[0]?.name : undefined,
          kit.verbContext(opts),
        ),
      );
    });
}

export function registerReconcile(kit: VerbKit): void {
  kit
    .withTarget(
      kit.program
        .command('reconcile')
        .description(
          'verify counts for a window: accepted = stored + in DLQ + in flight, per stage; exit 1 on a gap',
        )
        .requiredOption('--from <time>', 'window start: RFC 3339, or an age like 24h', kit.parseTime)
        .option('--to <time>', 'window end (default: now)', kit.parseTime),
    )
    .action(async (opts: TargetOptions & { from: number; to?: number }) => {
      const toMs = opts.to ?? kit.io.now();
      if (opts.from >= toMs) throw new UsageError('--from must be before --to');
      kit.setExitCode(
        await runReconcile(kit.backendFor(opts), { fromMs: opts.from, toMs }, kit.verbContext(opts)),
      );
    });
}

export function registerAlarms(kit: VerbKit): void {
  kit
    .withTarget(
      kit.program
        .command('alarms')
        .description('current alarm states and recent transitions')
        .option('--history <duration>', 'how far back to list transitions', parseDurationMs, 86_400_000),
    )
    .action(async (opts: TargetOptions & { history: number }) => {
      kit.setExitCode(
        await runAlarms(kit.backendFor(opts), Math.round(opts.history / 1000), kit.verbContext(opts)),
      );
    });
}
