import type { DescribeStacksCommandOutput, Output } from '@aws-sdk/client-cloudformation';
import type { Message } from '@aws-sdk/client-sqs';
import { CELL_TOPOLOGY, type StageTopology } from '../../../../cells/topology.js';
import { CELL_OUTPUT_IDS, stageOutputIds } from '../../../../stacks/cell-outputs.js';

/**
 * A deployed cell as the AWS APIs describe it: the `InvoiceCell-us-east-1` stack's outputs, queue
 * URLs and ARNs, DLQ messages. Names follow what CloudFormation generates.
 *
 * @example
 * cfn.on(DescribeStacksCommand).resolves(describeStacks(stackOutputs()));
 */
export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const STACK_NAME = 'InvoiceCell-us-east-1';
export const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK_NAME}/0f6e1a20-c8a1-11ef-9c5e-0a1b2c3d4e5f`;
export const BUS_NAME = 'InvoiceCellus-east-1RoutingBus1A2B3C4D';
export const BUS_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${BUS_NAME}`;
export const ARCHIVE_NAME = 'InvoiceCellus-east-1RoutingArchive5E6F';
/** An explicit prefix, unlike the default, so a test shows it is read from the output. */
export const ALARM_PREFIX = 'invoice-cell-use1-';
export const ARCHIVE_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:archive/${ARCHIVE_NAME}`;

export function queueName(stage: StageTopology, kind: 'queue' | 'dlq' | 'relay-dlq'): string {
  return `${STACK_NAME}-${stage.title}${kind === 'queue' ? 'Queue' : kind === 'dlq' ? 'Dlq' : 'RelayDlq'}ABC123${kind === 'relay-dlq' ? '' : '.fifo'}`;
}

export function queueUrl(stage: StageTopology, kind: 'queue' | 'dlq' | 'relay-dlq'): string {
  return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${queueName(stage, kind)}`;
}

export function queueArn(stage: StageTopology, kind: 'queue' | 'dlq' | 'relay-dlq'): string {
  return `arn:aws:sqs:${REGION}:${ACCOUNT}:${queueName(stage, kind)}`;
}

export function ruleArn(stage: StageTopology): string {
  return `arn:aws:events:${REGION}:${ACCOUNT}:rule/${BUS_NAME}/${STACK_NAME}-Routing${stage.title}Rule-XYZ`;
}

/** Every output a current CellStack publishes, by output key. */
export function stackOutputs(): Record<string, string> {
  const outputs: Record<string, string> = {
    [CELL_OUTPUT_IDS.apiUrl]: `https://abc123.execute-api.${REGION}.amazonaws.com/prod/`,
    [CELL_OUTPUT_IDS.busName]: BUS_NAME,
    [CELL_OUTPUT_IDS.busArn]: BUS_ARN,
    [CELL_OUTPUT_IDS.archiveName]: ARCHIVE_NAME,
    [CELL_OUTPUT_IDS.archiveArn]: ARCHIVE_ARN,
    [CELL_OUTPUT_IDS.timestreamDatabase]: 'InvoiceCellDatabase-abc',
    [CELL_OUTPUT_IDS.timestreamTable]: 'InvoiceEvents-abc',
    [CELL_OUTPUT_IDS.alarmNamePrefix]: ALARM_PREFIX,
  };
  for (const stage of CELL_TOPOLOGY.stages) {
    const ids = stageOutputIds(stage);
    outputs[ids.queueUrl] = queueUrl(stage, 'queue');
    outputs[ids.queueArn] = queueArn(stage, 'queue');
    outputs[ids.dlqUrl] = queueUrl(stage, 'dlq');
    outputs[ids.dlqArn] = queueArn(stage, 'dlq');
    outputs[ids.topicArn] = `arn:aws:sns:${REGION}:${ACCOUNT}:${stage.title}Topic.fifo`;
    outputs[ids.relayDlqUrl] = queueUrl(stage, 'relay-dlq');
    outputs[ids.relayDlqArn] = queueArn(stage, 'relay-dlq');
  }
  return outputs;
}

export function describeStacks(
  outputs: Record<string, string>,
  nextToken?: string,
): DescribeStacksCommandOutput {
  const Outputs: Output[] = Object.entries(outputs).map(([OutputKey, OutputValue]) => ({
    OutputKey,
    OutputValue,
  }));
  return {
    $metadata: {},
    Stacks: [
      {
        StackName: STACK_NAME,
        StackId: STACK_ID,
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date('2026-11-01T00:00:00Z'),
        Outputs,
      },
    ],
    ...(nextToken ? { NextToken: nextToken } : {}),
  };
}

/** A DLQ message as ReceiveMessage returns it (raw SNS delivery: the body is the stage message). */
export function dlqMessage(n: number, invoiceId: string, sentAtMs: number, stage = 'ingestion'): Message {
  const eventId = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    MessageId: `msg-${n}`,
    ReceiptHandle: `receipt-${n}`,
    Body: JSON.stringify({ stage, receivedAtMs: sentAtMs - 1000, event: { eventId, invoiceId } }),
    Attributes: {
      MessageGroupId: invoiceId,
      MessageDeduplicationId: eventId,
      SentTimestamp: String(sentAtMs),
      ApproximateReceiveCount: '5',
    },
  };
}
