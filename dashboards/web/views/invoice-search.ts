import type { TimelineAnswer } from '../../../schemas/api/index.js';
import { fetchInvoiceTimeline, HttpStatusError } from '../api.js';
import { field } from '../controls.js';
import { $, el, table } from '../dom.js';
import { formatMoney } from '../format.js';

/**
 * Invoice search: the timeline of one invoice (its stored events, stage by stage) in the box
 * above the summary, or why there is none.
 *
 * @example
 * void searchInvoice('INV-1');
 */
export async function searchInvoice(invoiceId: string): Promise<void> {
  const box = $('[data-testid="invoice-result"]');
  const id = invoiceId.trim();
  if (!id) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.replaceChildren(el('p', { class: 'muted' }, `Looking up ${id}…`));
  const close = el('button', { type: 'button', class: 'close', 'aria-label': 'Close' }, '×');
  close.addEventListener('click', () => {
    box.hidden = true;
  });
  try {
    const body = await fetchInvoiceTimeline(id);
    box.replaceChildren(close, ...timelineOf(body));
  } catch (error) {
    box.replaceChildren(close, lookupFailure(id, error));
  }
}

function timelineOf(body: TimelineAnswer): HTMLElement[] {
  const rows = body.timeline.map((t) => [
    t.stage,
    t.status,
    new Date(t.occurredAt).toLocaleString(),
    el('span', { class: 'num' }, formatMoney(t.amount.value, t.amount.currency)),
    el('span', { class: 'num' }, `${t.storedAtMs - t.receivedAtMs} ms`),
    el('code', {}, t.eventId),
  ]);
  return [
    el('h2', {}, `Invoice ${body.invoiceId} · ${body.timeline.length} stored events`),
    table(['stage', 'status', 'occurred at', 'amount', 'ingest → store', 'event id'], rows, () => ({
      'data-testid': 'timeline-row',
    })),
  ];
}

/** A 404 means no stored event (yet): said plainly, not as an error. */
function lookupFailure(id: string, error: unknown): HTMLParagraphElement {
  const notFound = error instanceof HttpStatusError && error.status === 404;
  return el(
    'p',
    {
      class: notFound ? 'muted' : 'error',
      'data-testid': notFound ? 'invoice-not-found' : 'invoice-error',
    },
    notFound
      ? `No stored events for invoice “${id}”. Check the id, or it may still be in a queue or DLQ.`
      : (error as Error).message,
  );
}

/**
 * Makes the invoice links of the grid (stuck invoices) open their timeline in the search box.
 *
 * @example
 * bindInvoiceLinks();
 */
export function bindInvoiceLinks(): void {
  $('main.grid').addEventListener('click', (e) => {
    const link = (e.target as HTMLElement).closest<HTMLAnchorElement>('a.invoice-link');
    if (!link) return;
    e.preventDefault();
    field('invoice').value = link.textContent ?? '';
    void searchInvoice(link.textContent ?? '');
  });
}
