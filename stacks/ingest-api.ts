import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { CellSettings, CellTopology, StageTopology } from '../cells/topology.js';
import { stageRequestSchema } from '../schemas/index.js';
import { DEFAULT_LOG_RETENTION, encryptedLogGroupProps } from './defaults/log-group-defaults.js';
import { ingestRestApiProps, usagePlanLimits } from './defaults/rest-api-defaults.js';
import { webAclRules } from './defaults/web-acl-defaults.js';
import {
  BUS_UNAVAILABLE_STATUS,
  GATEWAY_RESPONSE_TEMPLATES,
  PARTIAL_FAILURE_STATUS,
  PUT_EVENTS_ERROR_TEMPLATE,
  PUT_EVENTS_RESPONSE_TEMPLATE,
  putEventsRequestTemplate,
} from './ingest-api-templates.js';

export interface IngestApiProps {
  readonly topology: CellTopology;
  /** The bus every accepted event is put on. */
  readonly bus: events.IEventBus;
  /** Key of the access and execution log groups. */
  readonly logsKey: kms.IKey;
  /** API stage name, part of the URL. @default 'v1' */
  readonly stageName?: string;
  /** @default DEFAULT_LOG_RETENTION */
  readonly logRetention?: logs.RetentionDays;
}

/** WAF rate-based rule limits (https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html). */
const WAF_RATE_LIMIT_RANGE = { min: 10, max: 2_000_000_000 } as const;

function validate(props: IngestApiProps): void {
  const { settings, stages } = props.topology;
  if (stages.length === 0) throw new Error('ingest api needs at least one stage, got 0');
  const stageName = props.stageName ?? 'v1';
  if (!/^[A-Za-z0-9_]{1,64}$/.test(stageName)) {
    throw new Error(
      `ingest api stageName must be 1-64 letters, digits or _, got ${JSON.stringify(stageName)}`,
    );
  }
  for (const key of ['apiRateLimitRps', 'apiBurstLimit', 'apiDailyQuota'] as const) {
    const value = settings[key];
    if (!Number.isInteger(value) || value <= 0) {
      throw new Error(`ingest api ${key} must be a positive integer, got ${value}`);
    }
  }
  const waf = settings.wafRateLimitPer5Min;
  if (!Number.isInteger(waf) || waf < WAF_RATE_LIMIT_RANGE.min || waf > WAF_RATE_LIMIT_RANGE.max) {
    throw new Error(
      `ingest api wafRateLimitPer5Min must be an integer in ${WAF_RATE_LIMIT_RANGE.min}..${WAF_RATE_LIMIT_RANGE.max}, got ${waf}`,
    );
  }
}

/**
 * `POST /invoices/{stage}` for every stage of the topology, integrated directly with EventBridge
 * PutEvents. Producers authenticate with IAM (SigV4); API keys + the usage plan meter and throttle
 * each producer (API keys are not authentication); WAF sits in front.
 *
 * @example
 * const api = new IngestApi(this, 'Api', { topology, bus: routing.bus, logsKey: logs.key });
 * new CfnOutput(this, 'ApiUrl', { value: api.api.url });
 */
export class IngestApi extends Construct {
  readonly api: apigw.RestApi;
  readonly usagePlan: apigw.UsagePlan;
  readonly webAcl: wafv2.CfnWebACL;
  readonly accessLogGroup: logs.LogGroup;
  /** Full WAF request logs (authorization and API key headers redacted), encrypted with the logs key. */
  readonly wafLogGroup: logs.LogGroup;
  /** The role API Gateway assumes to call PutEvents on the bus (and nothing else). */
  readonly putEventsRole: iam.Role;
  /** Route resources by stage name. */
  readonly routes: ReadonlyMap<string, apigw.Resource>;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    validate(props);
    const { settings, stages } = props.topology;
    const stageName = props.stageName ?? 'v1';
    const retention = props.logRetention ?? DEFAULT_LOG_RETENTION;

