import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalCell, startLocalCell } from '../../../../cells/local/local-cell.js';
import { SampleEvents } from '../../../../cells/local/sample-events.js';
import { buildTopology, STAGE_SETTINGS, type StageTopology } from '../../../../cells/topology.js';
import type { ErrorAnswer, SubscriberMessagesAnswer } from '../../../../schemas/api/index.js';
import type { InvoiceEvent } from '../../../../schemas/types.js';
import { CellClient, type TimelineBody } from '../helpers/cell-client.js';
import { TEST_API_KEY, TEST_OPERATOR_KEY, tempDataDir } from '../helpers/cell-process.js';
import { waitFor } from '../helpers/wait-for.js';

const topology = buildTopology({}, STAGE_SETTINGS, {
  ingestion: [{ id: 'eur-only', filterPolicy: { event: { amount: { currency: ['EUR'] } } } }],
});
const ingestion = topology.stages[0] as StageTopology;
const samples = new SampleEvents(topology);

function eventIn(currency: string, invoiceId: string): InvoiceEvent {
  const event = samples.event(ingestion, { invoiceId }) as InvoiceEvent & {
    amount: { value: string; currency: string };
  };
  return { ...event, amount: { ...event.amount, currency } } as InvoiceEvent;
}

describe('startLocalCell', () => {
  let cell: LocalCell | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    await cell?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    cell = undefined;
  });

  describe('stage subscribers', () => {
    it('delivers only matching stage messages to the subscriber queue, a resent one once, while the stage gets all', async () => {
      // Prepare
      dataDir = tempDataDir('cell-subscribers-');
      cell = await startLocalCell({
        dataDir,
        port: 0,
        apiKey: TEST_API_KEY,
        operatorKey: TEST_OPERATOR_KEY,
        logLevel: 'silent',
        topology,
      });
      const client = new CellClient(cell.url);
      const eur = eventIn('EUR', 'INV-SUB-EUR');
      const usd = eventIn('USD', 'INV-SUB-USD');

      // Act: the EUR event twice (same eventId: a retry the dedup window drops)
      const posted = [
        await client.post(ingestion.routePath, eur),
        await client.post(ingestion.routePath, usd),
        await client.post(ingestion.routePath, eur),
      ];
      const stored = await waitFor(
        async () => {
          const stats = await cell?.stats();
          // Settled: a stored event's message is deleted in the commit after its record's.
          const settled = stats && stats.totals.visible === 0 && stats.totals.inFlight === 0;
          return stats && settled && stats.totals.stored === 2 ? stats : undefined;
        },
        { what: 'both events stored and their messages deleted', describe: () => cell?.stats() },
      );
      const peek = await client.get<SubscriberMessagesAnswer>('/subscribers/ingestion/eur-only/messages');
      const unknown = await client.get<ErrorAnswer>('/subscribers/ingestion/usd-only/messages');

      // Assess
      expect(posted.map((p) => p.status)).toEqual([200, 200, 200]);
      expect(stored.totals).toMatchObject({ accepted: 2, stored: 2, unaccounted: 0 });
      for (const invoiceId of ['INV-SUB-EUR', 'INV-SUB-USD']) {
        const timeline = await client.get<TimelineBody>(`/invoices/${invoiceId}`);
        expect(timeline.body.count, invoiceId).toBe(1);
      }
      expect(peek.status).toBe(200);
      expect(peek.body).toMatchObject({ stage: 'ingestion', subscriber: 'eur-only', depth: 1 });
      expect(peek.body.messages.map((m) => [m.invoiceId, m.eventId])).toEqual([['INV-SUB-EUR', eur.eventId]]);
      expect(peek.body.messages[0]?.message).toMatchObject({ stage: 'ingestion', event: eur });
      expect(unknown.status).toBe(404);
      expect(unknown.body.message).toBe(
        'no subscriber usd-only on stage ingestion; declared: ingestion/eur-only',
      );
    });
  });
});
