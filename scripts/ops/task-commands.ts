import type { StageTopology } from '../../cells/topology.js';
import {
  EXIT_CODES,
  type OpsBackend,
  REDRIVE_STATES,
  REPLAY_STATES,
  type RedriveProgress,
  type ReplayProgress,
  type ReplayRequest,
} from './backend.js';
import { formatCount, renderJson, renderNotes, renderTable, type VerbContext } from './output.js';
import { createProgress } from './progress.js';

/**
 * The DLQ and archive verbs: `dlq list`, `dlq redrive`, `replay`. Redrive and replay are
 * destructive (they put messages back into processing), so both have `--dry-run`, and both show
 * progress until the task ends. Without `--stage`, DLQ verbs go through every stage in order.
 *
 * @example
 * await runDlqRedrive(backend, stages, { dryRun: true }, ctx);
 */

export async function runDlqList(
  backend: OpsBackend,
  stages: readonly StageTopology[],
  request: { invoiceId?: string; limit: number; subscriber?: string },
  ctx: VerbContext,
): Promise<number> {
  const listings = [];
  for (const stage of stages) listings.push(await backend.dlqList(stage, request));
  if (ctx.json) {
    ctx.io.stdout(renderJson({ target: backend.target, stages: listings }));
    return EXIT_CODES.ok;
  }
  for (const listing of listings) {
    ctx.io.stdout(`${dlqName(listing)} DLQ: ${formatCount(listing.total)} message(s)\n`);
    if (listing.messages.length > 0) {
      ctx.io.stdout(
        renderTable(
          [
            'invoice',
            'event',
            { header: 'receives', align: 'right' },
            'sent at',
            'dead-lettered at',
            'message id',
          ],
          listing.messages.map((m) => [
            m.invoiceId,
            m.eventId,
            String(m.receiveCount),
            m.sentAt,
            m.deadLetteredAt ?? '-',
            m.messageId,
          ]),
        ),
      );
    }
    ctx.io.stdout(renderNotes(listing.notes));
  }
  return EXIT_CODES.ok;
}

/** `posting`, or `ingestion/billify` for a subscriber's DLQ. */
function dlqName(of: { readonly stage: string; readonly subscriber?: string }): string {
  return of.subscriber ? `${of.stage}/${of.subscriber}` : of.stage;
}

function redriveText(p: RedriveProgress): string {
  const of = p.total === undefined ? '' : ` of ${formatCount(p.total)}`;
  return `${p.state}: ${formatCount(p.moved)}${of} moved${p.skipped ? `, ${p.skipped} skipped` : ''}`;
}

export async function runDlqRedrive(
  backend: OpsBackend,
  stages: readonly StageTopology[],
  request: { invoiceId?: string; ratePerSec?: number; dryRun: boolean; subscriber?: string },
  ctx: VerbContext,
): Promise<number> {
  const results: RedriveProgress[] = [];
  for (const stage of stages) {
    const progress = createProgress(ctx.io, {
      label: `redrive ${dlqName({ stage: stage.name, ...request })}${request.invoiceId ? ` ${request.invoiceId}` : ''}`,
    });
    let result: RedriveProgress;
    try {
      result = await backend.dlqRedrive(stage, request, {
        signal: ctx.signal,
        // A dry run answers at once: its table says it all.
        onProgress: (p) =>
          p.state === REDRIVE_STATES.dryRun
            ? undefined
            : progress.update({
                ...(p.total !== undefined ? { value: p.moved, total: p.total } : {}),
                text: redriveText(p),
              }),
      });
    } catch (error) {
      progress.stop();
      throw error;
    }
    progress.stop(request.dryRun ? undefined : redriveText(result));
    results.push(result);
  }
  if (ctx.json) {
    ctx.io.stdout(renderJson({ target: backend.target, dryRun: request.dryRun, stages: results }));
  } else {
    if (request.dryRun) ctx.io.stdout('dry run: nothing was moved\n');
    ctx.io.stdout(
      renderTable(
        [
          'stage',
          'invoice',
          'state',
          { header: request.dryRun ? 'would move' : 'moved', align: 'right' },
          { header: 'total', align: 'right' },
          { header: 'skipped', align: 'right' },
          'error',
        ],
        results.map((r) => [
          dlqName(r),
          r.invoiceId ?? 'all',
          r.state,
          request.dryRun ? formatCount(r.total) : formatCount(r.moved),
          formatCount(r.total),
          String(r.skipped ?? 0),
          r.error ?? '',
        ]),
      ),
    );
    ctx.io.stdout(renderNotes([...new Set(results.flatMap((r) => r.notes))]));
  }
  return results.some((r) => r.state === REDRIVE_STATES.failed || (r.skipped ?? 0) > 0)
    ? EXIT_CODES.failed
    : EXIT_CODES.ok;
}

function replayText(p: ReplayProgress): string {
  if (p.total !== undefined && p.replayed !== undefined) {
    return `${p.state}: ${formatCount(p.replayed)} of ${formatCount(p.total)} events`;
  }
  return `${p.state}: ${Math.round((p.fraction ?? 0) * 100)}% of the window`;
}

export async function runReplay(
  backend: OpsBackend,
  request: ReplayRequest,
  ctx: VerbContext,
): Promise<number> {
  const progress = createProgress(ctx.io, { label: 'replay' });
  let result: ReplayProgress;
  try {
    result = await backend.replay(request, {
      signal: ctx.signal,
      onProgress: (p) =>
        p.state === REPLAY_STATES.dryRun
          ? undefined
          : progress.update({
              ...(p.total !== undefined && p.replayed !== undefined
                ? { value: p.replayed, total: p.total }
                : { value: Math.round((p.fraction ?? 0) * 1000), total: 1000 }),
              text: `${p.name} ${replayText(p)}`,
            }),
    });
  } catch (error) {
    progress.stop();
    throw error;
  }
  progress.stop(request.dryRun ? undefined : `${result.name} ${replayText(result)}`);
  if (ctx.json) {
    ctx.io.stdout(renderJson({ target: backend.target, ...result }));
  } else {
    const dry = result.state === REPLAY_STATES.dryRun;
    if (dry) ctx.io.stdout('dry run: nothing was replayed\n');
    ctx.io.stdout(
      renderTable(
        [
          'replay',
          'state',
          'from',
          'to',
          'stage',
          { header: dry ? 'would replay' : 'replayed', align: 'right' },
          'error',
        ],
        [
          [
            result.name || '-',
            result.state,
            result.from,
            result.to,
            result.stage ?? 'all',
            result.total !== undefined
              ? dry
                ? formatCount(result.total)
                : `${formatCount(result.replayed)} of ${formatCount(result.total)}`
              : dry
                ? 'unknown (see note)'
                : `${Math.round((result.fraction ?? 0) * 100)}% of the window`,
            result.error ?? '',
          ],
        ],
      ),
    );
    ctx.io.stdout(renderNotes(result.notes));
  }
  return result.state === REPLAY_STATES.failed || result.state === REPLAY_STATES.cancelled
    ? EXIT_CODES.failed
    : EXIT_CODES.ok;
}
