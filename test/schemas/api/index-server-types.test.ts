import { describe, expectTypeOf, it } from 'vitest';
import type { EntryResult } from '../../../cells/local/bus/ingest-committer.js';
import type { ReplayStatus } from '../../../cells/local/bus/replay-service.js';
import type { RedriveStatus } from '../../../cells/local/messaging/redrive-service.js';
import type { CellStats } from '../../../cells/local/monitoring/cell-stats.js';
import type { RecordsPanelRow, SlaPanelRow } from '../../../cells/local/monitoring/panel-runner.js';
import type { StageSubscriberTopology } from '../../../cells/topology.js';
import type { BinnedReconcileReport } from '../../../consumers/monitoring/reconcile-bins.js';
import type { InvoiceRecord } from '../../../consumers/record.js';
import type {
  FieldErrorAnswer,
  IngestEntry,
  InvoiceRecordAnswer,
  ReconcileAnswer,
  RecordsPanelRow as RecordsPanelRowAnswer,
  RedriveStatusAnswer,
  ReplayStatusAnswer,
  SlaPanelRow as SlaPanelRowAnswer,
  StatsAnswer,
  SubscriberMessagesAnswer,
} from '../../../schemas/api/index.js';
import type { FieldError } from '../../../schemas/index.js';

/**
 * Type-level checks (run by `tsc --noEmit`; the `it` bodies do nothing at run time): the values
 * the server's services return today fit the contract's types (so the server can hand them to
 * fastify typed), and the contract's types fit them back (so the contract lists every required
 * field). Most server types are now the contract's own (aliases); these checks keep it so.
 */

describe('the contract types', () => {
  it('equal the stats of cells/local/monitoring/cell-stats.ts', () => {
    expectTypeOf<CellStats>().toExtend<StatsAnswer>();
    expectTypeOf<StatsAnswer>().toExtend<CellStats>();
  });

  it('equal an ingest entry result, keyed by index instead of the eventId AWS cannot echo', () => {
    type WireEntry = Omit<EntryResult, 'eventId'> & { index: number };
    expectTypeOf<WireEntry>().toExtend<IngestEntry>();
    expectTypeOf<IngestEntry>().toExtend<WireEntry>();
  });

  it('equal the stored invoice record', () => {
    expectTypeOf<InvoiceRecord>().toExtend<InvoiceRecordAnswer>();
    expectTypeOf<InvoiceRecordAnswer>().toExtend<InvoiceRecord>();
  });

  it('equal a redrive task and a replay', () => {
    expectTypeOf<RedriveStatus>().toExtend<RedriveStatusAnswer>();
    expectTypeOf<RedriveStatusAnswer>().toExtend<RedriveStatus>();
    expectTypeOf<ReplayStatus>().toExtend<ReplayStatusAnswer>();
    expectTypeOf<ReplayStatusAnswer>().toExtend<ReplayStatus>();
  });

  it('equal the reconcile report with its RFC 3339 window', () => {
    expectTypeOf<BinnedReconcileReport & { from: string; to: string }>().toExtend<ReconcileAnswer>();
    expectTypeOf<ReconcileAnswer>().toExtend<BinnedReconcileReport>();
  });

  it('equal the panel rows of the panel runner', () => {
    expectTypeOf<RecordsPanelRow>().toExtend<RecordsPanelRowAnswer>();
    expectTypeOf<RecordsPanelRowAnswer>().toExtend<RecordsPanelRow>();
    expectTypeOf<SlaPanelRow>().toExtend<SlaPanelRowAnswer>();
    expectTypeOf<SlaPanelRowAnswer>().toExtend<SlaPanelRow>();
  });

  it('equal a field error and a declared filter policy', () => {
    expectTypeOf<FieldError>().toExtend<FieldErrorAnswer>();
    expectTypeOf<FieldErrorAnswer>().toExtend<FieldError>();
    expectTypeOf<StageSubscriberTopology['filterPolicy']>().toExtend<
      SubscriberMessagesAnswer['filterPolicy']
    >();
  });
});
