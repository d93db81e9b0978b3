import { afterEach, describe, expect, it, vi } from 'vitest';
import { businessTimeWindow } from '../../cells/business-time.js';
import { CELL_TOPOLOGY, type StageName } from '../../cells/topology.js';
import type { InvoiceRecord } from '../../consumers/record.js';
import { type ProcessorDeps, type ProcessorObserver, processBatch } from '../../consumers/stage-processor.js';
import {
  type AggregateRow,
  type RejectedRecord,
  type TimeseriesStore,
  TransientStoreError,
  type WriteResult,
} from '../../consumers/store.js';
import { eventFor, eventIdFor, sqsRecordFactory, sqsRecordFor, stageMessage } from './support/builders.js';

const STAGE: StageName = 'posting';
const CELL = { cell: 'us-east-1', region: 'us-east-1' };

/** An in-memory TimeseriesStore with scripted failures. */
class FakeStore implements TimeseriesStore {
  readonly calls: InvoiceRecord[][] = [];
  readonly stored = new Map<string, InvoiceRecord>();
  /** eventIds the store refuses per record. */
  readonly rejectEventIds = new Set<string>();
  /** Errors thrown by the next calls, one per call, in order. */
  readonly errors: unknown[] = [];
  /** Thrown by every call when set. */
  alwaysThrow: unknown;

  async writeRecords(records: readonly InvoiceRecord[]): Promise<WriteResult> {
    this.calls.push([...records]);
    if (this.alwaysThrow) throw this.alwaysThrow;
    const error = this.errors.shift();
    if (error) throw error;
    const rejected: RejectedRecord[] = [];
    records.forEach((record, index) => {
      if (this.rejectEventIds.has(record.dimensions.eventId)) {
        rejected.push({ index, reason: 'refused by the fake store', retryable: false });
      } else this.stored.set(record.dimensions.eventId, record);
    });
    return { rejected };
  }

  async timeline(): Promise<InvoiceRecord[]> {
    return [...this.stored.values()];
  }

  async aggregate(): Promise<AggregateRow[]> {
    return [];
  }
}

/** An SDK throttling error, as the AWS SDK throws it (untranslated). */
function throttling(): Error {
  return Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $metadata: { httpStatusCode: 400 },
  });
}

/** A throttled write as a store adapter reports it: the port's error, the SDK error as its cause. */
function throttledWrite(): TransientStoreError {
  return new TransientStoreError('WriteRecords failed: ThrottlingException: Rate exceeded', {
    cause: throttling(),
  });
}

function recordingObserver() {
  return {
    stored: vi.fn<NonNullable<ProcessorObserver['stored']>>(),
    failed: vi.fn<NonNullable<ProcessorObserver['failed']>>(),
    retrying: vi.fn<NonNullable<ProcessorObserver['retrying']>>(),
  };
}

/** A posting message of `invoiceId` with event number `n`, as an SQS record `m<n>`. */
function msg(n: number, invoiceId: string) {
  const event = eventFor(STAGE, { eventId: eventIdFor(n), invoiceId });
  return sqsRecordFor(stageMessage(STAGE, event), `m${n}`);
}

function deps(
  store: TimeseriesStore,
  observer: ProcessorObserver,
  extra: Partial<ProcessorDeps> = {},
): ProcessorDeps {
  const businessTime = businessTimeWindow(CELL_TOPOLOGY.settings);
  return {
    stage: STAGE,
    cell: CELL,
    store,
    businessTime,
    observer,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 2,
    ...extra,
  };
}

const failedIds = (result: { batchItemFailures: { itemIdentifier: string }[] }) =>
  result.batchItemFailures.map((f) => f.itemIdentifier);

