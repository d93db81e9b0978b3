import { PublishBatchCommand, type PublishBatchCommandOutput, type SNSClient } from '@aws-sdk/client-sns';
import type { StageName, StageTopology } from '../../cells/topology.js';
import { MAX_PUBLISH_BATCH, type PublishEntry, type PublishFailure, type StagePublisher } from '../relay.js';
import { describeAwsError } from './aws-errors.js';

/**
 * The AWS {@link StagePublisher}: SNS `PublishBatch` to the stage's FIFO topic, ≤ 10 entries per
 * call. Every entry that SNS did not confirm comes back as a failure — listed in `Failed`, missing
 * from both lists, or part of a call that threw — so the relay can fail the invocation and let
 * EventBridge / Lambda retry it. Nothing is dropped silently.
 *
 * @example
 * const publisher = new SnsStagePublisher(new SNSClient({}), { ingestion: topicArn });
 * const { failed } = await publisher.publishBatch(stage, entries);
 */
export class SnsStagePublisher implements StagePublisher {
  readonly #client: SNSClient;
  readonly #topicArns: ReadonlyMap<string, string>;

  /** `topicArns` maps stage names to the ARN of their FIFO topic; a relay Lambda knows one stage. */
  constructor(client: SNSClient, topicArns: Readonly<Partial<Record<StageName, string>>>) {
    for (const [stage, arn] of Object.entries(topicArns)) {
      if (!arn?.startsWith('arn:') || !arn.endsWith('.fifo')) {
        throw new Error(
          `topic ARN for stage ${stage} must be an SNS FIFO topic ARN, got ${JSON.stringify(arn)}`,
        );
      }
    }
    this.#client = client;
    this.#topicArns = new Map(Object.entries(topicArns) as [string, string][]);
  }

  async publishBatch(
    stage: StageTopology,
    entries: readonly PublishEntry[],
  ): Promise<{ failed: PublishFailure[] }> {
    const topicArn = this.#topicArns.get(stage.name);
    if (!topicArn) {
      // A routing or wiring error (this relay got another stage's event): fail loudly so it is retried
      // and lands in the DLQ instead of being published to the wrong topic.
      throw new Error(`no topic ARN configured for stage ${stage.name}`);
    }
    const failed: PublishFailure[] = [];
    for (let start = 0; start < entries.length; start += MAX_PUBLISH_BATCH) {
      failed.push(...(await this.#publishChunk(topicArn, entries.slice(start, start + MAX_PUBLISH_BATCH))));
    }
    return { failed };
  }

  async #publishChunk(topicArn: string, entries: readonly PublishEntry[]): Promise<PublishFailure[]> {
    let response: PublishBatchCommandOutput;
    try {
      response = await this.#client.send(
        new PublishBatchCommand({
          TopicArn: topicArn,
          PublishBatchRequestEntries: entries.map((e) => ({
            Id: e.Id,
            Message: e.Message,
            MessageGroupId: e.MessageGroupId,
            MessageDeduplicationId: e.MessageDeduplicationId,
          })),
        }),
      );
    } catch (error) {
      const reason = `PublishBatch failed: ${describeAwsError(error)}`;
      // SDK v3 marks errors the request caused (`$fault: 'client'`); retrying those cannot help.
      const senderFault = (error as { $fault?: unknown } | null)?.$fault === 'client';
      return entries.map((entry) => ({ id: entry.Id, reason, senderFault }));
    }
    const failures: PublishFailure[] = (response.Failed ?? []).map((f) => ({
      id: f.Id ?? '',
      reason: `${f.Code ?? 'Unknown'}: ${f.Message ?? 'no message'}`,
      senderFault: f.SenderFault === true,
    }));
    const answered = new Set([...(response.Successful ?? []).map((s) => s.Id), ...failures.map((f) => f.id)]);
    for (const entry of entries) {
      if (!answered.has(entry.Id)) {
        failures.push({
          id: entry.Id,
          reason: 'PublishBatch returned no result for this entry',
          senderFault: false,
        });
      }
    }
    return failures;
  }
}
