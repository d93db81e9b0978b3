import {
  BatchExecuteStatementCommand,
  BeginTransactionCommand,
  CommitTransactionCommand,
  DatabaseErrorException,
  DatabaseResumingException,
  ExecuteStatementCommand,
  ForbiddenException,
  InternalServerErrorException,
  RDSDataClient,
  RollbackTransactionCommand,
} from '@aws-sdk/client-rds-data';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { classifyDataApiError } from '../../../consumers/aws/data-api-errors.js';
import { DataApiExecutor, dataApiBackoffMs } from '../../../consumers/aws/data-api-executor.js';
import { inTransaction, SqlStatementError, sqlParam } from '../../../consumers/postgresql/sql-executor.js';
import { TransientStoreError } from '../../../consumers/store.js';

const rdsMock = mockClient(RDSDataClient);
const TARGET = {
  resourceArn: 'arn:aws:rds:us-west-1:123456789012:cluster:invoices',
  secretArn: 'arn:aws:secretsmanager:us-west-1:123456789012:secret:invoices-abc',
  database: 'invoices',
};

function executor(retry: { maxAttempts?: number } = {}): DataApiExecutor {
  return new DataApiExecutor({
    ...TARGET,
    client: new RDSDataClient({ region: 'us-west-1' }),
    retry,
    random: () => 1,
  });
}

const resuming = () => new DatabaseResumingException({ message: 'resuming', $metadata: {} });
const internal = () =>
  new InternalServerErrorException({ message: 'internal', $metadata: { httpStatusCode: 500 } });
const sqlError = (message: string) =>
  new DatabaseErrorException({ message, $metadata: { httpStatusCode: 400 } });

/** Runs `work` while fake timers fire every backoff, and returns its settled outcome. */
async function settle<T>(work: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  const outcome = work.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await vi.runAllTimersAsync();
  return outcome;
}

