import { TimestreamStore } from '../../../consumers/aws/timestream-store.js';
import { NotFoundError, type TimelineEntry, timelineEntryOf } from '../backend.js';
import { type AwsCell, timestreamTable } from './aws-cell.js';
import { awsCall } from './aws-error.js';

/**
 * `timeline` on a deployed cell: the invoice's records through the shared `TimestreamStore` (the
 * processor's own read path), in lifecycle order; {@link NotFoundError} when there is none.
 *
 * @example
 * const entries = await readTimeline(aws, 'INV-2026-000123');
 */
export async function readTimeline(aws: AwsCell, invoiceId: string): Promise<TimelineEntry[]> {
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
