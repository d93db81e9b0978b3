import { Token } from 'aws-cdk-lib';
import { INGEST_PARTIAL_FAILURE_STATUS, INGEST_UNAVAILABLE_STATUS } from '../schemas/api/ingest.js';

/**
 * Every mapping template of the ingest API, in one place. API Gateway integrates directly with
 * EventBridge `PutEvents` (no Lambda in the request path), so these templates *are* the API's
 * request handling: they turn a validated body into PutEvents entries and PutEvents' answer into
 * the producer's answer.
 *
 * Templates are Velocity (VTL) as API Gateway runs it:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
 * Gateway responses are NOT VTL, only `$context` substitution:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.responseTemplates.html
 *
 * The bus `detail` is `{"receivedAtMs": <epoch ms>, "event": <the event as posted>}` — `BusDetail`
 * in consumers/relay.ts; change both together.
 *
 * Producer-facing answers: the one ingest answer of `schemas/api/ingest.ts` (its TSDoc says why
 * this shape), the local cell's too, so a producer moves between cells without changing code:
 * - 200 `{"failedEntryCount": 0, "entries": [{"index": 0, "status": "accepted", "busEventId": "…"}]}`
 * - 502, same body, when PutEvents reports `FailedEntryCount > 0` (it answers HTTP 200 even then):
 *   failed entries are `{"index": 1, "status": "failed", "errorCode": "…", "errorMessage": "…"}`;
 *   `index` is the position in the request (PutEvents keeps request order). Retry the failed
 *   entries; retrying an accepted one is harmless because `eventId` deduplicates downstream.
 * - 503 `{"message", "requestId"}` when EventBridge took nothing: it refused the whole call
 *   (throttling, 4xx) or failed it (5xx). A 502 always lists entries, as the ingest contract says.
 * - 400 `{"message": "Invalid request body", "errors": "<validator message naming the fields>"}`.
 *
 * @example
 * const template = putEventsRequestTemplate({ eventSource: 'invoice.platform',
 *   detailType: 'invoice.ingestion', eventBusName: bus.eventBusName });
 */

/** Status of an answer where EventBridge accepted some entries and failed others. */
export const PARTIAL_FAILURE_STATUS = INGEST_PARTIAL_FAILURE_STATUS;
/**
 * Status when EventBridge answered the whole call with a 4xx (e.g. ThrottlingException) or a 5xx:
 * nothing was taken, the producer retries the request. One integration response covers both
 * (`selectionPattern: '[45]\d{2}'`), since API Gateway keys integration responses by status code.
 */
export const BUS_UNAVAILABLE_STATUS = INGEST_UNAVAILABLE_STATUS;

export interface PutEventsTemplateParams {
  /** EventBridge `Source` of every entry (`settings.eventSource`). */
  readonly eventSource: string;
  /** EventBridge `DetailType` of the stage (`stage.detailType`). */
  readonly detailType: string;
  /** The bus name (usually a CDK token, resolved at deploy time). */
  readonly eventBusName: string;
}

const SAFE_LITERAL = /^[A-Za-z0-9._:/-]+$/;

function assertSafeLiteral(name: string, value: string): void {
  // These values are pasted into the template verbatim; a quote, `$` or `#` would change its meaning.
  if (!Token.isUnresolved(value) && !SAFE_LITERAL.test(value)) {
    throw new Error(`put-events template ${name} must match ${SAFE_LITERAL}, got ${JSON.stringify(value)}`);
  }
}

/**
 * `$util.escapeJavaScript` turns `'` into `\'`, which is not valid JSON; undo just that.
 * In VTL the string literal "\\'" is passed to Java's replaceAll as the regex `\\'` = a backslash
 * followed by a quote.
 */
const JSON_STRING = (vtlJsonExpression: string) =>
  `$util.escapeJavaScript(${vtlJsonExpression}).replaceAll("\\\\'","'")`;

/**
 * Request mapping template: the validated body (one event, or `{"events": [...]}`) → PutEvents.
 * `Detail` must be a JSON *string*, so the event JSON is escaped into it.
 */
