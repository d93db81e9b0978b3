import { TimestreamStore } from '../../../consumers/aws/timestream-store.js';
import { PostgresStore } from '../../../consumers/postgresql/postgres-store.js';
import { NotFoundError, type TimelineEntry, timelineEntryOf } from '../backend.js';
import { type AwsCell, auroraTarget, timestreamTable } from './aws-cell.js';
import { awsCall } from './aws-error.js';

/**
 * `timeline` on a deployed cell: the invoice's records through the store the processors write —
 * `TimestreamStore`, or on an Aurora cell `PostgresStore` through the Data API — in lifecycle
 * order; {@link NotFoundError} when there is none.
 *
 * @example
 * const entries = await readTimeline(aws, 'INV-2026-000123');
 */
export async function readTimeline(aws: AwsCell, invoiceId: string): Promise<TimelineEntry[]> {
  const aurora = await auroraTarget(aws);
  if (aurora) {
    const store = new PostgresStore(aurora.executor, { topology: aws.topology });
    const records = await awsCall(`Aurora timeline of ${invoiceId}`, () => store.timeline(invoiceId));
    if (records.length === 0) {
      throw new NotFoundError(`no stored events for invoice "${invoiceId}" in the Aurora ${aurora.label}`);
    }
    return records.map(timelineEntryOf);
  }
  const { database, table } = await timestreamTable(aws);
  const store = new TimestreamStore({
    writeClient: aws.clients.timestreamWrite,
    queryClient: aws.clients.timestreamQuery,
    database,
    table,
    topology: aws.topology,
  });
  const records = await awsCall(`Timestream timeline of ${invoiceId}`, () => store.timeline(invoiceId));
  if (records.length === 0) {
    throw new NotFoundError(`no stored events for invoice "${invoiceId}" in ${database}.${table}`);
  }
  return records.map(timelineEntryOf);
}
