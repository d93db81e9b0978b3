import { describe, expect, it } from 'vitest';
import { ingestAnswerOf } from '../../../../cells/local/api/ingest-answer.js';
import { ingestAnswerStatus } from '../../../../schemas/api/index.js';

describe('ingestAnswerOf', () => {
  it('keys each result by its position, drops the eventId and counts the failed ones', () => {
    // Act
    const answer = ingestAnswerOf([
      { eventId: 'e-0', status: 'accepted', busEventId: 'b-0' },
      { eventId: 'e-1', status: 'failed', errorCode: 'EventIdConflict', errorMessage: 'other content' },
      { eventId: 'e-2', status: 'duplicate', busEventId: 'b-2' },
    ]);

    // Assess
    expect(answer).toEqual({
      failedEntryCount: 1,
      entries: [
        { index: 0, status: 'accepted', busEventId: 'b-0' },
        { index: 1, status: 'failed', errorCode: 'EventIdConflict', errorMessage: 'other content' },
        { index: 2, status: 'duplicate', busEventId: 'b-2' },
      ],
    });
    expect(ingestAnswerStatus(answer)).toBe(502);
  });

  it('answers 200 when every entry was accepted or a duplicate', () => {
    // Act
    const answer = ingestAnswerOf([
      { eventId: 'e-0', status: 'duplicate', busEventId: 'b-0' },
      { eventId: 'e-1', status: 'accepted', busEventId: 'b-1' },
    ]);

    // Assess
    expect(answer.failedEntryCount).toBe(0);
    expect(ingestAnswerStatus(answer)).toBe(200);
  });
});
