import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusDetail } from '../../consumers/relay.js';
import { readExampleEvent } from '../../schemas/files.js';
import { BUS_UNAVAILABLE_STATUS, PARTIAL_FAILURE_STATUS } from '../../stacks/ingest-api-templates.js';
import {
  DEPLOYED_BUS_NAME,
  type DeployedPutEventsIntegration,
  deployedPutEventsIntegration,
  respond,
} from './vtl/deployed-put-events-integration.js';
import { itNeedsVelocity, startVtlEngine, type VtlEngine } from './vtl/vtl-engine.js';

/**
 * The ingest API's mapping templates executed by Apache Velocity 1.7, the engine API Gateway runs
 * them on, in the text CloudFormation deploys. Only this engine settles the Java semantics the
 * templates lean on (Velocity string literals keep backslashes; `replaceAll` takes a regex).
 */

const probe = await startVtlEngine();

const REQUEST_TIME_EPOCH = 1_767_225_600_123;

interface PutEventsEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly EventBusName: string;
  readonly Detail: string;
}

/** Strings that are hard on each layer: JSON, escapeJavaScript, the `\'` undo, VTL itself. */
const AWKWARD_TEXT = {
  unicode: 'Zürich – 東京 – 😀 – \u2028 – \u00a0',
  quotes: 'He said "hi" to O\'Brien, \'twas "fine"',
  backslashes: "C:\\temp\\new \\' \\\\' \\\" trailing\\",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a VTL reference in posted text, not a JS placeholder
  dollar: "$input.json('$') ${context.requestId} $!missing $ $$ US$5",
  hash: '#set($x = 1)#end ## line #* block *# #if(true)',
  controls: 'tab\there\nnext line\r\u0001\u001f',
  slash: '</script> a/b //',
} as const;

