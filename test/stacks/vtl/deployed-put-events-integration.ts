import { synthCells, templateJson } from '../cell-fixture.js';
import type { VtlEngine, VtlRequest } from './vtl-engine.js';

/**
 * The ingest API's PutEvents integration exactly as CloudFormation receives it (synthesized by the
 * real app), so the Velocity tests execute the deployed text — CDK's `Fn::Join` around the bus
 * name included — and pick the integration response the way API Gateway does.
 *
 * @example
 * const integration = deployedPutEventsIntegration('invoice.ingestion');
 * const answer = await respond(engine, integration, { status: 400, body: '{}' });
 */

/** The bus name the `Ref` of the synthesized template is resolved to. */
export const DEPLOYED_BUS_NAME = 'cell-bus-us-east-1';

export interface DeployedIntegrationResponse {
  readonly statusCode: number;
  /** Regex matched against the whole backend status code; absent on the default response. */
  readonly selectionPattern?: string;
  readonly template: string;
}

export interface DeployedPutEventsIntegration {
  readonly requestTemplate: string;
  readonly responses: readonly DeployedIntegrationResponse[];
}

interface MethodIntegrationJson {
  readonly RequestTemplates?: Record<string, unknown>;
  readonly IntegrationResponses?: readonly {
    readonly StatusCode: string;
    readonly SelectionPattern?: string;
    readonly ResponseTemplates?: Record<string, string>;
  }[];
}

/** `Fn::Join` over literals and `Ref`s (all the request template uses) → text. */
function resolveJoin(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join === undefined) throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  const [separator, parts] = join;
  return parts.map((part) => (typeof part === 'string' ? part : DEPLOYED_BUS_NAME)).join(separator);
}

/** Synthesizes the us-east-1 cell and returns the POST method integration of `detailType`. */
export function deployedPutEventsIntegration(detailType: string): DeployedPutEventsIntegration {
  const cell = synthCells('us-east-1').templates.get('us-east-1');
  if (cell === undefined) throw new Error('the catalog has no us-east-1 cell');
  const template = templateJson(cell);
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::ApiGateway::Method') continue;
    const integration = resource.Properties?.Integration as MethodIntegrationJson | undefined;
    const request = integration?.RequestTemplates?.['application/json'];
    if (request === undefined) continue;
    const requestTemplate = resolveJoin(request);
    if (!requestTemplate.includes(`"DetailType": "${detailType}"`)) continue;
    return {
      requestTemplate,
      responses: (integration?.IntegrationResponses ?? []).map((r) => ({
        statusCode: Number(r.StatusCode),
        ...(r.SelectionPattern === undefined ? {} : { selectionPattern: r.SelectionPattern }),
        template: r.ResponseTemplates?.['application/json'] ?? '',
      })),
    };
  }
  throw new Error(`no PutEvents method with DetailType ${detailType}`);
}

/**
 * API Gateway's choice: the response whose selection pattern matches the backend status, else the
 * one without a pattern (the default).
 */
export function selectIntegrationResponse(
  responses: readonly DeployedIntegrationResponse[],
  backendStatus: number,
): DeployedIntegrationResponse {
  const matching = responses.find(
    (r) =>
      r.selectionPattern !== undefined &&
      new RegExp(`^(?:${r.selectionPattern})$`).test(String(backendStatus)),
  );
  const chosen = matching ?? responses.find((r) => r.selectionPattern === undefined);
  if (chosen === undefined) throw new Error(`no integration response for ${backendStatus}`);
  return chosen;
}

/** What the producer gets for a backend answer: status (override included) and body. */
export interface ProducerAnswer {
  readonly status: number;
  readonly body: string;
}

/** Runs the integration response API Gateway would pick for this PutEvents answer. */
export async function respond(
  engine: VtlEngine,
  integration: DeployedPutEventsIntegration,
  backend: { readonly status: number; readonly body: string },
  context: VtlRequest['context'] = { requestId: 'req-1' },
): Promise<ProducerAnswer> {
  const response = selectIntegrationResponse(integration.responses, backend.status);
  const { output, context: after } = await engine.render({
    template: response.template,
    body: backend.body,
    context,
  });
  return { status: after.responseOverride.status ?? response.statusCode, body: output };
}
