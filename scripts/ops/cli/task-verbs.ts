import { findStage } from '../../../cells/topology.js';
import { isoFromMs } from '../../../schemas/time.js';
import { UsageError } from '../backend.js';
import { runDlqList, runDlqRedrive, runReplay } from '../task-commands.js';
import { integer, invoiceId, positiveNumber, replayName } from './option-parsers.js';
import type { TargetOptions } from './target-backend.js';
import type { VerbKit } from './verb-kit.js';

/**
 * The verbs that move messages and events: `dlq list`, `dlq redrive` and `replay`, the last two
 * with progress and Ctrl-C.
 *
 * @example
 * registerDlq(kit);
 * registerReplay(kit);
 */
export function registerDlq(kit: VerbKit): void {
  const dlq = kit.program.command('dlq').description('dead-letter queues: list and redrive');
  kit
    .withTarget(
      dlq
        .command('list')
        .description('messages in the stage DLQs (all stages without --stage)')
        .addOption(kit.stageOption('only this stage'))
        .option('--invoice <invoiceId>', 'only this invoice', invoiceId)
        .option('--limit <n>', 'messages listed per stage at most', integer(1, 1_000), 100),
    )
    .action(async (opts: TargetOptions & { stage?: string; invoice?: string; limit: number }) => {
      const request = { limit: opts.limit, ...(opts.invoice ? { invoiceId: opts.invoice } : {}) };
      kit.setExitCode(
        await runDlqList(kit.backendFor(opts), kit.stagesOf(opts.stage), request, kit.verbContext(opts)),
      );
    });
  kit
    .withTarget(
      dlq
        .command('redrive')
        .description(
          'move DLQ messages back to their stage queue (all, or one invoice), with progress; Ctrl-C cancels an AWS move task',
        )
        .addOption(kit.stageOption('only this stage (default: every stage in order)'))
        .option('--invoice <invoiceId>', 'only this invoice', invoiceId)
        .option('--rate <msgs/s>', 'messages per second', positiveNumber(10_000))
        .option('--dry-run', 'count what would be moved; move nothing', false),
    )
    .action(
      async (opts: TargetOptions & { stage?: string; invoice?: string; rate?: number; dryRun: boolean }) => {
        const request = {
          dryRun: opts.dryRun,
          ...(opts.invoice ? { invoiceId: opts.invoice } : {}),
          ...(opts.rate !== undefined ? { ratePerSec: opts.rate } : {}),
        };
        kit.setExitCode(
          await runDlqRedrive(kit.backendFor(opts), kit.stagesOf(opts.stage), request, kit.verbContext(opts)),
        );
      },
    );
}

interface ReplayOptions extends TargetOptions {
  from: number;
  to?: number;
  stage?: string;
  invoice?: string;
  name?: string;
  dryRun: boolean;
}

export function registerReplay(kit: VerbKit): void {
  kit
    .withTarget(
      kit.program
        .command('replay')
        .description(
          'replay the archive for a time window (auditors), with progress; Ctrl-C cancels an AWS replay',
        )
        .requiredOption('--from <time>', 'window start: RFC 3339, or an age like 24h', kit.parseTime)
        .option('--to <time>', 'window end: RFC 3339, "now", or an age (default: now)', kit.parseTime)
        .addOption(kit.stageOption('only events of this stage'))
        .option('--invoice <invoiceId>', 'only events of this invoice (local cells only)', invoiceId)
        .option('--name <name>', 'replay name (default: generated)', replayName)
        .option('--dry-run', 'say what would be replayed; replay nothing', false),
    )
    .action(async (opts: ReplayOptions) => {
      const toMs = opts.to ?? kit.io.now();
      if (opts.from >= toMs) {
        throw new UsageError(`--from must be before --to (${isoFromMs(opts.from)} >= ${isoFromMs(toMs)})`);
      }
      const stage = opts.stage ? findStage(kit.topology, opts.stage) : undefined;
      const request = {
        fromMs: opts.from,
        toMs,
        dryRun: opts.dryRun,
        ...(stage ? { stage } : {}),
        ...(opts.invoice ? { invoiceId: opts.invoice } : {}),
        ...(opts.name ? { name: opts.name } : {}),
      };
      kit.setExitCode(await runReplay(kit.backendFor(opts), request, kit.verbContext(opts)));
    });
}
