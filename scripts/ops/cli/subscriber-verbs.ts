import type { Command } from 'commander';
import {
  MAX_VISIBILITY_TIMEOUT_SEC,
  SUBSCRIBER_BATCH_MAX,
  type SubscriberAckAnswer,
  type SubscriberReceiveAnswer,
} from '../../../schemas/api/index.js';
import { EXIT_CODES, UsageError } from '../backend.js';
import { LocalSubscribers } from '../local/local-subscribers.js';
import { renderJson, renderTable } from '../output.js';
import { API_KEY_ENV } from './cli-context.js';
import { integer } from './option-parsers.js';
import { localUrl } from './target-backend.js';
import type { VerbKit } from './verb-kit.js';

/**
 * `invoice-ops subscriber receive|ack|list` (local cells only): consume a declared stage
 * subscriber's queue from a script, the way a downstream team consumes its SQS FIFO queue on AWS.
 * `receive` and `ack` need an operator key; `list` peeks without receiving. `ack` exits 1 when any
 * handle failed (each is printed with its reason). With `--cell`, every verb explains that on AWS
 * the team reads its SQS queue with the AWS SDK, and exits 2.
 *
 * @example
 * registerSubscriber(kit);
 * // invoice-ops subscriber receive --local http://127.0.0.1:8787 --api-key "$OPERATOR_KEY" --stage ingestion --id billify --json
 */

interface SubscriberOptions {
  local?: string;
  cell?: string;
  apiKey?: string;
  json: boolean;
  stage: string;
  id: string;
}

function withSubscriberTarget(kit: VerbKit, command: Command): Command {
  return command
    .option('--local <url>', 'the local cell, e.g. http://127.0.0.1:8787')
    .option('--cell <name>', 'a deployed cell: not supported (its subscribers are SQS queues)')
    .option('--api-key <key>', `an operator key of the cell (default: $${API_KEY_ENV})`)
    .addOption(kit.stageOption('the stage whose topic the subscriber is on').makeOptionMandatory())
    .requiredOption('--id <subscriber>', 'the subscriber id declared in the topology, e.g. billify')
    .option('--json', 'print JSON instead of text', false);
}

function subscribersOf(kit: VerbKit, opts: SubscriberOptions): LocalSubscribers {
  if (opts.cell !== undefined) {
    const stage = kit.topology.stages.find((s) => s.name === opts.stage);
    const queue = stage?.subscribers.find((s) => s.id === opts.id)?.ids.queue;
    throw new UsageError(
      `subscriber works on local cells only: on AWS the team reads its SQS queue${queue ? ` (${queue})` : ''} with the AWS SDK (ReceiveMessage, DeleteMessage)`,
    );
  }
  if (opts.local === undefined) {
    throw new UsageError('subscriber needs --local <url>: it reads a local cell’s subscriber queue');
  }
  return new LocalSubscribers({ base: localUrl(opts.local), apiKey: opts.apiKey ?? kit.env[API_KEY_ENV] });
}

function receivedText(answer: SubscriberReceiveAnswer): string {
  if (answer.messages.length === 0) return `no message ready for ${answer.stage}/${answer.subscriber}\n`;
  const rows = answer.messages.map((m) => [
    m.receiptHandle,
    m.invoiceId,
    m.eventId,
    String(m.receiveCount),
    m.sentAt,
  ]);
  return `${renderTable(['receiptHandle', 'invoice', 'event', 'receives', 'sent'], rows)}${answer.messages.length} received, invisible for ${answer.visibilityTimeoutSec}s: ack them before then\n`;
}

function ackText(answer: SubscriberAckAnswer): string {
  const failed = answer.failed.map((f) => `failed ${f.receiptHandle}: ${f.reason}\n`).join('');
  return `acked ${answer.acked.length} of ${answer.acked.length + answer.failed.length}\n${failed}`;
}

function registerReceive(kit: VerbKit, parent: Command): void {
  withSubscriberTarget(
    kit,
    parent.command('receive').description('receive messages (one batch per invoice in flight)'),
  )
    .option(
      '--max <n>',
      `messages to receive, 1 to ${SUBSCRIBER_BATCH_MAX}`,
      integer(1, SUBSCRIBER_BATCH_MAX),
      SUBSCRIBER_BATCH_MAX,
    )
    .option(
      '--visibility-timeout <sec>',
      `seconds the messages stay invisible without an ack (default: the stage's), 1 to ${MAX_VISIBILITY_TIMEOUT_SEC}`,
      integer(1, MAX_VISIBILITY_TIMEOUT_SEC),
    )
    .action(async (opts: SubscriberOptions & { max: number; visibilityTimeout?: number }) => {
      const answer = await subscribersOf(kit, opts).receive(opts.stage, opts.id, {
        maxMessages: opts.max,
        ...(opts.visibilityTimeout === undefined ? {} : { visibilityTimeoutSec: opts.visibilityTimeout }),
      });
      kit.io.stdout(opts.json ? renderJson(answer) : receivedText(answer));
      kit.setExitCode(EXIT_CODES.ok);
    });
}

function registerAck(kit: VerbKit, parent: Command): void {
  withSubscriberTarget(kit, parent.command('ack').description('delete received messages by receipt handle'))
    .requiredOption(
      '--receipt-handle <handle...>',
      `receipt handles from a receive, 1 to ${SUBSCRIBER_BATCH_MAX}`,
    )
    .action(async (opts: SubscriberOptions & { receiptHandle: string[] }) => {
      if (opts.receiptHandle.length > SUBSCRIBER_BATCH_MAX) {
        throw new UsageError(
          `--receipt-handle takes 1 to ${SUBSCRIBER_BATCH_MAX} handles, got ${opts.receiptHandle.length}`,
        );
      }
      const answer = await subscribersOf(kit, opts).ack(opts.stage, opts.id, opts.receiptHandle);
      kit.io.stdout(opts.json ? renderJson(answer) : ackText(answer));
      kit.setExitCode(answer.failed.length > 0 ? EXIT_CODES.failed : EXIT_CODES.ok);
    });
}

function registerList(kit: VerbKit, parent: Command): void {
  withSubscriberTarget(kit, parent.command('list').description('peek at the queue without receiving'))
    .option('--limit <n>', 'messages to show, 1 to 1000', integer(1, 1_000), 100)
    .action(async (opts: SubscriberOptions & { limit: number }) => {
      const answer = await subscribersOf(kit, opts).list(opts.stage, opts.id, opts.limit);
      const rows = answer.messages.map((m) => [m.invoiceId, m.eventId, m.sentAt]);
      kit.io.stdout(
        opts.json
          ? renderJson(answer)
          : `${answer.stage}/${answer.subscriber} (${answer.queue}): ${answer.depth} in queue, ${answer.dlqDepth} in ${answer.dlq}\n${renderTable(['invoice', 'event', 'sent'], rows)}`,
      );
      kit.setExitCode(EXIT_CODES.ok);
    });
}

/** Registers `subscriber receive|ack|list`. */
export function registerSubscriber(kit: VerbKit): void {
  const subscriber = kit.program
    .command('subscriber')
    .description("a local cell's stage subscriber queue: receive, ack, list (for downstream scripts)");
  registerReceive(kit, subscriber);
  registerAck(kit, subscriber);
  registerList(kit, subscriber);
}