    this.accessLogGroup = new logs.LogGroup(
      this,
      'AccessLogs',
      encryptedLogGroupProps(props.logsKey, retention),
    );
    // Named after the cell's stack: API Gateway metrics are keyed by `ApiName`, so a name shared with
    // another REST API of the account and region would merge their series (and the 5xx alarm).
    this.api = new apigw.RestApi(this, 'Api', {
      ...ingestRestApiProps(settings, stageName, this.accessLogGroup),
      restApiName: `${Stack.of(this).stackName}-ingest`,
    });
    // RestApi adds an `Endpoint` output of its own; the cell publishes the URL as `ApiUrl` only.
    this.api.node.tryRemoveChild('Endpoint');
    this.addExecutionLogs(props.logsKey, retention, stageName);

    this.putEventsRole = this.addPutEventsRole();
    props.bus.grantPutEventsTo(this.putEventsRole);

    const validator = this.api.addRequestValidator('BodyValidator', {
      validateRequestBody: true,
      // No route declares parameters today; validating them costs nothing and keeps it so.
      validateRequestParameters: true,
    });
    const routes = new Map<string, apigw.Resource>();
    for (const stage of stages) {
      routes.set(stage.name, this.addStageRoute(stage, settings, props.bus, validator));
    }
    this.routes = routes;
    this.addGatewayResponses();

