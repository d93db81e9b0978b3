import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import { readExampleEvent } from '../../../schemas/files.js';
import {
  type CellProcess,
  startCellProcess,
  stopAllCells,
  TEST_API_KEY,
  TEST_OPERATOR_KEY,
  tempDataDir,
} from '../../cells/local/helpers/cell-process.js';
import { waitFor } from '../../cells/local/helpers/wait-for.js';
import { jsonOf, runOps } from './support/run-ops.js';

/**
 * `invoice-ops` as an operator runs it (`node bin/invoice-ops.mjs`, a child process) against a real
 * local cell (another child process on a free port, temp data dir, known API key). The cell runs
 * with fault injection, one receive before the DLQ and a 1 s visibility timeout, so a refused
 * event reaches the DLQ in about a second.
 */

const example = (stage: string): Record<string, unknown> => readExampleEvent(stage);

let seq = 0;
/** A fresh valid lifecycle (one event per stage) of a new invoice, as `{"stage", "event"}` lines. */
function lifecycle(invoiceId: string): { lines: string; eventIds: string[] } {
  const eventIds: string[] = [];
  const lines = CELL_TOPOLOGY.stages
    .map((stage) => {
      seq++;
      const eventId = `0000${String(seq).padStart(4, '0')}-0000-4000-8000-${Date.now().toString().padStart(12, '0').slice(-12)}`;
      eventIds.push(eventId);
      return JSON.stringify({ stage: stage.name, event: { ...example(stage.name), eventId, invoiceId } });
    })
    .join('\n');
  return { lines: `${lines}\n`, eventIds };
}

interface TimelineJson {
  invoiceId: string;
  count: number;
  timeline: { stage: string; eventId: string; status: string }[];
}

let cell: CellProcess;
let workDir: string;
const target = () => ['--local', cell.url, '--api-key', TEST_API_KEY];
/** Redrive and replay need an operator key; posting events a producer key. */
const opsTarget = () => ['--local', cell.url, '--api-key', TEST_OPERATOR_KEY];

async function storedCount(invoiceId: string): Promise<number> {
  const res = await fetch(`${cell.url}/invoices/${invoiceId}`);
  return res.status === 200 ? ((await res.json()) as { count: number }).count : 0;
}

