import type { AlarmsAnswer, AlarmTransitionAnswer } from '../../../schemas/api/index.js';
import { el, table } from '../dom.js';
import { formatNumber, formatSince } from '../format.js';

/** Transitions shown under the alarm table. */
const SHOWN_TRANSITIONS = 8;

/** What the alarms panel shows: the composite alarm, every rule and the transitions (`/alarms`). */
export type AlarmsView = Pick<AlarmsAnswer, 'cellUnhealthy' | 'alarms' | 'transitions'>;

/**
 * The alarms panel: the cell's health, every alarm (firing ones first) with its value against
 * its threshold, and the most recent state transitions.
 *
 * @example
 * renderAlarms(body, { cellUnhealthy: 'OK', alarms: [], transitions: [] });
 */
export function renderAlarms(body: HTMLElement, alarms: AlarmsView): void {
  const sorted = [...alarms.alarms].sort((a, b) => Number(b.state === 'ALARM') - Number(a.state === 'ALARM'));
  const rows = sorted.map((a) => [
    el('span', { class: `state state-${a.state.toLowerCase()}` }, a.state),
    a.title,
    a.stage ?? 'cell',
    a.severity,
    el('span', { class: 'num' }, `${a.value === null ? '–' : formatNumber(a.value)} / ${a.threshold}`),
    formatSince(a.since),
  ]);
  const unhealthy = alarms.cellUnhealthy === 'ALARM';
  // Newest first, as the monitoring route answers.
  const transitions = alarms.transitions.slice(0, SHOWN_TRANSITIONS);
  body.replaceChildren(
    el(
      'p',
      { class: unhealthy ? 'health bad' : 'health ok', 'data-testid': 'cell-health' },
      unhealthy ? 'Cell unhealthy (a critical alarm fires)' : 'Cell healthy',
    ),
    table(['state', 'alarm', 'stage', 'severity', 'value / threshold', 'since'], rows, (i) => ({
      'data-testid': `alarm-${sorted[i]?.id ?? ''}`,
      'data-state': sorted[i]?.state ?? '',
    })),
    el('h3', {}, 'Recent transitions'),
    transitions.length === 0
      ? el('p', { class: 'muted' }, 'No transitions yet.')
      : transitionList(transitions),
  );
}

function transitionList(transitions: readonly AlarmTransitionAnswer[]): HTMLUListElement {
  return el(
    'ul',
    { class: 'history', 'data-testid': 'alarm-history' },
    ...transitions.map((t) =>
      // A stored transition of a rule that no longer exists has no title: its rule id stands in.
      el('li', {}, `${formatSince(t.atMs)} ${t.title ?? t.ruleId}: ${t.from} → ${t.to}`),
    ),
  );
}
