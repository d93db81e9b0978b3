import { $ } from './dom.js';

/**
 * The controls form: the time range (a preset or a custom from/to), the stage and cell filters
 * and the invoice search box; what they ask for as query parameters, and their listeners.
 *
 * @example
 * bindControls({ onFilterChange: restart, onInvoiceSearch: (id) => void searchInvoice(id) });
 */

/** The preset ranges of the range select, by option value. */
const RANGES_MS: Record<string, number> = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
};

/** The filters sent with every panel query when set. */
const FILTERS = ['stage', 'cell'] as const;

/** The window and filters of the controls, ready to send. */
export interface CurrentQuery {
  readonly params: URLSearchParams;
  readonly fromMs: number;
  readonly toMs: number;
}

/** What the controls' listeners call. */
export interface ControlHandlers {
  /** The range or a filter changed. */
  readonly onFilterChange: () => void;
  /** Enter in the invoice box. */
  readonly onInvoiceSearch: (invoiceId: string) => void;
}

function controls(): HTMLFormElement {
  return $('form.controls') as HTMLFormElement;
}

/**
 * A named field of the controls form.
 *
 * @example
 * field('range').value; // '1h'
 */
export function field(name: string): HTMLInputElement | HTMLSelectElement {
  return controls().elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
}

/**
 * The window and filters as query parameters (`from`, `to` RFC 3339; `stage`, `cell` when set).
 *
 * @example
 * const { params, fromMs, toMs } = currentQuery();
 */
export function currentQuery(): CurrentQuery {
  const range = field('range').value;
  let toMs = Date.now();
  let fromMs = toMs - (RANGES_MS[range] ?? 3_600_000);
  if (range === 'custom') {
    const from = Date.parse(field('from').value);
    const to = Date.parse(field('to').value);
    if (Number.isFinite(from)) fromMs = from;
    if (Number.isFinite(to)) toMs = to;
  }
  const params = new URLSearchParams({
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
  });
  for (const name of FILTERS) {
    const v = field(name).value;
    if (v) params.set(name, v);
  }
  return { params, fromMs, toMs };
}

/** Shows the from/to inputs for a custom range, first filled with the last hour (local time). */
function showCustomRange(form: HTMLFormElement): void {
  const custom = field('range').value === 'custom';
  for (const label of Array.from(form.querySelectorAll<HTMLElement>('label.custom'))) label.hidden = !custom;
  if (custom && !field('from').value) {
    const toLocal = (ms: number) =>
      new Date(ms - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    field('from').value = toLocal(Date.now() - 3_600_000);
    field('to').value = toLocal(Date.now());
  }
}

/**
 * Listens to the controls: a range or filter change calls `onFilterChange` (the invoice box is
 * not a filter), Enter in the invoice box calls `onInvoiceSearch`; the form never submits.
 *
 * @example
 * bindControls({ onFilterChange: restart, onInvoiceSearch: (id) => void searchInvoice(id) });
 */
export function bindControls(handlers: ControlHandlers): void {
  const form = controls();
  form.addEventListener('submit', (e) => e.preventDefault());
  form.addEventListener('change', (e) => {
    const target = e.target as HTMLElement;
    if (target === field('invoice')) return;
    showCustomRange(form);
    handlers.onFilterChange();
  });
  field('invoice').addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter') {
      e.preventDefault();
      handlers.onInvoiceSearch(field('invoice').value);
    }
  });
}
