import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTopology, CELL_TOPOLOGY } from '../../cells/topology.js';
import { stageRequestSchema } from '../../schemas/index.js';
import { ACCESS_LOG_FIELDS } from '../../stacks/defaults/rest-api-defaults.js';
import { webAclRules } from '../../stacks/defaults/web-acl-defaults.js';
import { IngestApi } from '../../stacks/ingest-api.js';
import {
  GATEWAY_RESPONSE_TEMPLATES,
  PARTIAL_FAILURE_STATUS,
  PUT_EVENTS_RESPONSE_TEMPLATE,
} from '../../stacks/ingest-api-templates.js';
import {
  actionsOf,
  logicalIdOf,
  logicalIdsOfType,
  resourcesOf,
  statementsOfRole,
  synthCells,
  templateJson,
} from './cell-fixture.js';

const { settings, stages } = CELL_TOPOLOGY;

describe('IngestApi', () => {
  let template: Template;

  beforeAll(() => {
    // Prepare: one cell, synthesized once for every assertion of this file.
    const cell = synthCells('us-east-1');
    const found = cell.templates.get('us-east-1');
    if (!found) throw new Error('us-east-1 was not synthesized');
    template = found;
  });

  describe('routes', () => {
    it('creates one POST /invoices/{stage} resource per topology stage', () => {
      // Act
      const paths = templateJson(template);
      const resources = Object.values(paths.Resources).filter((r) => r.Type === 'AWS::ApiGateway::Resource');

      // Assess: /invoices plus one child per stage
      const pathParts = resources.map((r) => r.Properties?.PathPart);
      expect(pathParts.sort()).toEqual(['invoices', ...stages.map((s) => s.name)].sort());
      for (const stage of stages) {
        expect(stage.routePath).toBe(`/invoices/${stage.name}`);
      }
      template.resourceCountIs('AWS::ApiGateway::Method', stages.length);
    });

    it('requires IAM authorization, an API key, the body validator and the stage model on every route', () => {
      // Prepare
      const validatorId = logicalIdOf(template, 'AWS::ApiGateway::RequestValidator', 'ApiBodyValidator');

      for (const stage of stages) {
        // Act
        const modelId = logicalIdOf(template, 'AWS::ApiGateway::Model', `Api${stage.title}Request`);
        const resourceId = logicalIdOf(template, 'AWS::ApiGateway::Resource', `Apiinvoices${stage.name}`);

        // Assess
        template.hasResourceProperties('AWS::ApiGateway::Method', {
          HttpMethod: 'POST',
          ResourceId: { Ref: resourceId },
          AuthorizationType: 'AWS_IAM',
          ApiKeyRequired: true,
          RequestValidatorId: { Ref: validatorId },
          RequestModels: { 'application/json': { Ref: modelId } },
        });
      }
      template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true });
    });

    it('uses the schemas/ stage request schema, unchanged, as each stage model', () => {
      for (const stage of stages) {
        // Act
        const modelId = logicalIdOf(template, 'AWS::ApiGateway::Model', `Api${stage.title}Request`);
        const model = templateJson(template).Resources[modelId];

        // Assess
        expect(model?.Properties?.ContentType).toBe('application/json');
        expect(model?.Properties?.Schema).toEqual(
          stageRequestSchema(stage.name, settings.maxEventsPerRequest),
        );
      }
    });
  });

  describe('integration', () => {
    it('calls EventBridge PutEvents directly with the integration role, no Lambda', () => {
      // Prepare
      const roleId = logicalIdOf(template, 'AWS::IAM::Role', 'ApiPutEventsRole');

      // Assess
      template.allResourcesProperties('AWS::ApiGateway::Method', {
        Integration: Match.objectLike({
          Type: 'AWS',
          IntegrationHttpMethod: 'POST',
          Uri: 'arn:aws:apigateway:us-east-1:events:action/PutEvents',
          Credentials: { 'Fn::GetAtt': [roleId, 'Arn'] },
          PassthroughBehavior: 'NEVER',
          RequestParameters: {
            'integration.request.header.X-Amz-Target': "'AWSEvents.PutEvents'",
            'integration.request.header.Content-Type': "'application/x-amz-json-1.1'",
          },
        }),
      });
    });

    it('lets the integration role put events on the cell bus and do nothing else', () => {
      // Prepare
      const roleId = logicalIdOf(template, 'AWS::IAM::Role', 'ApiPutEventsRole');
      const busId = logicalIdOf(template, 'AWS::Events::EventBus', 'RoutingBus');

      // Act
      const statements = statementsOfRole(template, roleId);

      // Assess
      expect(statements.map(actionsOf)).toEqual([['events:PutEvents']]);
      expect(statements.map(resourcesOf)).toEqual([[busId]]);
    });

    it('puts each stage event with the cell source, the stage detail-type and the bus name', () => {
      for (const stage of stages) {
        // Act
        const method = Object.values(templateJson(template).Resources).find(
          (r) =>
            r.Type === 'AWS::ApiGateway::Method' &&
            JSON.stringify(r.Properties).includes(`"DetailType\\": \\"${stage.detailType}\\"`),
        );
        const text = JSON.stringify(method?.Properties?.Integration);

        // Assess
        expect(method).toBeDefined();
        expect(text).toContain(`\\"Source\\": \\"${settings.eventSource}\\"`);
        expect(text).toContain('"Ref":"RoutingBus');
        expect(text).toContain('receivedAtMs');
        expect(text).toContain('$context.requestTimeEpoch');
      }
    });

    it('answers 502 naming the failed entries when PutEvents reports FailedEntryCount > 0', () => {
      // Assess: the 2xx integration response carries the status-overriding template
      template.allResourcesProperties('AWS::ApiGateway::Method', {
        Integration: Match.objectLike({
          IntegrationResponses: Match.arrayWith([
            { StatusCode: '200', ResponseTemplates: { 'application/json': PUT_EVENTS_RESPONSE_TEMPLATE } },
            Match.objectLike({ StatusCode: '503', SelectionPattern: '[45]\\d{2}' }),
          ]),
        }),
        MethodResponses: Match.arrayWith([
          { StatusCode: '200' },
          { StatusCode: String(PARTIAL_FAILURE_STATUS) },
        ]),
      });
      expect(PUT_EVENTS_RESPONSE_TEMPLATE).toMatch(
        /#if\(\$failedCount > 0\)\n#set\(\$context\.responseOverride\.status = 502\)/,
      );
    });

    it('answers a bad body with JSON naming the invalid fields', () => {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'BAD_REQUEST_BODY',
        StatusCode: '400',
        ResponseTemplates: { 'application/json': GATEWAY_RESPONSE_TEMPLATES.badRequestBody },
      });
      expect(GATEWAY_RESPONSE_TEMPLATES.badRequestBody).toContain('$context.error.validationErrorString');
      for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
        template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
          ResponseType: type,
          ResponseTemplates: {
            'application/json': Match.stringLikeRegexp('"message": \\$context.error.messageString'),
          },
        });
      }
    });
  });

  describe('stage', () => {
    it('enables X-Ray, throttles the cell and logs access without request bodies to a KMS log group', () => {
      // Prepare
      const logGroupId = logicalIdOf(template, 'AWS::Logs::LogGroup', 'ApiAccessLogs');

      // Assess
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        TracingEnabled: true,
        AccessLogSetting: { DestinationArn: Match.anyValue(), Format: JSON.stringify(ACCESS_LOG_FIELDS) },
        MethodSettings: [
          Match.objectLike({
            DataTraceEnabled: false,
            LoggingLevel: 'ERROR',
            ThrottlingRateLimit: settings.apiRateLimitRps,
            ThrottlingBurstLimit: settings.apiBurstLimit,
          }),
        ],
      });
      expect(JSON.stringify(ACCESS_LOG_FIELDS)).not.toMatch(/\$input|body|header/i);
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LogsKey'), 'Arn'] },
      });
      expect(logGroupId).toMatch(/^ApiAccessLogs/);
    });

    it('pre-creates the execution log group, encrypted, under the name API Gateway writes to', () => {
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: {
          'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: Match.stringLikeRegexp('^Api') }, '/v1']],
        },
        KmsKeyId: Match.anyValue(),
        RetentionInDays: Match.anyValue(),
      });
    });
  });

  describe('usage plan', () => {
    it('throttles and meters each producer key with the topology limits', () => {
      template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
        Throttle: { RateLimit: settings.apiRateLimitRps, BurstLimit: settings.apiBurstLimit },
        Quota: { Limit: settings.apiDailyQuota, Period: 'DAY' },
        ApiStages: [Match.objectLike({ ApiId: { Ref: Match.stringLikeRegexp('^Api') } })],
      });
    });

    it('takes its limits from cell overrides', () => {
      // Prepare
      const topology = buildTopology({ apiRateLimitRps: 42, apiBurstLimit: 84, apiDailyQuota: 1000 });
      const stack = new Stack(new App(), 'S', { env: { region: 'us-east-1', account: '111122223333' } });

      // Act
      new IngestApi(stack, 'Api', {
        topology,
        bus: new events.EventBus(stack, 'Bus'),
        logsKey: new kms.Key(stack, 'Key'),
      });
      const t = Template.fromStack(stack);

      // Assess
      t.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
        Throttle: { RateLimit: 42, BurstLimit: 84 },
        Quota: { Limit: 1000, Period: 'DAY' },
      });
    });
  });

  describe('waf', () => {
    it('runs the three AWS managed rule groups and a per-IP rate rule', () => {
      template.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'REGIONAL',
        DefaultAction: { Allow: {} },
        // In priority order: reputation first, the rate rule last.
        Rules: Match.arrayWith([
          Match.objectLike({
            Statement: {
              ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesAmazonIpReputationList' },
            },
          }),
          Match.objectLike({
            Name: 'AWSManagedRulesCommonRuleSet',
            Statement: {
              ManagedRuleGroupStatement: Match.objectLike({
                VendorName: 'AWS',
                Name: 'AWSManagedRulesCommonRuleSet',
                RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
              }),
            },
          }),
          Match.objectLike({
            Statement: {
              ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' },
            },
          }),
          Match.objectLike({
            Name: 'RateLimitPerIp',
            Action: { Block: {} },
            Statement: {
              RateBasedStatement: {
                Limit: settings.wafRateLimitPer5Min,
                AggregateKeyType: 'IP',
                EvaluationWindowSec: 300,
              },
            },
          }),
        ]),
      });
      expect(webAclRules(settings).map((r) => r.priority)).toEqual([0, 1, 2, 3]);
    });

    it('associates the web ACL with the API stage', () => {
      // Prepare
      const aclId = logicalIdOf(template, 'AWS::WAFv2::WebACL', 'ApiWebAcl');
      const stageId = logicalIdsOfType(template, 'AWS::ApiGateway::Stage')[0];

      // Assess
      template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
        WebACLArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
        ResourceArn: {
          'Fn::Join': [
            '',
            Match.arrayWith([{ Ref: Match.stringLikeRegexp('^Api') }, '/stages/', { Ref: stageId }]),
          ],
        },
      });
    });
  });

  describe('constructor', () => {
    const newApi = (overrides: Parameters<typeof buildTopology>[0], stageName?: string) => {
      const stack = new Stack(new App(), 'S', { env: { region: 'us-east-1', account: '111122223333' } });
      const topology = { ...buildTopology(), settings: { ...buildTopology().settings, ...overrides } };
      return () =>
        new IngestApi(stack, 'Api', {
          topology,
          bus: new events.EventBus(stack, 'Bus'),
          logsKey: new kms.Key(stack, 'Key'),
          ...(stageName === undefined ? {} : { stageName }),
        });
    };

    it('rejects a WAF rate limit below the WAF minimum, showing the value', () => {
      expect(newApi({ wafRateLimitPer5Min: 5 })).toThrow(
        'wafRateLimitPer5Min must be an integer in 10..2000000000, got 5',
      );
    });

    it('rejects a non-positive daily quota, showing the value', () => {
      expect(newApi({ apiDailyQuota: 0 })).toThrow('apiDailyQuota must be a positive integer, got 0');
    });

    it('rejects a stage name API Gateway would refuse', () => {
      expect(newApi({}, 'v 1')).toThrow('stageName must be 1-64 letters, digits or _, got "v 1"');
    });
  });
});