describe('DataApiExecutor', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    rdsMock.reset();
    vi.useRealTimers();
  });

  describe('execute', () => {
    it('sends the statement with named typed parameters and asks for exact integers', async () => {
      // Prepare
      rdsMock
        .on(ExecuteStatementCommand)
        .resolves({ records: [], columnMetadata: [], numberOfRecordsUpdated: 0 });

      // Act
      await executor().execute('SELECT * FROM records WHERE invoice_id = :id AND time_ms >= :from', [
        sqlParam('id', 'INV-1'),
        sqlParam('from', 1_700_000_000_000),
      ]);

      // Assess
      expect(rdsMock.commandCalls(ExecuteStatementCommand)[0]?.args[0].input).toEqual({
        ...TARGET,
        sql: 'SELECT * FROM records WHERE invoice_id = :id AND time_ms >= :from',
        parameters: [
          { name: 'id', value: { stringValue: 'INV-1' } },
          { name: 'from', value: { longValue: 1_700_000_000_000 } },
        ],
        includeResultMetadata: true,
        resultSetOptions: { longReturnType: 'STRING', decimalReturnType: 'STRING' },
      });
    });

    it('shapes rows as objects by column label with integers as exact strings', async () => {
      // Prepare
      rdsMock.on(ExecuteStatementCommand).resolves({
        columnMetadata: [
          { label: 'event_id' },
          { label: 'amount_minor' },
          { label: 'due_date_ms' },
          { name: 'ok' },
        ],
        records: [
          [
            { stringValue: 'e1' },
            { stringValue: '-9223372036854775808' },
            { isNull: true },
            { booleanValue: true },
          ],
        ],
      });

      // Act
      const { rows, updated } = await executor().execute('SELECT 1');

      // Assess
      expect(rows).toEqual([
        { event_id: 'e1', amount_minor: '-9223372036854775808', due_date_ms: null, ok: true },
      ]);
      expect(updated).toBe(0);
    });

    it('passes the transaction id and never resends a statement that may have run inside it', async () => {
      // Prepare
      rdsMock.on(ExecuteStatementCommand).rejects(internal());

      // Act
      const { error } = await settle(
        executor().execute('UPDATE t SET n = n + 1', [], { transactionId: 'tx-1' }),
      );

      // Assess
      expect(error).toBeInstanceOf(TransientStoreError);
      expect((error as Error).message).toBe(
        'Data API ExecuteStatement failed: InternalServerErrorException: internal',
      );
      expect(rdsMock.commandCalls(ExecuteStatementCommand)).toHaveLength(1);
      expect(rdsMock.commandCalls(ExecuteStatementCommand)[0]?.args[0].input.transactionId).toBe('tx-1');
    });

    it('resends a request refused while the database resumes, even inside a transaction', async () => {
      // Prepare
      rdsMock
        .on(ExecuteStatementCommand)
        .rejectsOnce(resuming())
        .rejectsOnce(resuming())
        .resolves({ numberOfRecordsUpdated: 3 });

      // Act
      const { value } = await settle(executor().execute('DELETE FROM t', [], { transactionId: 'tx-1' }));

      // Assess
      expect(value?.updated).toBe(3);
      expect(rdsMock.commandCalls(ExecuteStatementCommand)).toHaveLength(3);
    });

    it('retries transient errors outside a transaction with growing backoff, then surfaces TransientStoreError', async () => {
      // Prepare
      rdsMock.on(ExecuteStatementCommand).rejects(internal());
      const waits: number[] = [];
      const realSetTimeout = setTimeout;
      const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
        waits.push(ms ?? 0);
        return realSetTimeout(fn, ms);
      }) as typeof setTimeout);

      // Act
      const { error } = await settle(executor({ maxAttempts: 4 }).execute('SELECT 1'));
      spy.mockRestore();

      // Assess
      expect(error).toBeInstanceOf(TransientStoreError);
      expect((error as Error).message).toBe(
        'Data API ExecuteStatement failed after 4 attempts: InternalServerErrorException: internal',
      );
      expect(rdsMock.commandCalls(ExecuteStatementCommand)).toHaveLength(4);
      // random() = 1: each wait is its cap, 200 ms doubling.
      expect(waits).toEqual([200, 400, 800]);
    });

    it('maps a refused statement to SqlStatementError with its SQLSTATE, without retrying', async () => {
      // Prepare
      rdsMock
        .on(ExecuteStatementCommand)
        .rejects(sqlError('ERROR: relation "recordz" does not exist\n  Position: 15; SQLState: 42P01'));

      // Act
      const { error } = await settle(executor().execute('SELECT * FROM recordz'));

      // Assess
      expect(error).toBeInstanceOf(SqlStatementError);
      expect(error).toMatchObject({
        sqlState: '42P01',
        message: 'ERROR: relation "recordz" does not exist\n  Position: 15',
      });
      expect(rdsMock.commandCalls(ExecuteStatementCommand)).toHaveLength(1);
    });

    it('makes a deadlock inside a transaction a TransientStoreError for the caller to repeat', async () => {
      // Prepare
      rdsMock.on(ExecuteStatementCommand).rejects(sqlError('ERROR: deadlock detected; SQLState: 40P01'));

      // Act
      const { error } = await settle(executor().execute('UPDATE t SET n = 1', [], { transactionId: 'tx-1' }));

      // Assess
      expect(error).toBeInstanceOf(TransientStoreError);
      expect(rdsMock.commandCalls(ExecuteStatementCommand)).toHaveLength(1);
    });

    it('passes permission errors on as the SDK threw them', async () => {
      // Prepare
      const forbidden = new ForbiddenException({ message: 'no', $metadata: { httpStatusCode: 403 } });
      rdsMock.on(ExecuteStatementCommand).rejects(forbidden);

      // Act
      const { error } = await settle(executor().execute('SELECT 1'));

      // Assess
      expect(error).toBe(forbidden);
    });
  });

  describe('transactions', () => {
    it('begins, runs statements with the transaction id and commits', async () => {
      // Prepare
      rdsMock.on(BeginTransactionCommand).resolves({ transactionId: 'tx-9' });
      rdsMock.on(ExecuteStatementCommand).resolves({ numberOfRecordsUpdated: 1 });
      rdsMock.on(CommitTransactionCommand).resolves({ transactionStatus: 'Transaction Committed' });

      // Act
      const updated = await inTransaction(
        executor(),
        async (tx) => (await tx.execute('INSERT INTO t VALUES (1)')).updated,
      );

      // Assess
      expect(updated).toBe(1);
      expect(rdsMock.commandCalls(BeginTransactionCommand)[0]?.args[0].input).toEqual(TARGET);
      expect(rdsMock.commandCalls(ExecuteStatementCommand)[0]?.args[0].input.transactionId).toBe('tx-9');
      expect(rdsMock.commandCalls(CommitTransactionCommand)[0]?.args[0].input).toEqual({
        resourceArn: TARGET.resourceArn,
        secretArn: TARGET.secretArn,
        transactionId: 'tx-9',
      });
      expect(rdsMock.commandCalls(RollbackTransactionCommand)).toHaveLength(0);
    });

    it('rolls back and rethrows when the work fails', async () => {
      // Prepare
      rdsMock.on(BeginTransactionCommand).resolves({ transactionId: 'tx-9' });
      rdsMock.on(ExecuteStatementCommand).rejects(internal());
      rdsMock.on(RollbackTransactionCommand).resolves({});

      // Act
      const { error } = await settle(
        inTransaction(executor(), (tx) => tx.execute('INSERT INTO t VALUES (1)')),
      );

      // Assess
      expect(error).toBeInstanceOf(TransientStoreError);
      expect(rdsMock.commandCalls(RollbackTransactionCommand)[0]?.args[0].input.transactionId).toBe('tx-9');
      expect(rdsMock.commandCalls(CommitTransactionCommand)).toHaveLength(0);
    });

    it('runs a batch with every parameter set in one call', async () => {
      // Prepare
      rdsMock.on(BatchExecuteStatementCommand).resolves({ updateResults: [{}, {}] });

      // Act
      const result = await executor().batchExecute(
        'INSERT INTO t VALUES (:n)',
        [[sqlParam('n', 1)], [sqlParam('n', 2)]],
        { transactionId: 'tx-2' },
      );

      // Assess
      expect(result).toEqual({ sets: 2 });
      expect(rdsMock.commandCalls(BatchExecuteStatementCommand)[0]?.args[0].input).toEqual({
        ...TARGET,
        sql: 'INSERT INTO t VALUES (:n)',
        parameterSets: [[{ name: 'n', value: { longValue: 1 } }], [{ name: 'n', value: { longValue: 2 } }]],
        transactionId: 'tx-2',
      });
    });
  });

  it('refuses to be built without its target', () => {
    // Act + Assess
    expect(() => new DataApiExecutor({ ...TARGET, secretArn: '' })).toThrow(
      'data api executor needs secretArn, got ""',
    );
  });
});