    const limits = usagePlanLimits(settings);
    this.usagePlan = this.api.addUsagePlan('UsagePlan', {
      description: 'Producers: attach each producer API key here',
      throttle: limits.throttle,
      quota: limits.quota,
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    this.webAcl = this.addWebAcl(settings);
    this.wafLogGroup = this.addWafLogging(props.logsKey, retention);
    this.acknowledgeNagFindings();
  }

  /**
   * API Gateway writes execution logs to this fixed name; creating it first makes it encrypted
   * and retained instead of a plain group API Gateway would create on first error.
   */
  private addExecutionLogs(logsKey: kms.IKey, retention: logs.RetentionDays, stageName: string): void {
    const executionLogs = new logs.LogGroup(this, 'ExecutionLogs', {
      ...encryptedLogGroupProps(logsKey, retention),
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${stageName}`,
    });
    this.api.deploymentStage.node.addDependency(executionLogs);
  }

  /**
   * The role API Gateway assumes for the PutEvents integration. Confused deputy: only this API of
   * this account may assume it (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
   * The conditions are `...IfExists`: the API Gateway guide documents no `aws:SourceArn` /
   * `aws:SourceAccount` for integration roles, so an AssumeRole without them still works, and one
   * that carries them must name this API
   * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists).
   */
  private addPutEventsRole(): iam.Role {
    const stack = Stack.of(this);
    return new iam.Role(this, 'PutEventsRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com', {
        conditions: {
          StringEqualsIfExists: { 'aws:SourceAccount': stack.account },
          ArnLikeIfExists: {
            'aws:SourceArn': stack.formatArn({
              service: 'execute-api',
              resource: this.api.restApiId,
              resourceName: '*',
            }),
          },
        },
      }),
      description: 'API Gateway integration: events:PutEvents on the cell bus only',
    });
  }

  /**
   * WAF request logs to CloudWatch Logs, encrypted with the cell's logs key. The destination name
   * must start with `aws-waf-logs-`, and WAF adds the log group's resource policy itself
   * (https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html). The web ACL id in
   * the name keeps a retained group of an earlier stack from colliding with a new one. The SigV4
   * `authorization` and the `x-api-key` headers are redacted: logs are no place for credentials.
   */
  private addWafLogging(logsKey: kms.IKey, retention: logs.RetentionDays): logs.LogGroup {
    const logGroupName = `aws-waf-logs-${Stack.of(this).stackName}-${this.webAcl.attrId}`;
    const logGroup = new logs.LogGroup(this, 'WafLogs', {
      ...encryptedLogGroupProps(logsKey, retention),
      logGroupName,
    });
    const logging = new wafv2.CfnLoggingConfiguration(this, 'WebAclLogging', {
      resourceArn: this.webAcl.attrArn,
      // The group ARN without CDK's trailing `:*`, which WAF refuses.
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'x-api-key' } }],
    });
    logging.node.addDependency(logGroup);
    return logGroup;
  }

  /** JSON error bodies for bad requests and for API Gateway's own 4xx and 5xx answers. */
  private addGatewayResponses(): void {
    this.api.addGatewayResponse('BadRequestBody', {
      type: apigw.ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      templates: { 'application/json': GATEWAY_RESPONSE_TEMPLATES.badRequestBody },
    });
    this.api.addGatewayResponse('Default4xx', {
      type: apigw.ResponseType.DEFAULT_4XX,
      templates: { 'application/json': GATEWAY_RESPONSE_TEMPLATES.default },
    });
    this.api.addGatewayResponse('Default5xx', {
      type: apigw.ResponseType.DEFAULT_5XX,
      templates: { 'application/json': GATEWAY_RESPONSE_TEMPLATES.default },
    });
  }

  /** The regional web ACL in front of the API stage. */
  private addWebAcl(settings: CellSettings): wafv2.CfnWebACL {
    const webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: {
        sampledRequestsEnabled: true,
        cloudWatchMetricsEnabled: true,
        metricName: 'IngestApi',
      },
      rules: webAclRules(settings),
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: webAcl.attrArn,
    });
    return webAcl;
  }

  private acknowledgeNagFindings(): void {
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Producers are machines authenticated with IAM SigV4 (AuthorizationType.IAM on every method), ' +
        'not Cognito users; API keys + usage plan meter them (DESIGN §2a).',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "API Gateway's account-level CloudWatch role: the AWS-managed policy is the documented policy for it " +
        'and only lets API Gateway write its own execution and access logs.',
    });
  }

  private addStageRoute(
    stage: StageTopology,
    settings: CellSettings,
    bus: events.IEventBus,
    validator: apigw.RequestValidator,
  ): apigw.Resource {
    const model = this.api.addModel(`${stage.title}Request`, {
      contentType: 'application/json',
      description: `POST ${stage.routePath}: one ${stage.name} event or {"events": [...]}`,
      // The schema is the contract file itself (draft-04), not a CDK-typed re-statement of it.
      schema: stageRequestSchema(stage.name, settings.maxEventsPerRequest) as apigw.JsonSchema,
    });
    const integration = new apigw.AwsIntegration({
      service: 'events',
      action: 'PutEvents',
      integrationHttpMethod: 'POST',
      options: {
        credentialsRole: this.putEventsRole,
        // Anything that is not JSON gets 415 instead of reaching the bus unvalidated.
        passthroughBehavior: apigw.PassthroughBehavior.NEVER,
        requestParameters: {
          'integration.request.header.X-Amz-Target': "'AWSEvents.PutEvents'",
          'integration.request.header.Content-Type': "'application/x-amz-json-1.1'",
        },
        requestTemplates: {
          'application/json': putEventsRequestTemplate({
            eventSource: settings.eventSource,
            detailType: stage.detailType,
            eventBusName: bus.eventBusName,
          }),
        },
        integrationResponses: [
          { statusCode: '200', responseTemplates: { 'application/json': PUT_EVENTS_RESPONSE_TEMPLATE } },
          {
            statusCode: String(BUS_UNAVAILABLE_STATUS),
            selectionPattern: '[45]\\d{2}',
            responseTemplates: { 'application/json': PUT_EVENTS_ERROR_TEMPLATE },
          },
        ],
      },
    });
    const resource = this.api.root.resourceForPath(stage.routePath);
    const statuses = [...new Set([200, PARTIAL_FAILURE_STATUS, BUS_UNAVAILABLE_STATUS])];
    resource.addMethod('POST', integration, {
      authorizationType: apigw.AuthorizationType.IAM,
      apiKeyRequired: true,
      requestValidator: validator,
      requestModels: { 'application/json': model },
      methodResponses: statuses.map((status) => ({ statusCode: String(status) })),
    });
    return resource;
  }
}
