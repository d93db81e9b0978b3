import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTopology, CELL_TOPOLOGY, STAGE_SETTINGS } from '../../cells/topology.js';
import { subscriberOutputIds } from '../../stacks/cell-outputs.js';
import { CellStack } from '../../stacks/cell-stack.js';
import { toFilterOrPolicy } from '../../stacks/stage-subscriber.js';
import { cdkJsonContext, logicalIdOf, STUB_LAMBDA_CODE, templateJson } from './cell-fixture.js';

const POLICY = { event: { amount: { currency: ['EUR'] } } };
const topology = buildTopology({}, STAGE_SETTINGS, {
  ingestion: [{ id: 'eur-only', filterPolicy: POLICY, description: 'Treasury: EUR invoices' }],
});
const ingestion = topology.stages[0];

describe('StageSubscriber', () => {
  let stack: CellStack;
  let template: Template;

  beforeAll(() => {
    const app = new App({ context: cdkJsonContext() });
    stack = new CellStack(app, 'InvoiceCell-us-east-1', {
      env: { account: '111122223333', region: 'us-east-1' },
      cell: { name: 'us-east-1', region: 'us-east-1' },
      topology,
      lambdaCode: STUB_LAMBDA_CODE,
    });
    template = Template.fromStack(stack);
  });

  it('subscribes a FIFO queue to the stage topic with raw delivery and the policy in MessageBody scope', () => {
    // Prepare
    const topicId = logicalIdOf(template, 'AWS::SNS::Topic', 'IngestionConsumerIngestionTopic');
    const queueId = logicalIdOf(template, 'AWS::SQS::Queue', 'IngestionConsumerEurOnlySubscriberQueue');
    const dlqId = logicalIdOf(template, 'AWS::SQS::Queue', 'IngestionConsumerEurOnlySubscriberDlq');
    const queueKeyId = logicalIdOf(template, 'AWS::KMS::Key', 'IngestionConsumerQueueKey');

    // Act
    const resources = templateJson(template).Resources;

    // Assess
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      TopicArn: { Ref: topicId },
      Endpoint: { 'Fn::GetAtt': [queueId, 'Arn'] },
      RawMessageDelivery: true,
      FilterPolicyScope: 'MessageBody',
      FilterPolicy: POLICY,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
    });
    expect(resources[queueId]?.Properties).toMatchObject({
      FifoQueue: true,
      ContentBasedDeduplication: false,
      KmsMasterKeyId: { 'Fn::GetAtt': [queueKeyId, 'Arn'] },
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
        maxReceiveCount: ingestion?.maxReceiveCount,
      },
    });
    expect(resources[dlqId]?.Properties).toMatchObject({
      FifoQueue: true,
      KmsMasterKeyId: { 'Fn::GetAtt': [queueKeyId, 'Arn'] },
    });
  });

  it('adds exactly one subscription, two queues and the outputs over the default cell', () => {
    // Prepare
    const stages = CELL_TOPOLOGY.stages.length;
    const outputs = templateJson(template).Outputs ?? {};
    const ids = subscriberOutputIds({ title: 'Ingestion' }, { title: 'EurOnly' });

    // Assess: the default cell has one subscription per stage (and the rollup queries' failed-runs
    // subscription on their notification topic, also filtered by body)
    const rollups = logicalIdOf(template, 'AWS::SNS::Topic', 'RollupsNotifications');
    const onStageTopics = (props: object) =>
      Object.values(template.findResources('AWS::SNS::Subscription', { Properties: props })).filter(
        (r) => JSON.stringify(r.Properties.TopicArn) !== JSON.stringify({ Ref: rollups }),
      );
    expect(onStageTopics({})).toHaveLength(stages + 1);
    expect(onStageTopics({ FilterPolicyScope: 'MessageBody' })).toHaveLength(1);
    expect(ids).toEqual({
      queueUrl: 'IngestionEurOnlyQueueUrl',
      queueArn: 'IngestionEurOnlyQueueArn',
      dlqUrl: 'IngestionEurOnlyDlqUrl',
    });
    for (const id of Object.values(ids)) expect(outputs[id], id).toBeDefined();
  });

  it('stays clean under cdk-nag', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  describe('toFilterOrPolicy', () => {
    it('renders nested keys, operator lists and $or branches unchanged', () => {
      // Prepare
      const policy = {
        event: {
          status: [{ 'anything-but': ['REJECTED'] }],
          amount: { value: [{ numeric: ['>=', 100] }] },
        },
        $or: [{ stage: ['ingestion'] }, { replayName: [{ exists: true }] }],
      };
      const app = new App();
      const probe = new CellStack(app, 'InvoiceCell-us-east-1', {
        env: { account: '111122223333', region: 'us-east-1' },
        cell: { name: 'us-east-1', region: 'us-east-1' },
        topology: buildTopology({}, STAGE_SETTINGS, { posting: [{ id: 'probe', filterPolicy: policy }] }),
        lambdaCode: STUB_LAMBDA_CODE,
      });

      // Act
      const rendered = Template.fromStack(probe).findResources('AWS::SNS::Subscription', {
        Properties: { FilterPolicyScope: 'MessageBody', Protocol: 'sqs', RedrivePolicy: Match.anyValue() },
      });

      // Assess (subscriptions of stage subscribers have a DLQ; the rollups' failed-runs one has none)
      expect(Object.values(rendered).map((r) => r.Properties.FilterPolicy)).toEqual([policy]);
      expect(Object.keys(toFilterOrPolicy(policy)).sort()).toEqual(['$or', 'event']);
    });
  });
});
