import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeliveryTally, PushedNotification } from './delivery-tally.js';

/**
 * The delivery bench's push receiver: a plain node:http server on 127.0.0.1 (a free port) in the
 * bench process, answering each push with the status its {@link DeliveryTally} decides. It does no
 * signature check: verifying costs the receiver CPU the cell needs on a small machine, and the
 * signature is covered by the cell's tests.
 *
 * @example
 * const receiver = await startDeliveryReceiver(tally);
 * // endpoint: receiver.url
 * await receiver.close();
 */
export interface DeliveryReceiver {
  readonly url: string;
  close(): Promise<void>;
}

export async function startDeliveryReceiver(tally: DeliveryTally): Promise<DeliveryReceiver> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let notification: PushedNotification;
      try {
        notification = JSON.parse(Buffer.concat(chunks).toString('utf8')) as PushedNotification;
      } catch {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(tally.push(notification, Date.now())).end();
    });
  });
  // The cell keeps connections alive between pushes; a long idle timeout avoids reconnect races.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/delivery-bench`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
