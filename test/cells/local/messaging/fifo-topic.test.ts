import { describe, expect, it } from 'vitest';
import type { QueueMessageInput } from '../../../../cells/local/messaging/fifo-queue.js';
import { FifoTopic } from '../../../../cells/local/messaging/fifo-topic.js';
import { compileFilterPolicy } from '../../../../cells/matching/index.js';
import type { PublishEntry } from '../../../../consumers/relay.js';

/** A subscription that records what it was sent. */
function recorder() {
  const sent: QueueMessageInput[][] = [];
  return { sent, send: (messages: readonly QueueMessageInput[]) => sent.push([...messages]) };
}

function entry(id: string, body: string): PublishEntry {
  return { Id: id, MessageGroupId: `INV-${id}`, MessageDeduplicationId: id, Message: body };
}

describe('FifoTopic', () => {
  describe('publish', () => {
    it('delivers to a filtered subscription only the messages whose parsed body matches, in order', () => {
      // Prepare
      const topic = new FifoTopic('IngestionTopic');
      const all = recorder();
      const eur = recorder();
      topic.subscribe(all);
      topic.subscribe(eur, compileFilterPolicy({ event: { amount: { currency: ['EUR'] } } }));
      const body = (currency: string) =>
        JSON.stringify({ stage: 'ingestion', event: { amount: { currency } } });
      const entries = [
        entry('1', body('EUR')),
        entry('2', body('USD')),
        entry('3', 'not json'),
        entry('4', body('EUR')),
      ];

      // Act
      topic.publish(entries);

      // Assess
      expect(all.sent.map((batch) => batch.map((m) => m.dedupId))).toEqual([['1', '2', '3', '4']]);
      expect(eur.sent.map((batch) => batch.map((m) => m.dedupId))).toEqual([['1', '4']]);
    });

    it('sends nothing to a filtered subscription when no message matches', () => {
      const topic = new FifoTopic('IngestionTopic');
      const eur = recorder();
      topic.subscribe(eur, compileFilterPolicy({ event: { amount: { currency: ['EUR'] } } }));
      topic.publish([entry('1', JSON.stringify({ event: { amount: { currency: 'USD' } } }))]);
      expect(eur.sent).toEqual([]);
    });
  });
});
