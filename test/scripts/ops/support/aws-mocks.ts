import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach } from 'vitest';
import { CELL_TOPOLOGY, findStage, type StageTopology } from '../../../../cells/topology.js';
import { readExampleEvent } from '../../../../schemas/files.js';
import type { InvoiceEvent } from '../../../../schemas/types.js';
import { createAwsClients } from '../../../../scripts/ops/aws/aws-clients.js';
import { describeStacks, stackOutputs } from './aws-fixtures.js';
import { type OpsResult, runOpsInProcess } from './run-ops.js';

/**
 * `invoice-ops --cell us-east-1 ...` in-process, with every AWS client mocked by
 * aws-sdk-client-mock. A test file calls {@link useAwsMocks} once: the stack is described by
 * default, and every mock is reset after each test.
 *
 * @example
 * useAwsMocks();
 * sqs.on(GetQueueAttributesCommand).resolves(depth(0));
 * const result = await run(['dlq', 'list', ...CELL]);
 */
export const cfn = mockClient(CloudFormationClient);
export const eventBridge = mockClient(EventBridgeClient);
export const sqs = mockClient(SQSClient);
export const cloudWatch = mockClient(CloudWatchClient);
export const timestream = mockClient(TimestreamQueryClient);

export const NOW = Date.parse('2026-11-22T12:00:00Z');
export const CELL = ['--cell', 'us-east-1'];
export const stage = (name: string): StageTopology => findStage(CELL_TOPOLOGY, name) as StageTopology;
export const POSTING = stage('posting');
export const INGESTION = stage('ingestion');
export const example = (name: string): InvoiceEvent => readExampleEvent(name) as unknown as InvoiceEvent;

/** Describes the stack with every output before each test; resets every mock after it. */
export function useAwsMocks(): void {
  beforeEach(() => {
    cfn.on(DescribeStacksCommand).resolves(describeStacks(stackOutputs()));
  });
  afterEach(() => {
    cfn.reset();
    eventBridge.reset();
    sqs.reset();
    cloudWatch.reset();
    timestream.reset();
  });
}

/** Runs the CLI in-process at {@link NOW} with the mocked clients. */
export function run(
  argv: string[],
  options: { signal?: AbortSignal; stdin?: string } = {},
): Promise<OpsResult> {
  return runOpsInProcess(argv, { createAwsClients, now: () => NOW, ...options });
}

/** A `GetQueueAttributes` answer with these approximate counts. */
export function depth(visible: number, notVisible = 0) {
  return {
    Attributes: {
      ApproximateNumberOfMessages: String(visible),
      ApproximateNumberOfMessagesNotVisible: String(notVisible),
    },
  };
}
