import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SubscriberNotification } from '../../../../schemas/api/subscriber-delivery.js';

/**
 * A real HTTP receiver for subscriber pushes, in the test process (127.0.0.1, a free port). Every
 * request is recorded with the status it was answered with; `respond` decides the status (or
 * `'hang'`: no answer until {@link WebhookReceiver.close}).
 *
 * @example
 * const receiver = await startWebhookReceiver(() => 200);
 * // ... endpoint: receiver.url
 * receiver.accepted(); // notifications answered 2xx, in arrival order
 */

export interface ReceivedPush {
  readonly notification: SubscriberNotification;
  readonly headers: http.IncomingHttpHeaders;
  readonly status: number | 'hang';
}

export interface WebhookReceiver {
  readonly url: string;
  readonly pushes: ReceivedPush[];
  /** Notifications answered with a 2xx, in arrival order. */
  accepted(): SubscriberNotification[];
  /** Changes how later requests are answered. */
  setRespond(respond: (notification: SubscriberNotification, n: number) => number | 'hang'): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(
  initial: (notification: SubscriberNotification, n: number) => number | 'hang',
): Promise<WebhookReceiver> {
  let respond = initial;
  const pushes: ReceivedPush[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const notification = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SubscriberNotification;
      const status = respond(notification, pushes.length + 1);
      pushes.push({ notification, headers: req.headers, status });
      if (status === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    pushes,
    accepted: () =>
      pushes
        .filter((p) => typeof p.status === 'number' && p.status >= 200 && p.status < 300)
        .map((p) => p.notification),
    setRespond: (next) => {
      respond = next;
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