export function putEventsRequestTemplate(params: PutEventsTemplateParams): string {
  assertSafeLiteral('eventSource', params.eventSource);
  assertSafeLiteral('detailType', params.detailType);
  assertSafeLiteral('eventBusName', params.eventBusName);
  const entry = (eventJson: string) =>
    [
      '    {',
      `      "Source": "${params.eventSource}",`,
      `      "DetailType": "${params.detailType}",`,
      `      "EventBusName": "${params.eventBusName}",`,
      `      "Detail": "{\\"receivedAtMs\\":$context.requestTimeEpoch,\\"event\\":${JSON_STRING(eventJson)}}"`,
      '    }',
    ].join('\n');
  return [
    '## The body passed the stage model: either one event or {"events": [...]} with 1..max events.',
    '## $input.path of a missing key is null, and #set ignores null, so $events stays [] for one event.',
    '#set($events = [])',
    "#set($events = $input.path('$.events'))",
    '{',
    '  "Entries": [',
    '#if($events && $events.size() > 0)',
    '#foreach($event in $events)',
    // `$input.json` re-serialises the posted JSON (numbers, unicode) rather than a VTL map's toString.
    entry(`$input.json("$.events[$foreach.index]")`),
    '#if($foreach.hasNext),#end',
    '#end',
    '#else',
    entry(`$input.json('$')`),
    '#end',
    '  ]',
    '}',
  ].join('\n');
}

/**
 * Integration response template for a 2xx from PutEvents. PutEvents answers 200 even when
 * entries failed (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevents.html,
 * "Handling failures with PutEvents"), so this template decides the status itself: any failed
 * entry overrides it to {@link PARTIAL_FAILURE_STATUS}
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-override-request-response-parameters.html).
 */
export const PUT_EVENTS_RESPONSE_TEMPLATE = [
  "#set($entries = $input.path('$.Entries'))",
  "#set($failedCount = $input.path('$.FailedEntryCount'))",
  '#if($failedCount > 0)',
  `#set($context.responseOverride.status = ${PARTIAL_FAILURE_STATUS})`,
  '#end',
  '{',
  '  "failedEntryCount": $failedCount,',
  // Result entries are in request order, so the position is the producer's index.
  '  "entries": [',
  '#foreach($entry in $entries)',
  '#if("$!entry.ErrorCode" == "")',
  '    {"index": $foreach.index, "status": "accepted", "busEventId": "$entry.EventId"}#if($foreach.hasNext),#end',
  '#else',
  `    {"index": $foreach.index, "status": "failed", "errorCode": "$util.escapeJavaScript("$!entry.ErrorCode")", "errorMessage": "${JSON_STRING('"$!entry.ErrorMessage"')}"}#if($foreach.hasNext),#end`,
  '#end',
  '#end',
  '  ]',
  '}',
].join('\n');

/**
 * Integration response template for a whole-call failure of PutEvents (HTTP 4xx/5xx from
 * EventBridge). EventBridge's error text can name the integration role, so it stays in the access
 * log; the producer learns only that the call is retryable.
 */
export const PUT_EVENTS_ERROR_TEMPLATE = [
  '{',
  '  "message": "the event bus did not accept the request; nothing was stored, retry it",',
  '  "requestId": "$context.requestId"',
  '}',
].join('\n');

/** Gateway response bodies (non-VTL: `$context` substitution only). */
export const GATEWAY_RESPONSE_TEMPLATES = {
  /**
   * 400 from the request validator. `validationErrorString` names every offending field;
   * `messageString` is already a quoted JSON string.
   */
  badRequestBody:
    '{"message": $context.error.messageString, "errors": "$context.error.validationErrorString", "requestId": "$context.requestId"}',
  /** Any other 4xx/5xx produced by API Gateway itself (auth, API key, throttling, WAF). */
  default:
    '{"message": $context.error.messageString, "errorType": "$context.error.responseType", "requestId": "$context.requestId"}',
} as const;