describe('StageProcessor', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('processBatch', () => {
    it('writes a clean batch in one call, in batch order, and reports no failures', async () => {
      // Prepare
      const store = new FakeStore();
      const observer = recordingObserver();
      const records = [msg(1, 'INV-A'), msg(2, 'INV-B'), msg(3, 'INV-A'), msg(4, 'INV-C')];

      // Act
      const result = await processBatch(records, deps(store, observer));

      // Assess
      expect(result).toEqual({ batchItemFailures: [] });
      expect(store.calls).toHaveLength(1);
      expect(store.calls[0]?.map((r) => r.dimensions.eventId)).toEqual([1, 2, 3, 4].map(eventIdFor));
      expect(observer.stored).toHaveBeenCalledTimes(4);
      expect(observer.failed).not.toHaveBeenCalled();
    });

    it('fails a rejected record and the later records of its invoice, and nothing else', async () => {
      // Prepare: A1 B1 A2(rejected) A3 B2
      const store = new FakeStore();
      store.rejectEventIds.add(eventIdFor(3));
      const observer = recordingObserver();
      const records = [msg(1, 'INV-A'), msg(2, 'INV-B'), msg(3, 'INV-A'), msg(4, 'INV-A'), msg(5, 'INV-B')];

      // Act
      const result = await processBatch(records, deps(store, observer));

      // Assess
      expect(failedIds(result)).toEqual(['m3', 'm4']);
      expect(observer.failed.mock.calls.map(([id, kind]) => [id, kind])).toEqual([
        ['m3', 'rejected'],
        ['m4', 'group-blocked'],
      ]);
      expect(observer.stored.mock.calls.map(([record]) => record.dimensions.eventId)).toEqual(
        [1, 2, 5].map(eventIdFor),
      );
    });

    it('does not fail an earlier record of the invoice whose later record was rejected', async () => {
      // Prepare
      const store = new FakeStore();
      store.rejectEventIds.add(eventIdFor(2));
      const observer = recordingObserver();

      // Act
      const result = await processBatch([msg(1, 'INV-A'), msg(2, 'INV-A')], deps(store, observer));

      // Assess
      expect(failedIds(result)).toEqual(['m2']);
      expect(store.stored.has(eventIdFor(1))).toBe(true);
    });

    it('fails a poison message and the rest of its invoice without writing them', async () => {
      // Prepare
      const store = new FakeStore();
      const observer = recordingObserver();
      const records = [
        msg(1, 'INV-A'),
        sqsRecordFactory('{not json', 'INV-A', 'poison'),
        msg(3, 'INV-A'),
        msg(4, 'INV-B'),
      ];

      // Act
      const result = await processBatch(records, deps(store, observer));

      // Assess
      expect(failedIds(result)).toEqual(['poison', 'm3']);
      expect(store.calls[0]?.map((r) => r.dimensions.eventId)).toEqual([eventIdFor(1), eventIdFor(4)]);
      expect(observer.failed).toHaveBeenCalledWith('poison', 'invalid', 'message body is not JSON');
    });

    it('fails a message whose event breaks the contract, naming the field', async () => {
      // Prepare
      const store = new FakeStore();
      const observer = recordingObserver();
      const event = eventFor(STAGE, { eventId: eventIdFor(1), amount: { value: '10.005', currency: 'USD' } });
      const record = sqsRecordFor(stageMessage(STAGE, event), 'bad-amount');

      // Act
      const result = await processBatch([record], deps(store, observer));

      // Assess
      expect(failedIds(result)).toEqual(['bad-amount']);
      expect(observer.failed).toHaveBeenCalledWith(
        'bad-amount',
        'invalid',
        expect.stringContaining('/event/amount/value amount "10.005" has 3 decimals but USD allows 2'),
      );
      expect(store.calls).toEqual([]);
    });

    it('fails a message meant for another stage', async () => {
      // Prepare
      const store = new FakeStore();
      const observer = recordingObserver();
      const record = sqsRecordFor(stageMessage('ingestion', eventFor('ingestion')), 'wrong-stage');

      // Act
      const result = await processBatch([record], deps(store, observer));

      // Assess
      expect(failedIds(result)).toEqual(['wrong-stage']);
      expect(observer.failed).toHaveBeenCalledWith(
        'wrong-stage',
        'invalid',
        'message is for stage "ingestion", this processor is "posting"',
      );
    });

    it('retries a throttled write and then succeeds without failures', async () => {
      // Prepare
      const store = new FakeStore();
      store.errors.push(throttledWrite());
      const observer = recordingObserver();

      // Act
      const result = await processBatch([msg(1, 'INV-A'), msg(2, 'INV-B')], deps(store, observer));

      // Assess
      expect(result.batchItemFailures).toEqual([]);
      expect(store.calls).toHaveLength(2);
      expect(store.calls[1]).toEqual(store.calls[0]);
      expect(observer.retrying).toHaveBeenCalledTimes(1);
      expect(observer.retrying).toHaveBeenCalledWith(
        1,
        expect.objectContaining({
          name: 'TransientStoreError',
          cause: expect.objectContaining({ name: 'ThrottlingException' }),
        }),
      );
    });

    it('fails every written record when the retry budget runs out', async () => {
      // Prepare
      vi.useFakeTimers();
      const store = new FakeStore();
      store.alwaysThrow = new TransientStoreError('database is busy');
      const observer = recordingObserver();
      const records = [msg(1, 'INV-A'), msg(2, 'INV-B'), sqsRecordFactory('nope', 'INV-C', 'poison')];
      const startedAt = Date.now();

      // Act
      const pending = processBatch(
        records,
        deps(store, observer, { retryBudgetMs: 1_000, retryBaseDelayMs: 100, retryMaxDelayMs: 400 }),
      );
      await vi.runAllTimersAsync();
      const result = await pending;

      // Assess
      expect(failedIds(result)).toEqual(['m1', 'm2', 'poison']);
      expect(observer.failed.mock.calls.map(([id, kind]) => [id, kind])).toEqual([
        ['m1', 'transient'],
        ['m2', 'transient'],
        ['poison', 'invalid'],
      ]);
      expect(store.calls.length).toBeGreaterThan(2);
      expect(store.calls.length).toBeLessThan(21);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_000);
    });

    it('does not retry an error that retrying cannot fix', async () => {
      // Prepare
      const store = new FakeStore();
      store.alwaysThrow = Object.assign(new Error('not authorized'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 403 },
      });
      const observer = recordingObserver();

      // Act
      const result = await processBatch([msg(1, 'INV-A'), msg(2, 'INV-B')], deps(store, observer));

      // Assess
      expect(failedIds(result)).toEqual(['m1', 'm2']);
      expect(store.calls).toHaveLength(1);
      expect(observer.failed).toHaveBeenCalledWith('m1', 'rejected', 'store write failed: not authorized');
    });

    it('treats a record without a message group as its own group', async () => {
      // Prepare
      const store = new FakeStore();
      store.rejectEventIds.add(eventIdFor(1));
      const observer = recordingObserver();
      const first = msg(1, 'INV-A');
      const second = msg(2, 'INV-A');
      const { MessageGroupId: _a, ...attributesA } = first.attributes;
      const { MessageGroupId: _b, ...attributesB } = second.attributes;

      // Act
      const result = await processBatch(
        [
          { ...first, attributes: attributesA },
          { ...second, attributes: attributesB },
        ],
        deps(store, observer),
      );

      // Assess
      expect(failedIds(result)).toEqual(['m1']);
    });
  });

  describe('transient store errors', () => {
    // Only the port's TransientStoreError is retried: the adapters translate their SDK's or
    // driver's errors (test/consumers/aws/aws-errors.test.ts, the SQLite store's tests); the core
    // recognises no error by its shape.
    it.each([
      ['a TransientStoreError', new TransientStoreError('busy'), true],
      ['an untranslated ThrottlingException', throttling(), false],
      ['a validation error', Object.assign(new Error('x'), { name: 'ValidationException' }), false],
      ['a 403', Object.assign(new Error('x'), { $metadata: { httpStatusCode: 403 } }), false],
      ['a string', 'boom', false],
    ])('classifies %s as transient=%s', async (_label, error, expected) => {
      // Prepare
      const store = new FakeStore();
      store.errors.push(error);
      const observer = recordingObserver();

      // Act
      const result = await processBatch([msg(1, 'INV-A')], deps(store, observer));

      // Assess
      expect(store.calls).toHaveLength(expected ? 2 : 1);
      expect(failedIds(result)).toEqual(expected ? [] : ['m1']);
    });
  });
});