function exampleEvent(index: number, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  const event = readExampleEvent('ingestion');
  return { ...event, eventId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`, metadata };
}

/** A PutEvents answer: `ok` entries get an EventId, the others the given error. */
function putEventsAnswer(entries: readonly ('ok' | { code: string; message: string })[]): string {
  const failed = entries.filter((e) => e !== 'ok').length;
  return JSON.stringify({
    Entries: entries.map((e, i) =>
      e === 'ok' ? { EventId: `bus-${i}` } : { ErrorCode: e.code, ErrorMessage: e.message },
    ),
    FailedEntryCount: failed,
  });
}

describe('ingest API mapping templates on Apache Velocity 1.7', () => {
  if ('unavailable' in probe) {
    // No JRE in the npm registry: say so loudly, keep the rest of `npm test` running.
    itNeedsVelocity(probe.unavailable, 'the Velocity execution of the ingest API mapping templates');
    return;
  }
  const engine: VtlEngine = probe.engine;
  let integration: DeployedPutEventsIntegration;

  // One cdk-nag-checked synth of a cell: room for a loaded 2-core machine during a full `npm test`.
  beforeAll(() => {
    integration = deployedPutEventsIntegration('invoice.ingestion');
  }, 180_000);
  afterAll(() => engine.close());

  /** Renders the deployed request template for a raw body; the output must be JSON. */
  async function putEventsRequest(
    body: string,
  ): Promise<{ entries: PutEventsEntry[]; details: BusDetail[] }> {
    const { output } = await engine.render({
      template: integration.requestTemplate,
      body,
      context: { requestTimeEpoch: REQUEST_TIME_EPOCH, requestId: 'req-1' },
    });
    const entries = (JSON.parse(output) as { Entries: PutEventsEntry[] }).Entries;
    return { entries, details: entries.map((e) => JSON.parse(e.Detail) as BusDetail) };
  }

  describe('the engine', () => {
    it('keeps backslashes in string literals and runs replaceAll as a Java regex, as the templates assume', async () => {
      // Act: "\\'" is three characters in Velocity 1.7, i.e. the regex "backslash, quote"
      const { output } = await engine.render({
        template: `#set($undo = "\\\\'")$undo.length() $util.escapeJavaScript("O'Brien").replaceAll($undo, "'")`,
      });

      // Assess
      expect(output).toBe("3 O'Brien");
    });

    it('keeps the old value when #set is given null, so a single event leaves $events empty', async () => {
      // Act
      const { output } = await engine.render({
        template: "#set($events = [])#set($events = $input.path('$.events'))$events.size()",
        body: '{"eventId": "e-1"}',
      });

      // Assess
      expect(output).toBe('0');
    });
  });

  describe('request template', () => {
    it('maps one event to one entry whose Detail is the BusDetail of the event as posted', async () => {
      // Prepare
      const event = exampleEvent(1);

      // Act
      const { entries, details } = await putEventsRequest(JSON.stringify(event));

      // Assess
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        Source: 'invoice.platform',
        DetailType: 'invoice.ingestion',
        EventBusName: DEPLOYED_BUS_NAME,
      });
      expect(details).toEqual([{ receivedAtMs: REQUEST_TIME_EPOCH, event }]);
    });

    it('maps a batch of 10 to 10 entries in the posted order', async () => {
      // Prepare
      const events = Array.from({ length: 10 }, (_, i) => exampleEvent(i, { position: i }));

      // Act
      const { entries, details } = await putEventsRequest(JSON.stringify({ events }));

      // Assess
      expect(entries).toHaveLength(10);
      expect(new Set(entries.map((e) => `${e.Source}|${e.DetailType}|${e.EventBusName}`))).toEqual(
        new Set([`invoice.platform|invoice.ingestion|${DEPLOYED_BUS_NAME}`]),
      );
      expect(details).toEqual(events.map((event) => ({ receivedAtMs: REQUEST_TIME_EPOCH, event })));
    });

    it('keeps unicode, quotes, backslashes, apostrophes, $ and # of string fields intact', async () => {
      // Prepare: in every field, in the single and the batch branch, and pretty-printed
      const event = { ...exampleEvent(2, { ...AWKWARD_TEXT }), invoiceId: AWKWARD_TEXT.backslashes };
      const batch = [exampleEvent(3, { note: AWKWARD_TEXT.quotes }), event];

      // Act
      const single = await putEventsRequest(JSON.stringify(event, null, 2));
      const many = await putEventsRequest(JSON.stringify({ events: batch }));

      // Assess
      expect(single.details).toEqual([{ receivedAtMs: REQUEST_TIME_EPOCH, event }]);
      expect(many.details.map((d) => d.event)).toEqual(batch);
    });

    it('keeps numbers as posted, digit for digit', async () => {
      // Prepare: raw text, because JSON.stringify would normalise these numbers itself
      const numbers =
        '{"price": 1234.50, "big": 12345678901234567890, "exp": 1e3, "negZero": -0.0, "tenth": 0.1}';
      const body = `{"eventId": "n-1", "metadata": ${numbers}}`;

      // Act
      const { entries, details } = await putEventsRequest(body);

      // Assess
      const detailText = entries[0]?.Detail ?? '';
      for (const literal of [
        '"price":1234.50',
        '"big":12345678901234567890',
        '"exp":1e3',
        '"negZero":-0.0',
      ]) {
        expect(detailText).toContain(literal);
      }
      expect(details[0]?.event).toEqual(JSON.parse(body));
    });
  });

  describe('integration response for a 200 from PutEvents', () => {
    it('answers 200 listing every entry as accepted when none failed', async () => {
      // Act
      const answer = await respond(engine, integration, {
        status: 200,
        body: putEventsAnswer(['ok', 'ok', 'ok']),
      });

      // Assess
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({
        failedEntryCount: 0,
        entries: [0, 1, 2].map((index) => ({ index, status: 'accepted', busEventId: `bus-${index}` })),
      });
    });

    it('answers 502 listing the failed indexes when some entries failed', async () => {
      // Prepare
      const throttled = { code: 'ThrottlingException', message: 'Rate exceeded' };
      const internal = { code: 'InternalFailure', message: 'Internal "error" at O\'Hare \\ retry' };
      const backend = { status: 200, body: putEventsAnswer(['ok', throttled, 'ok', internal, 'ok']) };

      // Act
      const answer = await respond(engine, integration, backend);

      // Assess
      expect(answer.status).toBe(PARTIAL_FAILURE_STATUS);
      const accepted = (index: number) => ({ index, status: 'accepted', busEventId: `bus-${index}` });
      expect(JSON.parse(answer.body)).toEqual({
        failedEntryCount: 2,
        entries: [
          accepted(0),
          { index: 1, status: 'failed', errorCode: throttled.code, errorMessage: throttled.message },
          accepted(2),
          { index: 3, status: 'failed', errorCode: internal.code, errorMessage: internal.message },
          accepted(4),
        ],
      });
    });

    it('answers 502 with nothing accepted when every entry failed', async () => {
      // Prepare
      const failure = { code: 'InternalFailure', message: 'Service unavailable; try again' };

      // Act
      const answer = await respond(engine, integration, {
        status: 200,
        body: putEventsAnswer([failure, failure]),
      });

      // Assess
      expect(answer.status).toBe(PARTIAL_FAILURE_STATUS);
      expect(JSON.parse(answer.body)).toEqual({
        failedEntryCount: 2,
        entries: [0, 1].map((index) => ({
          index,
          status: 'failed',
          errorCode: failure.code,
          errorMessage: failure.message,
        })),
      });
    });
  });

  describe('integration response for a whole-call failure of PutEvents', () => {
    it.each([
      { backendStatus: 400, type: 'ThrottlingException', expected: BUS_UNAVAILABLE_STATUS },
      { backendStatus: 403, type: 'AccessDeniedException', expected: BUS_UNAVAILABLE_STATUS },
      { backendStatus: 500, type: 'InternalException', expected: BUS_UNAVAILABLE_STATUS },
      { backendStatus: 503, type: 'ServiceUnavailable', expected: BUS_UNAVAILABLE_STATUS },
    ])(
      'answers $expected to a $backendStatus without echoing EventBridge',
      async ({ backendStatus, type, expected }) => {
        // Prepare
        const body = JSON.stringify({ __type: type, message: 'role arn:aws:iam::111122223333:role/secret' });

        // Act
        const answer = await respond(
          engine,
          integration,
          { status: backendStatus, body },
          { requestId: 'req-9' },
        );

        // Assess
        expect(answer.status).toBe(expected);
        expect(JSON.parse(answer.body)).toEqual({
          message: 'the event bus did not accept the request; nothing was stored, retry it',
          requestId: 'req-9',
        });
      },
    );
  });
});
