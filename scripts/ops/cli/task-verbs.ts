import { InvalidArgumentError } from 'commander';
import { findStage } from '../../../cells/topology.js';
import { isoFromMs } from '../../../schemas/time.js';
import { UsageError } from '../backend.js';
import { runDlqList, runDlqRedrive, runReplay } from '../task-commands.js';
import { integer, invoiceId, positiveNumber, replayName } from './option-parsers.js';
import type { TargetOptions } from './target-backend.js';
import type { VerbKit } from './verb-kit.js';

/** A subscriber id as the topology declares them (cells/subscribers.ts): lowercase kebab-case. */
const SUBSCRIBER_ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** `--subscriber`'s value; `InvalidArgumentError` (exit 2) otherwise. */
export function subscriberId(value: string): string {
  if (!SUBSCRIBER_ID.test(value) || value.length > 40) {
    throw new InvalidArgumentError('must be a subscriber id: lowercase kebab-case, at most 40 characters');
  }
  return value;
}

/** `--subscriber` belongs to one stage's topic: it needs `--stage`. */
function checkSubscriberStage(opts: { stage?: string; subscriber?: string }): void {
  if (opts.subscriber !== undefined && opts.stage === undefined) {
    throw new UsageError(
      `--subscriber ${opts.subscriber} needs --stage: a subscriber is declared on one stage's topic`,
    );
  }
}

const SUBSCRIBER_HELP = "the DLQ of this subscriber of --stage instead of the stage's own";

interface DlqOptions extends TargetOptions {
  stage?: string;
  invoice?: string;
  subscriber?: string;
}

/**
 * The verbs that move messages and events: `dlq list`, `dlq redrive` and `replay`, the last two
 * with progress and Ctrl-C. `dlq list|redrive --stage <s> --subscriber <id>` work on the DLQ of a
 * subscriber declared on the stage (local: the DLQ routes' `subscriber`; AWS: the subscriber's
 * queues by their stack outputs).
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
        .option('--subscriber <id>', SUBSCRIBER_HELP, subscriberId)
        .option('--limit <n>', 'messages listed per stage at most', integer(1, 1_000), 100),
    )
    .action(async (opts: DlqOptions & { limit: number }) => {
      checkSubscriberStage(opts);
      const request = {
        limit: opts.limit,
        ...(opts.invoice ? { invoiceId: opts.invoice } : {}),
        ...(opts.subscriber ? { subscriber: opts.subscriber } : {}),
      };
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
        .option('--subscriber <id>', `${SUBSCRIBER_HELP}, back to the subscriber's queue`, subscriberId)
        .option('--rate <msgs/s>', 'messages per second', positiveNumber(10_000))
        .option('--dry-run', 'count what would be moved; move nothing', false),
    )
    .action(async (opts: DlqOptions & { rate?: number; dryRun: boolean }) => {
      checkSubscriberStage(opts);
      const request = {
        dryRun: opts.dryRun,
        ...(opts.invoice ? { invoiceId: opts.invoice } : {}),
        ...(opts.subscriber ? { subscriber: opts.subscriber } : {}),
        ...(opts.rate !== undefined ? { ratePerSec: opts.rate } : {}),
      };
      kit.setExitCode(
        await runDlqRedrive(kit.backendFor(opts), kit.stagesOf(opts.stage), request, kit.verbContext(opts)),
      );
    });
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
