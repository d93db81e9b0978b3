import { describe, expect, it } from 'vitest';
import type { BusDetail } from '../../consumers/relay.js';
import { readExampleEvent } from '../../schemas/files.js';
import {
  GATEWAY_RESPONSE_TEMPLATES,
  PARTIAL_FAILURE_STATUS,
  PUT_EVENTS_ERROR_TEMPLATE,
  PUT_EVENTS_RESPONSE_TEMPLATE,
  putEventsRequestTemplate,
} from '../../stacks/ingest-api-templates.js';

const PARAMS = { eventSource: 'invoice.platform', detailType: 'invoice.ingestion', eventBusName: 'cell-bus' };

/** The JSON-string escaping `$util.escapeJavaScript(json).replaceAll("\\'","'")` produces. */
function escapedJson(value: unknown): string {
  return JSON.stringify(JSON.stringify(value)).slice(1, -1);
}

/**
 * Renders one branch of the request template by substitution: only `$context.requestTimeEpoch`
 * and the escaped event expression vary, so replacing them shows whether the surrounding literal
 * text is valid JSON with a `Detail` string that parses back to the event (no VTL engine needed).
 */
function renderEntry(branch: string, event: unknown, requestTimeEpoch: number): unknown {
  const rendered = branch
    .replace(/\$context\.requestTimeEpoch/g, String(requestTimeEpoch))
    .replace(/\$util\.escapeJavaScript\(\$input\.json\([^)]*\)\)\.replaceAll\("\\\\'","'"\)/g, () =>
      escapedJson(event),
    )
    .replace(/^#.*$/gm, '');
  return JSON.parse(rendered);
}

function branches(template: string): { batch: string; single: string } {
  const lines = template.split('\n');
  const foreach = lines.findIndex((l) => l.startsWith('#foreach'));
  const hasNext = lines.findIndex((l) => l.startsWith('#if($foreach.hasNext)'));
  const elseAt = lines.indexOf('#else');
  const endAt = lines.lastIndexOf('#end');
  return {
    batch: lines.slice(foreach + 1, hasNext).join('\n'),
    single: lines.slice(elseAt + 1, endAt).join('\n'),
  };
}

describe('putEventsRequestTemplate', () => {
  it('maps one event to one entry whose Detail is the BusDetail of consumers/relay.ts', () => {
    // Prepare
    const event = JSON.parse(JSON.stringify(readExampleEvent('ingestion')));
    const { single } = branches(putEventsRequestTemplate(PARAMS));

    // Act
    const entry = renderEntry(single, event, 1_700_000_000_123) as Record<string, string>;
    const detail = JSON.parse(entry.Detail ?? '') as BusDetail;

    // Assess
    expect(entry).toMatchObject({
      Source: 'invoice.platform',
      DetailType: 'invoice.ingestion',
      EventBusName: 'cell-bus',
    });
    expect(detail).toEqual({ receivedAtMs: 1_700_000_000_123, event });
  });

  it('keeps quotes, backslashes and non-ASCII text of the event intact through the escaping', () => {
    // Prepare
    const event = { eventId: 'x', metadata: { note: 'O\'Brien said "hi" \\ ünïcode / tab\t' } };
    const { single } = branches(putEventsRequestTemplate(PARAMS));

    // Act
    const entry = renderEntry(single, event, 1) as Record<string, string>;

    // Assess
    expect(JSON.parse(entry.Detail ?? '')).toEqual({ receivedAtMs: 1, event });
  });

  it('maps each element of {"events": [...]} by its index, with the same entry shape', () => {
    // Prepare
    const template = putEventsRequestTemplate(PARAMS);
    const { batch, single } = branches(template);

    // Assess: the batch entry differs from the single one only in which JSON it escapes
    expect(template).toContain("#set($events = $input.path('$.events'))");
    expect(template).toContain('#foreach($event in $events)');
    expect(batch).toContain('$input.json("$.events[$foreach.index]")');
    expect(batch.replace('$input.json("$.events[$foreach.index]")', () => "$input.json('$')")).toBe(single);
    expect(renderEntry(batch, { a: 1 }, 2)).toEqual(renderEntry(single, { a: 1 }, 2));
  });

  it('references every PutEvents entry field and every BusDetail field', () => {
    // Act
    const template = putEventsRequestTemplate(PARAMS);

    // Assess
    for (const field of ['"Entries"', '"Source"', '"DetailType"', '"EventBusName"', '"Detail"']) {
      expect(template).toContain(field);
    }
    const busDetailKeys: (keyof BusDetail)[] = ['receivedAtMs', 'event'];
    for (const key of busDetailKeys) expect(template).toContain(`\\"${key}\\"`);
  });

  it('refuses a source or detail-type that would break out of the template', () => {
    expect(() => putEventsRequestTemplate({ ...PARAMS, detailType: 'a"b' })).toThrow(
      'put-events template detailType must match',
    );
    expect(() => putEventsRequestTemplate({ ...PARAMS, eventSource: '$x' })).toThrow('got "$x"');
  });
});

