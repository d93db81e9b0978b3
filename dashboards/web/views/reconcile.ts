import type { ReconcileBody, ReconcileStage } from '../api.js';
import { el, table } from '../dom.js';

/** The number of missing events, whether the answer lists them or counts them. */
function missingCount(missing: ReconcileStage['missing']): number {
  return Array.isArray(missing) ? missing.length : Number(missing) || 0;
}

/**
 * The reconcile panel: whether every accepted event is accounted for, and per stage the counts
 * that must add up (accepted = stored + in DLQ + in flight + missing).
 *
 * @example
 * renderReconcile(body, { balanced: true, stages: [] });
 */
export function renderReconcile(body: HTMLElement, report: ReconcileBody): void {
  const rows = report.stages.map((s) => [
    s.stage,
    ...[s.accepted, s.stored, s.inDlq, s.inFlight, missingCount(s.missing)].map((n) =>
      el('span', { class: 'num' }, String(n)),
    ),
    el('span', { class: s.balanced ? 'ok' : 'bad' }, s.balanced ? 'balanced' : 'NOT balanced'),
  ]);
  body.replaceChildren(
    el(
      'p',
      {
        class: report.balanced ? 'health ok' : 'health bad',
        'data-testid': 'reconcile-balanced',
        'data-balanced': String(report.balanced),
      },
      report.balanced
        ? 'Every accepted event is stored, in a DLQ or in flight.'
        : 'Some accepted events are unaccounted for.',
    ),
    table(['stage', 'accepted', 'stored', 'in DLQ', 'in flight', 'missing', ''], rows, (i) => ({
      'data-testid': `reconcile-row-${report.stages[i]?.stage ?? ''}`,
    })),
  );
}
