import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { CellSettings } from '../../cells/topology.js';
import { RETAINED } from './retained.js';

/**
 * Access log fields. Deliberately no `$input.body` or headers: events carry vendor and amount
 * data, and the access log is for operations, not a second copy of the archive.
 */
export const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  requestTimeEpoch: '$context.requestTimeEpoch',
  sourceIp: '$context.identity.sourceIp',
  caller: '$context.identity.caller',
  userArn: '$context.identity.userArn',
  apiKeyId: '$context.identity.apiKeyId',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatencyMs: '$context.responseLatency',
  integrationStatus: '$context.integration.status',
  integrationLatencyMs: '$context.integration.latency',
  integrationError: '$context.integration.error',
  errorType: '$context.error.responseType',
  errorMessage: '$context.error.message',
  validationError: '$context.error.validationErrorString',
  wafResponseCode: '$context.wafResponseCode',
  xrayTraceId: '$context.xrayTraceId',
};

/**
 * Per-producer (API key) throttle and daily quota from the cell settings. Pure.
 *
 * @example
 * const { throttle, quota } = usagePlanLimits(settings);
 * api.addUsagePlan('UsagePlan', { throttle, quota, apiStages: [{ api, stage: api.deploymentStage }] });
 */
export function usagePlanLimits(settings: CellSettings): {
  throttle: apigw.ThrottleSettings;
  quota: apigw.QuotaSettings;
} {
  return {
    throttle: { rateLimit: settings.apiRateLimitRps, burstLimit: settings.apiBurstLimit },
    quota: { limit: settings.apiDailyQuota, period: apigw.Period.DAY },
  };
}

/**
 * Props of the cell's ingest REST API: regional, IAM + API key on every method by default, X-Ray
 * tracing, error-level execution logs without request bodies, JSON access logs, and the cell-wide
 * throttle. Pure.
 *
 * @example
 * const api = new apigw.RestApi(this, 'Api', ingestRestApiProps(settings, 'v1', accessLogGroup));
 */
export function ingestRestApiProps(
  settings: CellSettings,
  stageName: string,
  accessLogGroup: logs.ILogGroup,
): apigw.RestApiProps {
  return {
    description: 'Invoice events: POST /invoices/{stage}, put on the cell event bus',
    endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
    // Execution logging needs API Gateway's account-level CloudWatch role (one per region).
    cloudWatchRole: true,
    cloudWatchRoleRemovalPolicy: RETAINED,
    apiKeySourceType: apigw.ApiKeySourceType.HEADER,
    defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM, apiKeyRequired: true },
    deployOptions: {
      stageName,
      tracingEnabled: true,
      metricsEnabled: true,
      loggingLevel: apigw.MethodLoggingLevel.ERROR,
      // Data trace would log full request bodies.
      dataTraceEnabled: false,
      // Cell-wide ceiling; the usage plan applies the same limits per producer key.
      throttlingRateLimit: settings.apiRateLimitRps,
      throttlingBurstLimit: settings.apiBurstLimit,
      accessLogDestination: new apigw.LogGroupLogDestination(accessLogGroup),
      accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
    },
  };
}
