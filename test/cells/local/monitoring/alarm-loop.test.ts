import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../../cells/local/local-cell.js';
import { createLogger } from '../../../../cells/local/logger.js';
import { monitoringPlugin } from '../../../../cells/local/plugins/monitoring-plugin.js';
import { SampleEvents } from '../../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../../cells/topology.js';
import type { AlarmsAnswer } from '../../../../schemas/api/index.js';
import { CellClient } from '../helpers/cell-client.js';
import { deadLetterCellOptions } from '../helpers/dead-letter-cell.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The alarm loop's log of a real in-process cell (its JSON lines at info, captured): the first
 * evaluation of every rule at boot (INSUFFICIENT_DATA -> OK) is stored but not logged at info,
 * while an alarm that fires later is. Rules are evaluated with a 0.2 s period and a poison event
 * reaches the first stage's DLQ within seconds.
 */

const first = CELL_TOPOLOGY.stages[0] as StageTopology;
const DLQ_RULE = `${first.name}-dlq-not-empty`;

interface LogEntry {
  readonly level: string;
  readonly msg: string;
  readonly component?: string;
  readonly ruleId?: string;
}

let cell: LocalCell;
let client: CellClient;
let dataDir: string;
const lines: string[] = [];

const entries = (): LogEntry[] => lines.map((line) => JSON.parse(line) as LogEntry);

beforeAll(async () => {
  const options = deadLetterCellOptions('cell-alarm-log-', [
    monitoringPlugin({ evaluationIntervalMs: 200, rulePeriodSecOverride: 0.2 }),
  ]);
  dataDir = options.dataDir;
  const logger = createLogger({ level: 'info', base: { component: 'cell' }, write: (l) => lines.push(l) });
  cell = await startLocalCell({ ...options, logger });
  client = new CellClient(cell.url);
});

afterAll(async () => {
  await cell?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('AlarmLoop', () => {
  it('stores the boot-time transitions to OK without logging them at info', async () => {
    // Act
    const alarms = await client.get<AlarmsAnswer>(`/alarms?historySec=3600`);

    // Assess: every rule went INSUFFICIENT_DATA -> OK at boot (stored), and no info line says so.
    expect(alarms.status).toBe(200);
    const boot = alarms.body.transitions.filter((t) => t.from === 'INSUFFICIENT_DATA' && t.to === 'OK');
    expect(boot.map((t) => t.ruleId)).toContain(DLQ_RULE);
    expect(entries().filter((e) => e.msg.includes('INSUFFICIENT_DATA -> OK'))).toEqual([]);
    expect(entries().every((e) => typeof e.level === 'string' && typeof e.msg === 'string')).toBe(true);
  });

  it('logs an alarm that fires after boot', async () => {
    // Prepare
    const poison = new SampleEvents(CELL_TOPOLOGY).event(first, {
      invoiceId: 'INV-ALARM-LOG-1',
      amountValue: '1.00',
    });
    expect((await client.post('/admin/faults', { failEventIds: [poison.eventId] })).status).toBe(200);

    // Act
    expect((await client.post(first.routePath, poison)).status).toBe(200);

    // Assess
    const alarm = await waitFor(
      () => entries().find((e) => e.ruleId === DLQ_RULE && e.msg === `alarm ${DLQ_RULE}: OK -> ALARM`),
      { what: `the ${DLQ_RULE} alarm logged`, describe: () => client.stats() },
    );
    expect(alarm).toMatchObject({ level: 'error', component: 'monitoring' });
  });
});