describe('classifyDataApiError', () => {
  it('sorts errors by whether SQL may have run', () => {
    // Act + Assess
    expect(classifyDataApiError(resuming()).kind).toBe('not-run');
    expect(
      classifyDataApiError({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }).kind,
    ).toBe('not-run');
    expect(classifyDataApiError(internal()).kind).toBe('transient');
    expect(
      classifyDataApiError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).kind,
    ).toBe('transient');
    expect(classifyDataApiError(sqlError('ERROR: could not serialize access; SQLState: 40001'))).toEqual({
      kind: 'transient',
      sqlState: '40001',
      message: 'ERROR: could not serialize access',
    });
    expect(classifyDataApiError(sqlError('ERROR: syntax error at or near "x"; SQLState: 42601')).kind).toBe(
      'statement',
    );
    expect(classifyDataApiError(new ForbiddenException({ message: 'no', $metadata: {} })).kind).toBe('other');
  });
});

describe('dataApiBackoffMs', () => {
  it('draws a full-jitter delay below the doubling cap', () => {
    // Act + Assess
    const policy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 1_000 };
    expect([1, 2, 3, 4].map((n) => dataApiBackoffMs(policy, n, () => 0.5))).toEqual([100, 200, 400, 500]);
    expect(dataApiBackoffMs(policy, 3, () => 0)).toBe(0);
  });
});