describe('PUT_EVENTS_RESPONSE_TEMPLATE', () => {
  it('overrides the status to 502 only when FailedEntryCount is above zero', () => {
    expect(PARTIAL_FAILURE_STATUS).toBe(502);
    expect(PUT_EVENTS_RESPONSE_TEMPLATE).toContain("#set($failedCount = $input.path('$.FailedEntryCount'))");
    expect(PUT_EVENTS_RESPONSE_TEMPLATE).toMatch(
      /#if\(\$failedCount > 0\)\n#set\(\$context\.responseOverride\.status = 502\)[\s\S]*?#end/,
    );
  });

  it('lists every entry with its index and status: failed ones with error code and message, accepted ones with their id', () => {
    expect(PUT_EVENTS_RESPONSE_TEMPLATE).toContain('"failedEntryCount": $failedCount');
    expect(PUT_EVENTS_RESPONSE_TEMPLATE).toContain('"entries": [');
    expect(PUT_EVENTS_RESPONSE_TEMPLATE).toContain(
      '{"index": $foreach.index, "status": "failed", "errorCode": ',
    );
    expect(PUT_EVENTS_RESPONSE_TEMPLATE).toContain('$!entry.ErrorCode');
    expect(PUT_EVENTS_RESPONSE_TEMPLATE).toContain('$!entry.ErrorMessage');
    expect(PUT_EVENTS_RESPONSE_TEMPLATE).toContain(
      '{"index": $foreach.index, "status": "accepted", "busEventId": "$entry.EventId"}',
    );
  });
});

describe('PUT_EVENTS_ERROR_TEMPLATE', () => {
  it('tells the producer to retry without echoing EventBridge error text', () => {
    expect(PUT_EVENTS_ERROR_TEMPLATE).toContain('retry');
    expect(PUT_EVENTS_ERROR_TEMPLATE).not.toContain('$input');
    expect(JSON.parse(PUT_EVENTS_ERROR_TEMPLATE.replace('$context.requestId', 'r1'))).toEqual({
      message: expect.any(String),
      requestId: 'r1',
    });
  });
});

describe('GATEWAY_RESPONSE_TEMPLATES', () => {
  it('renders valid JSON once API Gateway substitutes its context variables', () => {
    // Prepare: messageString is already a quoted string; validationErrorString arrives escaped
    const substitute = (template: string) =>
      template
        .replace('$context.error.messageString', '"Invalid request body"')
        .replace(
          '$context.error.validationErrorString',
          '[object has missing required properties ([\\"eventId\\"])]',
        )
        .replace('$context.error.responseType', 'BAD_REQUEST_BODY')
        .replace('$context.requestId', 'r1');

    // Act
    const badBody = JSON.parse(substitute(GATEWAY_RESPONSE_TEMPLATES.badRequestBody));
    const other = JSON.parse(substitute(GATEWAY_RESPONSE_TEMPLATES.default));

    // Assess
    expect(badBody).toEqual({
      message: 'Invalid request body',
      errors: '[object has missing required properties (["eventId"])]',
      requestId: 'r1',
    });
    expect(other).toMatchObject({ message: 'Invalid request body', requestId: 'r1' });
  });
});
