import type { LocalCellPlugin } from './local-cell.js';

/**
 * The plugins `npm start` runs the cell with: monitoring routes and the web dashboard. Tests that
 * need a bare cell call `startLocalCell` without them; the CLI entry passes these.
 *
 * @example
 * await startLocalCell({ ...options, plugins: DEFAULT_PLUGINS });
 */
export const DEFAULT_PLUGINS: readonly LocalCellPlugin[] = [];
