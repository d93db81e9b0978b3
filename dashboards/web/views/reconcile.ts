import type { ReconcileAnswer } from '../../../schemas/api/index.js';
import { el, table } from '../dom.js';

/** What the reconcile panel shows: the verdict and each stage (`/reconcile`, or the panel's rows). */
export type ReconcileView = Pick<ReconcileAnswer, 'balanced' | 'stages'>;

/**
 * The reconcile panel: whether every accepted event is accounted for, and per stage the counts
 * that must add up (accepted = stored + in DLQ + in flight + missing).
 *
 * @example
 * renderReconcile(body, { balanced: true, stages: [] });
 */
export function renderReconcile(body: HTMLElement, report: ReconcileView): void {
  const rows = report.stages.map((s) => [
    s.stage,
    // A stage's `missing` lists the event ids (the report's top-level `missing` is their count).
    ...[s.accepted, s.stored, s.inDlq, s.inFlight, s.missing.length].map((n) =>
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
