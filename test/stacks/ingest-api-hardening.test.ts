import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalIdOf, synthCells, templateJson } from './cell-fixture.js';

/** Dimensions of the metrics of one alarm, by alarm name. */
function alarmDimensions(template: Template, alarmName: string): { Name: string; Value: unknown }[] {
  const alarm = Object.values(templateJson(template).Resources).find(
    (r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties?.AlarmName === alarmName,
  );
  const metrics = (alarm?.Properties?.Metrics ?? []) as {
    MetricStat?: { Metric: { Dimensions: { Name: string; Value: unknown }[] } };
  }[];
  return metrics.flatMap((m) => m.MetricStat?.Metric.Dimensions ?? []);
}

describe('IngestApi (deploy hardening)', () => {
  let templates: ReadonlyMap<string, Template>;

  beforeAll(() => {
    // Prepare: two cells, to tell per-cell names from shared ones.
    templates = synthCells('us-east-1,us-west-2').templates;
  });

  const cellTemplate = (cell: string): Template => {
    const found = templates.get(cell);
    if (!found) throw new Error(`${cell} was not synthesized`);
    return found;
  };

  describe('name', () => {
    it('names the REST API after its cell, so API Gateway metrics of two APIs never merge', () => {
      for (const cell of ['us-east-1', 'us-west-2']) {
        // Act
        const template = cellTemplate(cell);
        const apiName = `InvoiceCell-${cell}-ingest`;

        // Assess: the API and the 5xx alarm's ApiName dimension
        template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: apiName });
        expect(alarmDimensions(template, `InvoiceCell-${cell}-api-5xx-rate`)).toContainEqual({
          Name: 'ApiName',
          Value: apiName,
        });
      }
    });
  });

  describe('integration role', () => {
    it('may be assumed by API Gateway for this API of this account only (confused deputy)', () => {
      // Prepare
      const template = cellTemplate('us-east-1');
      const roleId = logicalIdOf(template, 'AWS::IAM::Role', 'ApiPutEventsRole');
      const apiId = logicalIdOf(template, 'AWS::ApiGateway::RestApi', 'Api');

      // Act
      const trust = templateJson(template).Resources[roleId]?.Properties?.AssumeRolePolicyDocument;

      // Assess
      expect(trust).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'apigateway.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: {
              StringEqualsIfExists: { 'aws:SourceAccount': '111122223333' },
              ArnLikeIfExists: {
                'aws:SourceArn': {
                  'Fn::Join': ['', ['arn:aws:execute-api:us-east-1:111122223333:', { Ref: apiId }, '/*']],
                },
              },
            },
          },
        ],
      });
    });
  });

  describe('waf logging', () => {
    it('logs the web ACL to an aws-waf-logs- group encrypted with the logs key, credentials redacted', () => {
      // Prepare
      const template = cellTemplate('us-east-1');
      const aclId = logicalIdOf(template, 'AWS::WAFv2::WebACL', 'ApiWebAcl');
      const groupId = logicalIdOf(template, 'AWS::Logs::LogGroup', 'ApiWafLogs');
      const logsKeyId = logicalIdOf(template, 'AWS::KMS::Key', 'LogsKey');
      const group = templateJson(template).Resources[groupId];
      const groupName = {
        'Fn::Join': ['', ['aws-waf-logs-InvoiceCell-us-east-1-', { 'Fn::GetAtt': [aclId, 'Id'] }]],
      };

      // Assess: the group
      expect(group?.Properties).toMatchObject({
        LogGroupName: groupName,
        KmsKeyId: { 'Fn::GetAtt': [logsKeyId, 'Arn'] },
      });
      // Assess: the logging configuration names that group (ARN without `:*`) and redacts credentials
      template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
        ResourceArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
        LogDestinationConfigs: [
          {
            'Fn::Join': [
              '',
              [
                'arn:aws:logs:us-east-1:111122223333:log-group:aws-waf-logs-InvoiceCell-us-east-1-',
                { 'Fn::GetAtt': [aclId, 'Id'] },
              ],
            ],
          },
        ],
        RedactedFields: [
          { SingleHeader: { Name: 'authorization' } },
          { SingleHeader: { Name: 'x-api-key' } },
        ],
      });
    });
  });
});
