import { afterEach, describe, expect, it, vi } from 'vitest';
import { businessTimeWindow } from '../../cells/business-time.js';
import { CELL_TOPOLOGY, type StageName } from '../../cells/topology.js';
import type { InvoiceRecord } from '../../consumers/record.js';
import { type ProcessorDeps, type ProcessorObserver, processBatch } from '../../consumers/stage-processor.js';
import type { TimeseriesStore, WriteResult } from '../../consumers/store.js';
import { eventFor, eventIdFor, sqsRecordFor, stageMessage } from './support/builders.js';

const STAGE: StageName = 'posting';
const RECEIVED_MS = Date.parse('2026-11-29T20:40:00Z');
const DAY_MS = 86_400_000;
const DEFAULT_WINDOW =
  'must be between 2021-11-30T20:40:00.000Z and 2026-11-29T20:45:00.000Z ' +
  '(at most 300 s ahead of the time the cell received it, at most 1825 days old)';

/** A store that keeps every write. */
class RecordingStore implements TimeseriesStore {
  readonly written: InvoiceRecord[] = [];

  async writeRecords(records: readonly InvoiceRecord[]): Promise<WriteResult> {
    this.written.push(...records);
    return { rejected: [] };
  }

  async timeline(): Promise<InvoiceRecord[]> {
    return [...this.written];
  }

  async aggregate(): Promise<[]> {
    return [];
  }
}

function setup() {
  const store = new RecordingStore();
  const failed = vi.fn<NonNullable<ProcessorObserver['failed']>>();
  const deps: ProcessorDeps = {
    stage: STAGE,
    cell: { cell: 'us-east-1', region: 'us-east-1' },
    store,
    businessTime: businessTimeWindow(CELL_TOPOLOGY.settings),
    observer: { failed },
  };
  return { store, failed, deps };
}

/** Posting event `n` of `invoiceId` at `occurredAt`, received at {@link RECEIVED_MS}, as SQS record `m<n>`. */
function recordAt(n: number, invoiceId: string, occurredAt: string) {
  const event = eventFor(STAGE, { eventId: eventIdFor(n), invoiceId, occurredAt });
  return sqsRecordFor(stageMessage(STAGE, event, { receivedAtMs: RECEIVED_MS }), `m${n}`);
}

describe('StageProcessor', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('processBatch with the business-time window', () => {
    it.each([
      ['an hour ahead of receivedAtMs', '2026-11-29T21:40:00Z'],
      ['in year 9999', '9999-11-20T09:15:00Z'],
      ['older than the maximum age', '2021-11-30T20:39:59.999Z'],
    ])(
      'fails a message whose occurredAt is %s, naming the field and the window',
      async (_name, occurredAt) => {
        // Prepare
        const { store, failed, deps } = setup();

        // Act
        const result = await processBatch([recordAt(1, 'INV-A', occurredAt)], deps);

        // Assess
        expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
        expect(failed).toHaveBeenCalledWith(
          'm1',
          'invalid',
          `invalid event: /event/occurredAt ${DEFAULT_WINDOW}`,
        );
        expect(store.written).toEqual([]);
      },
    );

    it('judges by receivedAtMs, so a redrive weeks later writes an event that was inside the window', async () => {
      // Prepare: the processing clock is 20 days after the cell received a 5-year-old event.
      vi.useFakeTimers({ now: RECEIVED_MS + 20 * DAY_MS });
      const { store, deps } = setup();
      const oldest = recordAt(1, 'INV-A', '2021-11-30T20:40:00Z');
      const newest = recordAt(2, 'INV-B', '2026-11-29T20:45:00Z');

      // Act
      const result = await processBatch([oldest, newest], deps);

      // Assess
      expect(result.batchItemFailures).toEqual([]);
      expect(store.written.map((r) => r.dimensions.eventId)).toEqual([eventIdFor(1), eventIdFor(2)]);
    });

    it('fails the later messages of the refused invoice and writes the other invoices', async () => {
      // Prepare
      const { store, failed, deps } = setup();
      const records = [
        recordAt(1, 'INV-A', '2026-11-29T21:40:00Z'),
        recordAt(2, 'INV-A', '2026-11-29T20:39:00Z'),
        recordAt(3, 'INV-B', '2026-11-29T20:39:00Z'),
      ];

      // Act
      const result = await processBatch(records, deps);

      // Assess
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
      expect(failed).toHaveBeenCalledWith('m2', 'group-blocked', expect.any(String));
      expect(store.written.map((r) => r.dimensions.eventId)).toEqual([eventIdFor(3)]);
    });
  });
});
