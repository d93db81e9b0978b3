import type {
  AlarmsPanelData,
  PanelData,
  PanelError,
  ReconcilePanelData,
  StuckPanelData,
} from '../../../schemas/api/index.js';
import { renderAlarms } from './alarms.js';
import { renderReconcile } from './reconcile.js';
import { renderStuck } from './stuck.js';

/**
 * Sources whose panel data carries more than rows (and that have their own route too). Their
 * panels span the grid's width.
 */
export const SPECIAL_SOURCES: ReadonlySet<string> = new Set(['stuck', 'alarms', 'reconcile']);

/**
 * Stuck, alarm and reconcile panels: their data is the answer of /stuck, /alarms, /reconcile with
 * its list under `rows`.
 *
 * @example
 * if (SPECIAL_SOURCES.has(panel.source)) renderSpecial(panel.source, body, data);
 */
export function renderSpecial(source: string, body: HTMLElement, data: Exclude<PanelData, PanelError>): void {
  // The data does not name its source (the panel's metadata does), hence the casts by source.
  if (source === 'stuck') {
    const stuck = data as StuckPanelData;
    renderStuck(body, { invoices: stuck.rows, messages: stuck.messages });
  } else if (source === 'alarms') {
    const alarms = data as AlarmsPanelData;
    renderAlarms(body, { ...alarms, alarms: alarms.rows });
  } else {
    const reconcile = data as ReconcilePanelData;
    renderReconcile(body, { balanced: reconcile.balanced, stages: reconcile.rows });
  }
}
