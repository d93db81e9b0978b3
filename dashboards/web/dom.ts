/**
 * The page's DOM helpers: find an element that must exist, build an element, build a table.
 *
 * @example
 * $('main.grid').replaceChildren(el('p', { class: 'muted' }, 'No dashboards.'));
 */

/**
 * The element a selector names; throws when the page lacks it (a broken page, not a state).
 *
 * @example
 * const banner = $('[data-testid="error-banner"]');
 */
export function $(selector: string): HTMLElement {
  const el = document.querySelector<HTMLElement>(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return el;
}

/**
 * A new element with attributes (`class` sets the class name) and children.
 *
 * @example
 * el('span', { class: 'num', 'data-testid': 'cell-value' }, '12 ms');
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

/**
 * A table with a header row and one body row per cell list; `attrs(i)` sets row i's attributes.
 *
 * @example
 * table(['stage', 'count'], [['ingest', '3']], (i) => ({ 'data-testid': `row-${i}` }));
 */
export function table(
  headers: string[],
  rows: (Node | string)[][],
  attrs: (i: number) => Record<string, string> = () => ({}),
): HTMLTableElement {
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((cells, i) => el('tr', attrs(i), ...cells.map((c) => el('td', {}, c))))),
  );
}