async function setFaults(eventIds: string[]): Promise<void> {
  const res = await fetch(`${cell.url}/admin/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': TEST_OPERATOR_KEY },
    body: JSON.stringify({ failEventIds: eventIds }),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  workDir = tempDataDir('ops-cli-');
  cell = await startCellProcess({
    dataDir: path.join(workDir, 'cell'),
    args: ['--enable-fault-injection', '--max-receive-count', '1', '--visibility-timeout-sec', '1'],
  });
});

afterAll(async () => {
  await cell?.stop();
  await stopAllCells();
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe('invoice-ops against a local cell', () => {
  describe('send', () => {
    it('sends a lifecycle file, reports every entry, and answers duplicates on a resend', async () => {
      // Prepare
      const { lines, eventIds } = lifecycle('INV-OPS-SEND-1');
      const file = path.join(workDir, 'lifecycle.jsonl');
      fs.writeFileSync(file, lines);

      // Act
      const first = await runOps(['send', file, ...target()]);
      const again = await runOps(['send', file, ...target(), '--json']);

      // Assess
      expect(first.code).toBe(0);
      for (const id of eventIds) expect(first.stdout).toMatch(new RegExp(`${id}\\s+accepted`));
      expect(first.stdout).toMatch(
        /4 event\(s\) to local cell .*: 4 accepted, 0 duplicate, 0 failed, 0 skipped/,
      );
      expect(again.code).toBe(0);
      const json = jsonOf<{ accepted: number; duplicate: number; entries: { status: string }[] }>(again);
      expect(json.duplicate).toBe(4);
      expect(json.entries.map((e) => e.status)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate']);
    });

    it('reads JSON lines from stdin with --stage', async () => {
      // Prepare
      const event = {
        ...example('ingestion'),
        eventId: '0000aaaa-0000-4000-8000-000000000001',
        invoiceId: 'INV-OPS-STDIN',
      };

      // Act
      const result = await runOps(['send', '--stage', 'ingestion', ...target()], {
        stdin: `${JSON.stringify(event)}\n`,
      });

      // Assess
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/INV-OPS-STDIN\s+0000aaaa-0000-4000-8000-000000000001\s+accepted/);
    });

    it('refuses an invalid file naming the line and field, and sends nothing of it', async () => {
      // Prepare
      const good = {
        ...example('ingestion'),
        eventId: '0000bbbb-0000-4000-8000-000000000001',
        invoiceId: 'INV-OPS-BAD',
      };
      const bad = {
        ...good,
        eventId: '0000bbbb-0000-4000-8000-000000000002',
        amount: { value: 10.5, currency: 'USD' },
      };

      // Act
      const result = await runOps(['send', '--stage', 'ingestion', ...target()], {
        stdin: `${JSON.stringify(good)}\n${JSON.stringify(bad)}\n`,
      });

      // Assess
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /line 2: invalid ingestion event: \/amount\/value must be a decimal string/,
      );
      expect(result.stderr).toMatch(/nothing was sent/);
      // The archive holds every accepted event: a dry-run replay of the invoice counts none.
      const archived = await fetch(`${cell.url}/replays`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': TEST_OPERATOR_KEY },
        body: JSON.stringify({
          from: '2000-01-01T00:00:00Z',
          to: '2100-01-01T00:00:00Z',
          invoiceId: 'INV-OPS-BAD',
          dryRun: true,
        }),
      }).then((r) => r.json() as Promise<{ total: number }>);
      expect(archived.total).toBe(0);
    });

    it('says how to pass the API key when the cell refuses the request', async () => {
      // Prepare
      const event = {
        ...example('ingestion'),
        eventId: '0000cccc-0000-4000-8000-000000000001',
        invoiceId: 'INV-OPS-NOKEY',
      };

      // Act
      const result = await runOps(['send', '--stage', 'ingestion', '--local', cell.url], {
        stdin: JSON.stringify(event),
      });

      // Assess
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/missing x-api-key.*pass --api-key or set INVOICE_OPS_API_KEY/);
    });

    it('takes the API key from INVOICE_OPS_API_KEY', async () => {
      // Prepare
      const event = {
        ...example('ingestion'),
        eventId: '0000dddd-0000-4000-8000-000000000001',
        invoiceId: 'INV-OPS-ENVKEY',
      };

      // Act
      const result = await runOps(['send', '--stage', 'ingestion', '--local', cell.url], {
        stdin: JSON.stringify(event),
        env: { INVOICE_OPS_API_KEY: TEST_API_KEY },
      });

      // Assess
      expect(result.code).toBe(0);
    });
  });

  describe('timeline', () => {
    it('prints every stage event of an invoice in lifecycle order', async () => {
      // Prepare
      const { lines, eventIds } = lifecycle('INV-OPS-TIMELINE');
      expect((await runOps(['send', ...target()], { stdin: lines })).code).toBe(0);
      await waitFor(async () => (await storedCount('INV-OPS-TIMELINE')) === 4, {
        what: 'the lifecycle stored',
      });

      // Act
      const table = await runOps(['timeline', 'INV-OPS-TIMELINE', '--local', cell.url]);
      const json = await runOps(['timeline', 'INV-OPS-TIMELINE', '--local', cell.url, '--json']);

      // Assess
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/4 event\(s\) of INV-OPS-TIMELINE/);
      const body = jsonOf<TimelineJson>(json);
      expect(body.timeline.map((t) => t.stage)).toEqual(CELL_TOPOLOGY.stages.map((s) => s.name));
      expect(body.timeline.map((t) => t.eventId)).toEqual(eventIds);
    });

    it('exits 1 with a clear message for an invoice with no stored events', async () => {
      // Act
      const result = await runOps(['timeline', 'INV-OPS-NEVER-SENT', '--local', cell.url]);

      // Assess
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/no stored events for invoice "INV-OPS-NEVER-SENT"/);
    });
  });

  describe('load', () => {
    it('sends the requested count, and the same seed sends the very same events again', async () => {
      // Prepare
      const args = [
        'load',
        ...target(),
        '--count',
        '40',
        '--rate',
        '400',
        '--seed',
        '4242',
        '--base-time',
        '2026-11-20T12:00:00Z',
        '--json',
      ];

      // Act
      const first = await runOps(args);
      const second = await runOps(args);

      // Assess
      expect(first.code).toBe(0);
      const a = jsonOf<{ sent: number; accepted: number; duplicates: number; failed: number; seed: number }>(
        first,
      );
      expect(a).toMatchObject({ sent: 40, accepted: 40, duplicates: 0, failed: 0, seed: 4242 });
      expect(first.stderr).toMatch(/load: seed 4242, 400 events\/s/);
      // Same ids, same content: the cell's idempotency answers every event `duplicate`, none conflicts.
      expect(second.code).toBe(0);
      expect(jsonOf<{ accepted: number; duplicates: number; failed: number }>(second)).toMatchObject({
        accepted: 0,
        duplicates: 40,
        failed: 0,
      });
    });

    it('prints plain progress lines and a summary table when stderr is not a terminal', async () => {
      // Act
      const result = await runOps(['load', ...target(), '--duration', '2s', '--rate', '50', '--seed', '7']);

      // Assess
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/load: \d+% \d+ ev\/s \| accepted \d+ \| errors 0 \| p50 \S+ \| p99 \S+/);
      expect(result.stdout).toMatch(/events sent\s+\d+/);
      expect(result.stdout).toMatch(/latency p50 \/ p99/);
    });
  });

  describe('dlq', () => {
    it('lists a dead-lettered event, counts it in a dry run, and redrives it by invoice', async () => {
      // Prepare: the store refuses one event until the fault is cleared; one receive sends it to the DLQ.
      const eventId = '0000eeee-0000-4000-8000-000000000001';
      const event = { ...example('ingestion'), eventId, invoiceId: 'INV-OPS-DLQ' };
      await setFaults([eventId]);
      expect(
        (await runOps(['send', '--stage', 'ingestion', ...target()], { stdin: JSON.stringify(event) })).code,
      ).toBe(0);
      await waitFor(
        async () => {
          const res = await fetch(`${cell.url}/dlq/ingestion?invoiceId=INV-OPS-DLQ`);
          return ((await res.json()) as { total: number }).total === 1;
        },
        { what: 'the event in the ingestion DLQ' },
      );

      // Act
      const list = await runOps(['dlq', 'list', '--stage', 'ingestion', '--local', cell.url, '--json']);
      const dry = await runOps([
        'dlq',
        'redrive',
        '--stage',
        'ingestion',
        '--invoice',
        'INV-OPS-DLQ',
        '--dry-run',
        ...opsTarget(),
      ]);
      const stillThere = await runOps(['dlq', 'list', '--invoice', 'INV-OPS-DLQ', '--local', cell.url]);
      await setFaults([]);
      const redrive = await runOps([
        'dlq',
        'redrive',
        '--stage',
        'ingestion',
        '--invoice',
        'INV-OPS-DLQ',
        '--rate',
        '5',
        ...opsTarget(),
      ]);

      // Assess
      expect(list.code).toBe(0);
      const listed = jsonOf<{
        stages: { stage: string; messages: { invoiceId: string; eventId: string }[] }[];
      }>(list);
      expect(listed.stages[0]?.messages).toContainEqual(
        expect.objectContaining({ invoiceId: 'INV-OPS-DLQ', eventId }),
      );
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/dry run: nothing was moved/);
      expect(dry.stdout).toMatch(/ingestion\s+INV-OPS-DLQ\s+dry-run\s+1\s+1/);
      expect(stillThere.stdout).toMatch(/ingestion DLQ: 1 message\(s\)/);
      expect(stillThere.stdout).toMatch(/posting DLQ: 0 message\(s\)/);
      expect(redrive.code).toBe(0);
      expect(redrive.stdout).toMatch(/ingestion\s+INV-OPS-DLQ\s+completed\s+1\s+1/);
      await waitFor(async () => (await storedCount('INV-OPS-DLQ')) === 1, {
        what: 'the redriven event stored',
      });
      // Five CLI processes and a DLQ round trip: more than the default minute on a loaded 2-core machine.
    }, 180_000);
  });

  describe('replay', () => {
    it('counts in a dry run, then replays a stage window to completion with progress', async () => {
      // Prepare
      const { lines } = lifecycle('INV-OPS-REPLAY');
      expect((await runOps(['send', ...target()], { stdin: lines })).code).toBe(0);
      const window = ['--from', '1h', '--to', 'now'];

      // Act
      const dry = await runOps([
        'replay',
        ...opsTarget(),
        ...window,
        '--stage',
        'posting',
        '--dry-run',
        '--json',
      ]);
      const run = await runOps([
        'replay',
        ...opsTarget(),
        ...window,
        '--stage',
        'posting',
        '--name',
        'ops-test-replay',
      ]);
      const again = await runOps(['replay', ...opsTarget(), ...window, '--name', 'ops-test-replay']);

      // Assess
      expect(dry.code).toBe(0);
      const counted = jsonOf<{ state: string; total: number; stage: string }>(dry);
      expect(counted.state).toBe('dry-run');
      expect(counted.stage).toBe('posting');
      expect(counted.total).toBeGreaterThan(0);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/ops-test-replay\s+completed\s+.*posting\s+(\d+) of \1/);
      expect(run.stderr).toMatch(/replay: ops-test-replay completed: \d+ of \d+ events/);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/a replay named "ops-test-replay" already exists/);
    });
  });
});
