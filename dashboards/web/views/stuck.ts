import type { StuckBody, StuckMessage } from '../api.js';
import { el, table } from '../dom.js';
import { formatDuration } from '../format.js';

/**
 * The stuck panel: invoices past their stage SLA (most overdue first, each a link that opens its
 * timeline) and, when there are any, stuck messages (DLQ, old messages).
 *
 * @example
 * renderStuck(body, await stuckAnswer);
 */
export function renderStuck(body: HTMLElement, stuck: StuckBody): void {
  const invoices = [...stuck.invoices].sort((a, b) => b.overdueSec - a.overdueSec);
  const rows = invoices.map((s) => [
    el('a', { href: `#invoice=${encodeURIComponent(s.invoiceId)}`, class: 'invoice-link' }, s.invoiceId),
    s.stage,
    el('span', { class: 'num' }, formatDuration(s.ageSec)),
    el('span', { class: 'num warn' }, formatDuration(s.overdueSec)),
    s.lastStatus,
  ]);
  const messages = stuck.messages ?? [];
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

function messagesTable(messages: readonly StuckMessage[]): HTMLTableElement {
  return table(
    ['stage', 'kind', 'invoice', 'receives', 'age', 'detail'],
    messages.map((m) => [
      m.stage ?? '',
      m.kind ?? '',
      m.invoiceId ?? '',
      String(m.receiveCount ?? ''),
      el('span', { class: 'num' }, m.ageSec === undefined ? '–' : formatDuration(m.ageSec)),
      m.message ?? m.eventId ?? '',
    ]),
    (i) => ({ 'data-testid': `stuck-message-${messages[i]?.eventId ?? messages[i]?.stage ?? ''}` }),
  );
}
