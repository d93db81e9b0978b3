import type { StuckAnswer, StuckMessageAnswer } from '../../../schemas/api/index.js';
import { el, table } from '../dom.js';
import { formatDuration } from '../format.js';

/** What the stuck panel shows: stuck invoices and stuck messages (`/stuck`, or the panel's rows). */
export type StuckView = Pick<StuckAnswer, 'invoices' | 'messages'>;

/**
 * The stuck panel: invoices past their stage SLA (most overdue first, each a link that opens its
 * timeline) and, when there are any, stuck messages (DLQ, old messages).
 *
 * @example
 * renderStuck(body, await stuckAnswer);
 */
export function renderStuck(body: HTMLElement, stuck: StuckView): void {
  const invoices = [...stuck.invoices].sort((a, b) => b.overdueSec - a.overdueSec);
  const rows = invoices.map((s) => [
    el('a', { href: `#invoice=${encodeURIComponent(s.invoiceId)}`, class: 'invoice-link' }, s.invoiceId),
    s.stage,
    el('span', { class: 'num' }, formatDuration(s.ageSec)),
    el('span', { class: 'num warn' }, formatDuration(s.overdueSec)),
    s.lastStatus,
  ]);
  const { messages } = stuck;
  body.replaceChildren(
    invoices.length === 0
      ? el('p', { class: 'muted', 'data-testid': 'stuck-empty' }, 'No invoice is past its stage SLA.')
      : table(['invoice', 'stage', 'age', 'overdue', 'last status'], rows, (i) => ({
          'data-testid': `stuck-row-${invoices[i]?.invoiceId ?? ''}`,
        })),
    ...(messages.length > 0
      ? [el('h3', {}, 'Stuck messages (DLQ, old messages)'), messagesTable(messages)]
      : []),
  );
}

/** A DLQ message names its invoice, receives and event; a too-old queue says why in `message`. */
function messageCells(m: StuckMessageAnswer): (Node | string)[] {
  const age = el('span', { class: 'num' }, formatDuration(m.ageSec));
  return m.kind === 'dlq'
    ? [m.stage, m.kind, m.invoiceId, String(m.receiveCount), age, m.eventId]
    : [m.stage, m.kind, '', '', age, m.message];
}

function messagesTable(messages: readonly StuckMessageAnswer[]): HTMLTableElement {
  return table(['stage', 'kind', 'invoice', 'receives', 'age', 'detail'], messages.map(messageCells), (i) => {
    const m = messages[i];
    return {
      'data-testid': `stuck-message-${m === undefined ? '' : m.kind === 'dlq' ? m.eventId : m.stage}`,
    };
  });
}
