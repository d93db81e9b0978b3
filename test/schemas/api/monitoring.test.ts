import { afterAll, describe, it } from 'vitest';
import type { StuckAnswer } from '../../../schemas/api/index.js';
import { closeSerializer, expectAnswer } from './helpers/answer-check.js';

/** The monitoring answers a live test cannot produce in seconds (a stage whose oldest message is too old). */

afterAll(closeSerializer);

describe('StuckAnswerSchema', () => {
  it('serialises an oldest-message item and a note unchanged', async () => {
    const answer: StuckAnswer = {
      generatedAt: '2026-11-20T09:15:00.000Z',
      invoices: [],
      messages: [
        {
          stage: 'posting',
          kind: 'oldest-message',
          ageSec: 901,
          value: 901,
          threshold: 900,
          count: 1,
          message: 'oldest posting message is 901 s old (threshold 900 s)',
        },
      ],
      notes: ['posting DLQ holds 150 messages; the first 100 are listed (GET /dlq/posting for more)'],
    };

    await expectAnswer('stuck', { status: 200, body: answer });
  });
});
