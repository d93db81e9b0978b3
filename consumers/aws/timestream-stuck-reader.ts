import type { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import type { CellTopology } from '../../cells/topology.js';
import { countStuckByStage, findStuckInvoices } from '../monitoring/stuck.js';
import type { StuckInvoiceReader, StuckReading } from '../monitoring/stuck-reader.js';
import { queryAllRows } from './timestream-query.js';
import { TIMESTREAM_WINDOW } from './timestream-sql.js';
import { latestFromTimestreamRows, timestreamLatestByInvoiceSql } from './timestream-stuck-query.js';

/** Where the Timestream stuck read looks. */
export interface TimestreamStuckReaderOptions {
  readonly queryClient: TimestreamQueryClient;
  readonly database: string;
  /** The cell's latest-state table (its stuck-state rows), not the records. */
  readonly table: string;
  /** How far back the query looks for unfinished invoices, in hours. */
  readonly lookbackHours: number;
}

/**
 * {@link StuckInvoiceReader} over Timestream: each unfinished invoice's furthest stage from the
 * stuck-state rows the rollup scheduled queries keep (`timestreamLatestByInvoiceSql`, overdue rows
 * only, every page), decided by `findStuckInvoices`. It lists every stuck invoice (the alert bounds
 * its list itself).
 *
 * @example
 * const reader = new TimestreamStuckReader({ queryClient, database, table, lookbackHours: 168 }, topology);
 * const { counts } = await reader.read(Date.now());
 */
export class TimestreamStuckReader implements StuckInvoiceReader {
  readonly #client: TimestreamQueryClient;
  readonly #topology: CellTopology;
  readonly #query: string;

  constructor(options: TimestreamStuckReaderOptions, topology: CellTopology) {
    this.#client = options.queryClient;
    this.#topology = topology;
    this.#query = timestreamLatestByInvoiceSql(
      {
        database: options.database,
        table: options.table,
        fromParam: TIMESTREAM_WINDOW.ago(`${options.lookbackHours}h`),
        source: 'stuckState',
        overdueOnly: true,
      },
      topology,
    );
  }

  async read(nowMs: number): Promise<StuckReading> {
    const rows = await queryAllRows(this.#client, this.#query);
    const stuck = findStuckInvoices(latestFromTimestreamRows(rows), this.#topology, nowMs);
    return {
      rows: rows.length,
      stuck,
      total: stuck.length,
      counts: countStuckByStage(stuck, this.#topology),
    };
  }
}
