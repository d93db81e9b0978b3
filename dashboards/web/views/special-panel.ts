import type { AlarmsBody, ReconcileBody, Row, StuckBody } from '../api.js';
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
export function renderSpecial(source: string, body: HTMLElement, data: { rows: Row[] } & Row): void {
  if (source === 'stuck') renderStuck(body, { ...data, invoices: data.rows } as unknown as StuckBody);
  else if (source === 'alarms') renderAlarms(body, { ...data, alarms: data.rows } as unknown as AlarmsBody);
  else renderReconcile(body, { ...data, stages: data.rows } as unknown as ReconcileBody);
}
