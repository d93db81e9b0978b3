import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../cells/topology.js';
import { LAMBDA_ENV } from '../../consumers/aws/lambda/lambda-env.js';
import { DATA_API_ACTIONS } from '../../stacks/aurora-store.js';
import type { CellStack } from '../../stacks/cell-stack.js';
import { actionsOf, logicalIdOf, resourcesOf, statementsOfRole, templateJson } from './cell-fixture.js';
import { synthScratch } from './support/aurora-fixture.js';

/**
 * The monthly report of an Aurora cell: the same construct as on Timestream (schedule, bucket,
 * topic, DLQ, alarm), its function configured for the Aurora store and granted exactly the
 * processors' Data API access — nothing of Timestream.
 */

const scratch = synthScratch();

describe('MonthlyReport on an Aurora cell', () => {
  let stack: CellStack;
  let template: Template;

  beforeAll(() => {
    const { stacks, templates } = scratch.synth({ cells: 'us-west-1', store: 'aurora-postgresql' });
    stack = stacks[0] as CellStack;
    template = templates.get('us-west-1') as Template;
  });

  afterAll(() => scratch.cleanup());

  it('is built, with its schedule and failure alarm, in the cell’s time zone', () => {
    expect(stack.monthlyReport).toBeDefined();
    expect(stack.monthlyReport?.spec).toBeUndefined();
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpressionTimezone: CELL_TOPOLOGY.settings.timeZone,
    });
    template.resourceCountIs(
      'AWS::S3::Bucket',
      Object.keys(template.findResources('AWS::S3::Bucket')).length,
    );
    expect(stack.monthlyReport?.failedAlarm).toBeDefined();
  });

  it('names the Aurora store in the function’s environment, and no Timestream table', () => {
    const fn = logicalIdOf(template, 'AWS::Lambda::Function', 'MonthlyReportFunction');
    const environment = templateJson(template).Resources[fn]?.Properties?.Environment as
      | { Variables: Record<string, unknown> }
      | undefined;
    const env = environment?.Variables ?? {};
    expect(env[LAMBDA_ENV.storeKind]).toBe('aurora-postgresql');
    expect(env[LAMBDA_ENV.auroraDatabase]).toBe(stack.aurora?.databaseName);
    expect(env[LAMBDA_ENV.auroraClusterArn]).toBeDefined();
    expect(env[LAMBDA_ENV.auroraSecretArn]).toBeDefined();
    for (const name of [LAMBDA_ENV.database, LAMBDA_ENV.table, LAMBDA_ENV.reportSpec]) {
      expect(env[name]).toBeUndefined();
    }
  });

  it('may call the Data API on this cluster with this secret, exactly as the processors may', () => {
    // Prepare
    const cluster = logicalIdOf(template, 'AWS::RDS::DBCluster', 'AuroraStoreCluster');
    const attachment = logicalIdOf(
      template,
      'AWS::SecretsManager::SecretTargetAttachment',
      'AuroraStoreClusterSecretAttachment',
    );
    const key = logicalIdOf(template, 'AWS::KMS::Key', 'AuroraStoreKey');
    const role = logicalIdOf(template, 'AWS::IAM::Role', 'MonthlyReportFunctionRole');

    // Act
    const statements = statementsOfRole(template, role);
    const storeStatements = statements.filter((s) =>
      actionsOf(s).some((a) => /^(rds-data|secretsmanager):/.test(a) || resourcesOf(s).includes(key)),
    );

    // Assess
    expect(storeStatements).toEqual([
      {
        Action: [...DATA_API_ACTIONS],
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', ['arn:aws:rds:us-west-1:111122223333:cluster:', { Ref: cluster }]] },
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
    const wildcard = statements.filter((s) => resourcesOf(s).includes('*')).flatMap(actionsOf);
    expect(wildcard.sort()).toEqual([
      'cloudwatch:GetMetricData',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });
});
