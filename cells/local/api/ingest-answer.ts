import type { IngestAnswer, IngestEntry } from '../../../schemas/api/index.js';
import type { EntryResult } from '../bus/ingest-committer.js';

/**
 * The engine's per-event results as the ingest API answers them (`schemas/api/ingest.ts`): keyed
 * by position in the request, without the producer's `eventId` (the AWS cell cannot echo it, and
 * both cells answer one shape). Pure.
 *
 * @example
 * const answer = ingestAnswerOf(await ingest.submit(stage, events, now));
 * reply.code(ingestAnswerStatus(answer)).send(answer);
 */
export function ingestAnswerOf(results: readonly EntryResult[]): IngestAnswer {
  const entries = results.map(
    ({ eventId: _eventId, ...result }, index): IngestEntry => ({ index, ...result }),
  );
  return { failedEntryCount: entries.filter((e) => e.status === 'failed').length, entries };
}
