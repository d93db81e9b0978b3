import {
  CancelReplayCommand,
  DescribeArchiveCommand,
  DescribeReplayCommand,
  type DescribeReplayCommandOutput,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { isoFromMs } from '../../../schemas/time.js';
import {
  InterruptedError,
  REPLAY_STATES,
  type ReplayProgress,
  type ReplayRequest,
  type ReplayState,
  UsageError,
  type Watch,
} from '../backend.js';
import { type AwsCell, pausePoll } from './aws-cell.js';
import { awsCall } from './aws-error.js';
import type { CellResources } from './cell-resources.js';
import { stageRuleArn } from './stage-rule.js';

const AWS_REPLAY_STATES: Readonly<Record<string, ReplayState>> = {
  STARTING: REPLAY_STATES.starting,
  RUNNING: REPLAY_STATES.running,
  CANCELLING: REPLAY_STATES.cancelling,
  COMPLETED: REPLAY_STATES.completed,
  FAILED: REPLAY_STATES.failed,
  CANCELLED: REPLAY_STATES.cancelled,
};
const NOTES = ['AWS reports progress as the time of the last replayed event, not as a count'];

/** What every progress report of one replay repeats. */
interface ReplayBase {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly stage?: ReplayProgress['stage'];
}

/**
 * `replay` on a deployed cell: `StartReplay` archive → bus (through the stage's rule only with a
 * stage), `DescribeReplay` polled until it ends, `CancelReplay` on Ctrl-C (then
 * {@link InterruptedError}). A dry run describes the archive and starts nothing. EventBridge cannot
 * replay one invoice: `invoiceId` is a {@link UsageError}.
 *
 * @example
 * const done = await replayArchive(aws, { fromMs, toMs, dryRun: false }, watch);
 */
export async function replayArchive(
  aws: AwsCell,
  request: ReplayRequest,
  watch: Watch<ReplayProgress>,
): Promise<ReplayProgress> {
  if (request.invoiceId) {
    throw new UsageError(
      '--invoice is not supported against a deployed cell: EventBridge replays filter by rule, not by invoice (replay the window; idempotent writes make the extra events harmless)',
    );
  }
  const resources = await aws.resources();
  const name = request.name ?? `ops-${isoFromMs(aws.now()).replace(/[:.]/g, '-')}`;
  const filterArns = request.stage ? [await stageRuleArn(aws, request.stage, resources)] : undefined;
  const base: ReplayBase = {
    name,
    from: isoFromMs(request.fromMs),
    to: isoFromMs(request.toMs),
    ...(request.stage ? { stage: request.stage.name } : {}),
  };
  if (request.dryRun) return dryRun(aws, resources, base, filterArns, watch);
  await awsCall(`StartReplay ${name}`, () =>
    aws.clients.eventBridge.send(
      new StartReplayCommand({
        ReplayName: name,
        Description: `invoice-ops replay ${base.from} .. ${base.to}${request.stage ? ` (${request.stage.name})` : ''}`,
        EventSourceArn: resources.archiveArn,
        EventStartTime: new Date(request.fromMs),
        EventEndTime: new Date(request.toMs),
        Destination: { Arn: resources.busArn, ...(filterArns ? { FilterArns: filterArns } : {}) },
      }),
    ),
  );
  return watchReplay(aws, request, base, watch);
}

async function dryRun(
  aws: AwsCell,
  resources: CellResources,
  base: ReplayBase,
  filterArns: string[] | undefined,
  watch: Watch<ReplayProgress>,
): Promise<ReplayProgress> {
  const archive = await awsCall(`DescribeArchive ${resources.archiveName}`, () =>
    aws.clients.eventBridge.send(new DescribeArchiveCommand({ ArchiveName: resources.archiveName })),
  );
  const progress: ReplayProgress = {
    ...base,
    state: REPLAY_STATES.dryRun,
    notes: [
      `would replay archive ${resources.archiveName} (${archive.State ?? 'state unknown'}, ${archive.EventCount ?? '?'} events in all) to bus ${resources.busName}, ${base.from} .. ${base.to}${filterArns ? ` through rule ${filterArns[0]}` : ' through every rule'}`,
      'EventBridge cannot count the archived events of a window: the archive count covers all time, and CloudWatch counts are approximate',
    ],
  };
  watch.onProgress(progress);
  return progress;
}

/** Polls DescribeReplay until the replay ends, cancelling it once on abort. */
async function watchReplay(
  aws: AwsCell,
  window: ReplayRequest,
  base: ReplayBase,
  watch: Watch<ReplayProgress>,
): Promise<ReplayProgress> {
  const { name } = base;
  let progress: ReplayProgress = { ...base, state: REPLAY_STATES.starting, fraction: 0, notes: NOTES };
  watch.onProgress(progress);
  let cancelled = false;
  for (;;) {
    if (watch.signal.aborted && !cancelled) {
      cancelled = true;
      await awsCall(`CancelReplay ${name}`, () =>
        aws.clients.eventBridge.send(new CancelReplayCommand({ ReplayName: name })),
      );
    }
    await pausePoll(aws, cancelled ? undefined : watch.signal);
    const described = await awsCall(`DescribeReplay ${name}`, () =>
      aws.clients.eventBridge.send(new DescribeReplayCommand({ ReplayName: name })),
    );
    progress = progressOfReplay(base, window, progress, described);
    watch.onProgress(progress);
    const { state } = progress;
    if (
      state === REPLAY_STATES.completed ||
      state === REPLAY_STATES.failed ||
      state === REPLAY_STATES.cancelled
    ) {
      break;
    }
  }
  if (cancelled)
    throw new InterruptedError(
      `replay ${name} ${progress.state} after ${Math.round((progress.fraction ?? 0) * 100)}% of the window`,
    );
  return progress;
}

/** The progress a DescribeReplay answer shows: the share of the window replayed so far. Pure. */
function progressOfReplay(
  base: ReplayBase,
  window: ReplayRequest,
  previous: ReplayProgress,
  d: DescribeReplayCommandOutput,
): ReplayProgress {
  const state = AWS_REPLAY_STATES[d.State ?? ''] ?? REPLAY_STATES.running;
  const last = d.EventLastReplayedTime?.getTime();
  const span = window.toMs - window.fromMs;
  const fraction =
    state === REPLAY_STATES.completed
      ? 1
      : last === undefined
        ? (previous.fraction ?? 0)
        : Math.max(0, Math.min(1, (last - window.fromMs) / span));
  return { ...base, state, fraction, ...(d.StateReason ? { error: d.StateReason } : {}), notes: NOTES };
}
