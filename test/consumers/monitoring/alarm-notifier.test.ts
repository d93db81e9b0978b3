import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmTransition } from '../../../consumers/monitoring/alarm-evaluator.js';
import {
  type AlarmLogger,
  createAlarmNotifier,
  isBootTransition,
  LogAlarmNotifier,
  WebhookAlarmNotifier,
  WebhookDeliveryError,
} from '../../../consumers/monitoring/alarm-notifier.js';

const TRANSITION: AlarmTransition = {
  ruleId: 'posting-dlq-not-empty',
  title: 'Posting: DLQ not empty',
  severity: 'critical',
  stage: 'posting',
  from: 'OK',
  to: 'ALARM',
  atMs: Date.parse('2026-11-20T09:00:00Z'),
  value: 3,
  threshold: 0,
  reason: 'dlqDepth (posting) = 3, threshold > 0 for 1 consecutive period(s) of 60 s',
};

interface Received {
  readonly method: string | undefined;
  readonly contentType: string | undefined;
  readonly body: unknown;
}

/** A webhook receiver on 127.0.0.1 answering `status`, or never answering when `hang`. */
async function startReceiver(options: { status?: number; hang?: boolean } = {}) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method,
        contentType: req.headers['content-type'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      if (options.hang) return;
      res.writeHead(options.status ?? 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alarms`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function memoryLogger() {
  const lines: { level: string; msg: string; fields?: Readonly<Record<string, unknown>> }[] = [];
  const logger: AlarmLogger = {
    debug: (msg, fields) => lines.push({ level: 'debug', msg, ...(fields ? { fields } : {}) }),
    info: (msg, fields) => lines.push({ level: 'info', msg, ...(fields ? { fields } : {}) }),
    warn: (msg, fields) => lines.push({ level: 'warn', msg, ...(fields ? { fields } : {}) }),
    error: (msg, fields) => lines.push({ level: 'error', msg, ...(fields ? { fields } : {}) }),
  };
  return { logger, lines };
}

describe('AlarmNotifier', () => {
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  describe('LogAlarmNotifier', () => {
    it('logs a critical alarm as an error and a recovery as info', async () => {
      // Prepare
      const { logger, lines } = memoryLogger();

      // Act
      await new LogAlarmNotifier(logger).notify([TRANSITION, { ...TRANSITION, from: 'ALARM', to: 'OK' }]);

      // Assess
      expect(lines.map((l) => [l.level, l.msg])).toEqual([
        ['error', 'alarm posting-dlq-not-empty: OK -> ALARM'],
        ['info', 'alarm posting-dlq-not-empty: ALARM -> OK'],
      ]);
      expect(lines[0]?.fields).toMatchObject({ value: 3, threshold: 0, at: '2026-11-20T09:00:00.000Z' });
    });

    it("logs a rule's first evaluation finding it OK at debug only", async () => {
      // Prepare
      const { logger, lines } = memoryLogger();
      const boot: AlarmTransition = { ...TRANSITION, from: 'INSUFFICIENT_DATA', to: 'OK' };
      const other: AlarmTransition = { ...boot, ruleId: 'posting-queue-depth' };

      // Act
      await new LogAlarmNotifier(logger).notify([boot, other, TRANSITION], {
        firstEvaluation: new Set([boot.ruleId]),
      });

      // Assess
      expect(lines.map((l) => [l.level, l.msg])).toEqual([
        ['debug', 'alarm posting-dlq-not-empty: INSUFFICIENT_DATA -> OK'],
        ['info', 'alarm posting-queue-depth: INSUFFICIENT_DATA -> OK'],
        ['error', 'alarm posting-dlq-not-empty: OK -> ALARM'],
      ]);
    });

    it('logs INSUFFICIENT_DATA -> OK at info when told nothing about first evaluations', async () => {
      // Prepare
      const { logger, lines } = memoryLogger();

      // Act
      await new LogAlarmNotifier(logger).notify([{ ...TRANSITION, from: 'INSUFFICIENT_DATA', to: 'OK' }]);

      // Assess
      expect(lines.map((l) => l.level)).toEqual(['info']);
    });
  });

  describe('isBootTransition', () => {
    it('is true only for INSUFFICIENT_DATA -> OK of a rule evaluated for the first time', () => {
      // Prepare
      const context = { firstEvaluation: new Set([TRANSITION.ruleId]) };

      // Act
      const verdicts = [
        isBootTransition({ ...TRANSITION, from: 'INSUFFICIENT_DATA', to: 'OK' }, context),
        isBootTransition({ ...TRANSITION, from: 'INSUFFICIENT_DATA', to: 'ALARM' }, context),
        isBootTransition({ ...TRANSITION, from: 'ALARM', to: 'OK' }, context),
        isBootTransition(
          { ...TRANSITION, from: 'INSUFFICIENT_DATA', to: 'OK' },
          { firstEvaluation: new Set() },
        ),
        isBootTransition({ ...TRANSITION, from: 'INSUFFICIENT_DATA', to: 'OK' }, undefined),
      ];

      // Assess
      expect(verdicts).toEqual([true, false, false, false, false]);
    });
  });

  describe('WebhookAlarmNotifier', () => {
    it('posts the transitions as JSON', async () => {
      // Prepare
      const receiver = await startReceiver();
      cleanups.push(receiver.close);

      // Act
      await new WebhookAlarmNotifier({ url: receiver.url, cell: 'local' }).notify([TRANSITION]);

      // Assess
      expect(receiver.received).toEqual([
        {
          method: 'POST',
          contentType: 'application/json',
          body: { cell: 'local', transitions: [TRANSITION] },
        },
      ]);
    });

    it('throws a WebhookDeliveryError for a non-2xx answer', async () => {
      // Prepare
      const receiver = await startReceiver({ status: 503 });
      cleanups.push(receiver.close);

      // Act
      const sending = new WebhookAlarmNotifier({ url: receiver.url }).notify([TRANSITION]);

      // Assess
      await expect(sending).rejects.toThrow(WebhookDeliveryError);
      await expect(sending).rejects.toMatchObject({ status: 503 });
    });

    it('gives up after the timeout when the webhook does not answer', async () => {
      // Prepare
      const receiver = await startReceiver({ hang: true });
      cleanups.push(receiver.close);

      // Act
      const sending = new WebhookAlarmNotifier({ url: receiver.url, timeoutMs: 200 }).notify([TRANSITION]);

      // Assess
      await expect(sending).rejects.toThrow(/did not answer within 200 ms/);
    });

    it('sends nothing when there is no transition', async () => {
      // Prepare
      const calls: unknown[] = [];
      const fakeFetch = (async (...args: unknown[]) => {
        calls.push(args);
        return new Response(null, { status: 204 });
      }) as typeof fetch;

      // Act
      await new WebhookAlarmNotifier({ url: 'https://hooks.example.com/a', fetch: fakeFetch }).notify([]);

      // Assess
      expect(calls).toEqual([]);
    });

    it('refuses a URL that is not http(s)', () => {
      // Act
      const act = () => new WebhookAlarmNotifier({ url: 'file:///etc/passwd' });

      // Assess
      expect(act).toThrow(/must be http\(s\)/);
    });
  });

  describe('createAlarmNotifier', () => {
    it('still posts boot-time transitions to the webhook while logging them at debug', async () => {
      // Prepare
      const { logger, lines } = memoryLogger();
      const posted: unknown[] = [];
      const fakeFetch = (async (_url: unknown, init?: RequestInit) => {
        posted.push(JSON.parse(String(init?.body)));
        return new Response(null, { status: 204 });
      }) as typeof fetch;
      const boot: AlarmTransition = { ...TRANSITION, from: 'INSUFFICIENT_DATA', to: 'OK' };
      const notifier = createAlarmNotifier({
        logger,
        webhookUrl: 'https://hooks.example.com/a',
        fetch: fakeFetch,
      });

      // Act
      await notifier.notify([boot], { firstEvaluation: new Set([boot.ruleId]) });

      // Assess
      expect(posted).toEqual([{ transitions: [boot] }]);
      expect(lines.map((l) => l.level)).toEqual(['debug']);
    });

    it('logs a failed webhook delivery instead of throwing', async () => {
      // Prepare
      const { logger, lines } = memoryLogger();
      const failingFetch = (async () => new Response('nope', { status: 500 })) as typeof fetch;
      const notifier = createAlarmNotifier({
        logger,
        webhookUrl: 'https://hooks.example.com/a',
        fetch: failingFetch,
      });

      // Act
      await notifier.notify([TRANSITION]);

      // Assess
      expect(lines.map((l) => l.msg)).toEqual([
        'alarm posting-dlq-not-empty: OK -> ALARM',
        'alarm webhook delivery failed',
      ]);
      expect(lines[1]?.fields).toMatchObject({
        error: 'alarm webhook https://hooks.example.com answered 500',
      });
    });
  });
});
