import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../cells/topology.js';
import { LAMBDA_ENV } from '../../consumers/aws/lambda/lambda-env.js';
import { MONITOR_METRIC_NAMES } from '../../consumers/monitoring/monitor-metrics.js';
import { DATA_API_ACTIONS } from '../../stacks/aurora-store.js';
import type { CellStack } from '../../stacks/cell-stack.js';
import { actionsOf, logicalIdOf, resourcesOf, statementsOfRole, templateJson } from './cell-fixture.js';
import { synthScratch } from './support/aurora-fixture.js';

const scratch = synthScratch();
afterAll(() => scratch.cleanup());

describe('CellStack with the aurora-postgresql store: stuck monitor', () => {
  let stack: CellStack;
  let template: Template;

  beforeAll(() => {
    // Prepare: us-west-1 has no Timestream; the cell runs on Aurora.
    const synth = scratch.synth({ cells: 'us-west-1', store: 'aurora-postgresql' });
    stack = synth.stacks[0] as CellStack;
    template = synth.templates.get('us-west-1') as Template;
  });

  it('adds the scheduled monitor, and the alarm rules on its signals', () => {
    expect(stack.stuckMonitor).toBeDefined();
    const ids = stack.alarms.rules.map((r) => r.id);
    expect(ids).toContain('stuck-monitor-dlq-not-empty');
    const stuckRules = stack.alarms.rules.filter((r) => r.signal === 'stuckInvoices').map((r) => r.stage);
    expect(stuckRules).toEqual(CELL_TOPOLOGY.stages.filter((s) => s.slaSec > 0).map((s) => s.name));
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(5 minutes)' });
    const alarms = Object.values(templateJson(template).Resources).filter(
      (r) => r.Type === 'AWS::CloudWatch::Alarm',
    );
    const stuckAlarms = alarms.filter((r) =>
      JSON.stringify(r.Properties).includes(`"${MONITOR_METRIC_NAMES.stuckInvoices}"`),
    );
    expect(stuckAlarms).toHaveLength(stuckRules.length);
  });

  it('names the cluster, secret and database in the monitor environment, and no Timestream table', () => {
    const fn = logicalIdOf(template, 'AWS::Lambda::Function', 'StuckMonitorFunction');
    const props = templateJson(template).Resources[fn]?.Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    const env = props.Environment.Variables;
    expect(env[LAMBDA_ENV.storeKind]).toBe('aurora-postgresql');
    expect(env[LAMBDA_ENV.auroraDatabase]).toBe('invoices');
    expect(env[LAMBDA_ENV.auroraClusterArn]).toBeDefined();
    expect(env[LAMBDA_ENV.auroraSecretArn]).toEqual({
      Ref: logicalIdOf(
        template,
        'AWS::SecretsManager::SecretTargetAttachment',
        'AuroraStoreClusterSecretAttachment',
      ),
    });
    expect(env[LAMBDA_ENV.database]).toBeUndefined();
    expect(env[LAMBDA_ENV.table]).toBeUndefined();
  });

  it('may call the Data API on this cluster with this secret, publish its alert, and nothing else', () => {
    // Prepare
    const cluster = logicalIdOf(template, 'AWS::RDS::DBCluster', 'AuroraStoreCluster');
    const attachment = logicalIdOf(
      template,
      'AWS::SecretsManager::SecretTargetAttachment',
      'AuroraStoreClusterSecretAttachment',
    );
    const key = logicalIdOf(template, 'AWS::KMS::Key', 'AuroraStoreKey');
    const role = logicalIdOf(template, 'AWS::IAM::Role', 'StuckMonitorFunctionRole');

    // Act
    const statements = statementsOfRole(template, role);
    const storeStatements = statements.filter((s) =>
      actionsOf(s).some((a) => /^(rds-data|secretsmanager):/.test(a) || resourcesOf(s).includes(key)),
    );

    // Assess: exactly the processors' grant (aurora-cell.test.ts pins the same three statements)
    expect(storeStatements).toEqual([
      {
        Action: [...DATA_API_ACTIONS],
        Effect: 'Allow',
        Resource: {
          'Fn::Join': ['', ['arn:aws:rds:us-west-1:111122223333:cluster:', { Ref: cluster }]],
        },
      },
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: attachment } },
      {
        Action: 'kms:Decrypt',
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-west-1.amazonaws.com' } },
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [key, 'Arn'] },
      },
    ]);
    const all = statements.flatMap(actionsOf);
    expect(all.filter((a) => a.startsWith('timestream:'))).toEqual([]);
    expect(all).not.toContain('secretsmanager:DescribeSecret');
    expect([...new Set(all.map((a) => a.split(':')[0]))].sort()).toEqual([
      'kms',
      'logs',
      'rds-data',
      'secretsmanager',
      'sns',
      'sqs',
      'xray',
    ]);
    const wildcard = statements.filter((s) => resourcesOf(s).includes('*')).flatMap(actionsOf);
    expect(wildcard.sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });
});
