import http from 'node:http';

/**
 * The bench's HTTP client: node:http with a keep-alive Agent. Global fetch (undici) in Node 20
 * costs several times more CPU per request (WHATWG streams) — measured here at ~7k vs ~47k trivial
 * requests/s — and on a 2-core machine the client's CPU is taken from the cell.
 *
 * @example
 * const res = await request(port, apiKey, 'POST', stage.routePath, body);
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

export function request(
  port: number,
  apiKey: string,
  method: string,
  urlPath: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  // A read goes without the key: the bench cell listens on loopback, where reads are open, and
  // the bench's key is a producer key, which may only post events (a read with it is a 403).
  const keyHeader: Record<string, string> = method === 'GET' ? {} : { 'x-api-key': apiKey };
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        headers: body
          ? {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
              ...keyHeader,
            }
          : keyHeader,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
